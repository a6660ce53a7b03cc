"""Staff changes to orders in the admin count in the insight like order intake's (issue #15): an edited
quantity or day placed, and a deleted order (one at a time or several from the list), show in the cohort
at once, not after `manage.py rebuild_insight`."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django import forms
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from returns.insight import cohort
from returns.models import Order, Product
from returns.services import LineRequest, return_create
from returns_portal.core.periods import Period
from tests.factories import OrderFactory, OrderLineFactory, ProductFactory, VariantFactory

pytestmark = pytest.mark.django_db
DAY = dt.timedelta(days=1)


def last_month() -> Period:
    return Period(timezone.now() - 30 * DAY, timezone.now() + dt.timedelta(hours=1))


def counted(product: Product) -> tuple[int, int]:
    """(sold, returned) units of the product in last month's cohort."""
    rates = {rate.key: (rate.sold, rate.returned) for rate in cohort(last_month()).products}
    return rates.get(product.pk, (0, 0))


def as_shown(admin_client: Client, order: Order) -> dict[str, Any]:
    """The order's change form (its lines inline) as a browser posts it when nothing is touched."""
    page = admin_client.get(reverse("admin:returns_order_change", args=[order.pk]))
    shown = [page.context["adminform"].form]
    for inline in page.context["inline_admin_formsets"]:
        shown += [inline.formset.management_form, *inline.formset.forms]
    data: dict[str, Any] = {}
    for form in shown:
        for field in form:
            value = field.value()
            if isinstance(field.field.widget, forms.MultiWidget):  # a date and a time
                for index, part in enumerate(field.field.widget.decompress(value)):
                    data[f"{field.html_name}_{index}"] = part.isoformat() if part else ""
            else:
                data[field.html_name] = "" if value is None else value
    return data


@pytest.fixture
def shoe() -> Product:
    return ProductFactory(name="Trail runner")


def an_order(shoe: Product, quantity: int) -> Order:
    order = OrderFactory()
    OrderLineFactory(order=order, variant=VariantFactory(product=shoe), quantity=quantity)
    return order


def test_an_edited_quantity_and_day_placed_show_in_the_cohort(admin_client: Client, shoe: Product) -> None:
    order = an_order(shoe, 2)
    line = order.lines.get()
    return_create(order=order, lines=[LineRequest(line.pk, 1, "too_small")], resolution="refund", method="label")
    assert counted(shoe) == (2, 1)
    data = as_shown(admin_client, order)
    data["lines-0-quantity"] = 5
    assert admin_client.post(reverse("admin:returns_order_change", args=[order.pk]), data).status_code == 302
    assert counted(shoe) == (5, 1)
    data = as_shown(admin_client, order)
    data["placed_at_0"] = (timezone.localdate() - 60 * DAY).isoformat()  # before last month
    assert admin_client.post(reverse("admin:returns_order_change", args=[order.pk]), data).status_code == 302
    assert counted(shoe) == (0, 0)


def test_a_deleted_order_no_longer_counts_in_the_cohort(admin_client: Client, shoe: Product) -> None:
    one, two, three, kept = (an_order(shoe, quantity) for quantity in (1, 2, 4, 8))
    assert counted(shoe) == (15, 0)
    page = admin_client.post(reverse("admin:returns_order_delete", args=[one.pk]), {"post": "yes"})
    assert page.status_code == 302
    assert counted(shoe) == (14, 0)
    chosen = {"action": "delete_selected", "_selected_action": [two.pk, three.pk], "post": "yes"}
    assert admin_client.post(reverse("admin:returns_order_changelist"), chosen).status_code == 302
    assert list(Order.objects.all()) == [kept]
    assert counted(shoe) == (8, 0)
