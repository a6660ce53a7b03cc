"""Staff screens beyond receiving: returns made for a customer (with a policy override),
list filters that stay cheap, replacements shipped, goodwill refunds."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.contrib.auth.models import Group, User
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from refunds.models import Refund
from returns.models import Order, ReturnRequest, ReturnState
from returns.services import LineRequest, ReceivedLine, return_create, return_receive
from tests.factories import OrderFactory, OrderLineFactory, VariantFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def warehouse_user() -> User:
    user = User.objects.create_user("warehouse", password="x", is_staff=True)
    user.groups.add(Group.objects.get(name="Warehouse"))
    return user


@pytest.fixture
def warehouse(client: Client, warehouse_user: User) -> Client:
    client.force_login(warehouse_user)
    return client


def old_order() -> tuple[Order, int]:
    """Delivered 90 days ago: outside every window."""
    long_ago = timezone.now() - dt.timedelta(days=90)
    order = OrderFactory(placed_at=long_ago, delivered_at=long_ago)
    return order, OrderLineFactory(order=order, quantity=2).pk


def staff_return(client: Client, order: Order, line_id: int, override: str = "") -> str:
    response = client.post(
        reverse("admin:returns_order_staff_return", args=[order.pk]),
        {
            f"line-{line_id}-quantity": "1",
            f"line-{line_id}-reason": "defective",
            "resolution": "refund",
            "method": "label",
            "override_reason": override,
        },
    )
    return response.content.decode() if response.status_code == 200 else response["Location"]


def test_staff_cannot_go_beyond_the_policy_without_saying_why(warehouse: Client) -> None:
    order, line_id = old_order()
    page = staff_return(warehouse, order, line_id)
    assert "The return period for this item ended" in page
    assert "To accept it anyway, say why in" in page
    assert not order.returns.exists()


def test_an_override_with_a_reason_makes_the_return_and_records_why(warehouse: Client) -> None:
    order, line_id = old_order()
    location = staff_return(warehouse, order, line_id, override="Known zipper fault on this batch")
    return_request = order.returns.get()
    assert location == reverse("admin:returns_returnrequest_change", args=[return_request.pk])
    assert return_request.override_reason == "Known zipper fault on this batch"
    assert return_request.state == ReturnState.REQUESTED  # an override is never approved automatically
    first = return_request.history.get()
    assert (first.actor, first.note) == ("warehouse", "Staff override: Known zipper fault on this batch")


def test_asking_for_more_than_was_bought_is_refused_on_the_line(warehouse: Client) -> None:
    order, line_id = old_order()
    response = warehouse.post(
        reverse("admin:returns_order_staff_return", args=[order.pk]),
        {f"line-{line_id}-quantity": "3", f"line-{line_id}-reason": "defective", "resolution": "refund",
         "method": "label", "override_reason": "x"},
    )  # fmt: skip
    assert response.status_code == 200
    assert "less than or equal to 2" in response.content.decode()
    assert not order.returns.exists()


def a_return(reason: str = "too_big") -> ReturnRequest:
    line = OrderLineFactory()
    return return_create(order=line.order, lines=[LineRequest(line.id, 1, reason)], resolution="refund", method="label")


def test_the_returns_list_filters_by_reason_and_late_refunds(warehouse: Client) -> None:
    too_big, defective = a_return("too_big"), a_return("changed_mind")
    ReturnRequest.objects.filter(pk=defective.pk).update(refund_due_on=timezone.localdate() - dt.timedelta(days=1))
    url = reverse("admin:returns_returnrequest_changelist")
    by_reason = warehouse.get(url, {"reason": "too_big"}).content.decode()
    assert too_big.number in by_reason and defective.number not in by_reason
    late = warehouse.get(url, {"refund_due": "late"}).content.decode()
    assert defective.number in late and too_big.number not in late


def test_the_returns_list_costs_the_same_queries_for_few_or_many(warehouse: Client) -> None:
    url = reverse("admin:returns_returnrequest_changelist")
    a_return()
    warehouse.get(url)  # warm the policy cache and the session
    with CaptureQueriesContext(connection) as few:
        assert warehouse.get(url, {"refund_due": "late", "reason": "too_big"}).status_code == 200
    for _ in range(15):
        a_return()
    with CaptureQueriesContext(connection) as many:
        assert warehouse.get(url, {"refund_due": "late", "reason": "too_big"}).status_code == 200
    assert len(many) == len(few)


def test_shipping_a_replacement_asks_for_tracking_and_completes_the_exchange(
    warehouse: Client, warehouse_user: User
) -> None:
    line = OrderLineFactory()
    larger = VariantFactory(product=line.variant.product, option="L")
    return_request = return_create(
        order=line.order,
        lines=[LineRequest(line.id, 1, "too_small", exchange_variant_id=larger.id)],
        resolution="exchange",
        method="label",
    )
    return_receive(
        return_request=return_request,
        lines=[ReceivedLine(return_request.lines.get().id, 1, "resellable", accept=True)],
        by=warehouse_user,
    )
    replacement = Order.objects.get(replacement_for=return_request)
    url = reverse("admin:returns_order_changelist")
    asked = warehouse.post(url, {"action": "ship_replacement", "_selected_action": [replacement.pk]})
    assert "Tracking number" in asked.content.decode()
    warehouse.post(
        url, {"action": "ship_replacement", "apply": "1", "_selected_action": [replacement.pk], "answer": "CR1SE"}
    )
    replacement.refresh_from_db()
    return_request.refresh_from_db()
    assert (replacement.shipment_tracking, return_request.state) == ("CR1SE", ReturnState.COMPLETED)
    link = reverse("admin:returns_order_change", args=[replacement.pk])
    assert link not in warehouse.get(url, {"replacement": "to_ship"}).content.decode()
    assert link in warehouse.get(url, {"replacement": "shipped"}).content.decode()


def goodwill(client: Client, order: Order, amount: str, key: str = "k1", reason: str = "Late delivery") -> str:
    response = client.post(
        reverse("admin:refunds_refund_goodwill"),
        {"order": order.number, "amount": amount, "method": "original_payment", "reason": reason, "key": key},
    )
    return response.content.decode() if response.status_code == 200 else response["Location"]


def test_a_goodwill_refund_needs_a_reason_stays_within_what_was_paid_and_is_made_once(warehouse: Client) -> None:
    order = OrderFactory(shipping_amount=Decimal("0"))
    OrderLineFactory(order=order, unit_price=Decimal("200.00"))
    assert "This field is required" in goodwill(warehouse, order, "50", reason="")
    assert "Only SEK200.00 of this order can still be refunded." in goodwill(warehouse, order, "250")
    assert not Refund.objects.exists()
    location = goodwill(warehouse, order, "50")
    refund = Refund.objects.get()
    assert location == reverse("admin:refunds_refund_change", args=[refund.pk])
    assert (refund.amount, refund.reason, refund.state, refund.return_request) == (
        Decimal("50.00"),
        "Late delivery",
        "pending",
        None,
    )
    goodwill(warehouse, order, "50")  # the same form sent again
    assert Refund.objects.count() == 1


@pytest.mark.parametrize("typed", ["email", "order", "number", "name"])
def test_the_returns_and_orders_lists_search_like_the_support_page(warehouse: Client, typed: str) -> None:
    wanted, other = a_return(), a_return()
    customer = wanted.order.customer
    customer.name = "Astrid Lindqvist"
    customer.save()
    term = {
        "email": customer.email.upper(),
        "order": wanted.order.number,
        "number": wanted.number.lower().replace("-", " "),
        "name": "lindq",
    }[typed]
    returns = warehouse.get(reverse("admin:returns_returnrequest_changelist"), {"q": term}).content.decode()
    assert wanted.number in returns and other.number not in returns
    if typed != "number":
        orders = warehouse.get(reverse("admin:returns_order_changelist"), {"q": term}).content.decode()
        assert reverse("admin:returns_order_change", args=[wanted.order.pk]) in orders
        assert reverse("admin:returns_order_change", args=[other.order.pk]) not in orders


def a_pickup(day: dt.date, reference: str = "", window: str = "", problem: str = "") -> ReturnRequest:
    """A home pickup as the carrier left it: booked (reference, window), refused (problem) or not yet booked."""
    return_request = a_return()
    ReturnRequest.objects.filter(pk=return_request.pk).update(
        method="pickup", pickup_date=day, pickup_reference=reference, pickup_window=window, pickup_problem=problem
    )
    return return_request


def test_the_returns_list_shows_pickups_and_filters_those_to_collect_on_a_day(warehouse: Client) -> None:
    from returns.services import return_transition

    today = timezone.localdate()
    due_today = a_pickup(today, "PU-1", "08:00–12:00")
    due_tomorrow = a_pickup(today + dt.timedelta(days=1), "PU-2", "12:00–16:00")
    refused = a_pickup(today + dt.timedelta(days=5), problem="No pickups in this postcode")
    cancelled = a_pickup(today, "PU-3", "08:00–12:00")
    return_transition(return_request=cancelled, to=ReturnState.CANCELLED)
    by_label = a_return()
    url = reverse("admin:returns_returnrequest_changelist")

    def listed(value: str) -> set[str]:
        page = warehouse.get(url, {"pickup": value}).content.decode()
        return {r.number for r in (due_today, due_tomorrow, refused, cancelled, by_label) if r.number in page}

    assert listed("today") == {due_today.number}
    assert listed("tomorrow") == {due_tomorrow.number}
    assert listed((today + dt.timedelta(days=5)).isoformat()) == {refused.number}
    assert listed("problem") == {refused.number}
    assert listed("not-a-day") == set()
    everything = warehouse.get(url).content.decode()
    assert "08:00–12:00, ref PU-1" in everything
    assert "could not be booked: No pickups in this postcode" in everything
    assert 'type="date" name="pickup"' in everything  # any other day


def test_the_return_admin_page_shows_the_pickup(warehouse: Client) -> None:
    booked = a_pickup(dt.date(2026, 12, 8), "PU-9", "08:00–18:00")
    page = warehouse.get(reverse("admin:returns_returnrequest_change", args=[booked.pk])).content.decode()
    assert "Tue 8 Dec 2026, 08:00–18:00, ref PU-9" in page
