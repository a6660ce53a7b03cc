"""Return insight: rates, reasons, product flags with hints, customer flags, and a bookkeeping
report whose totals reconcile with the refunds to the cent."""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections import defaultdict
from decimal import Decimal

import pytest
from django.contrib.auth.models import User
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from refunds.bookkeeping import HEADER, report_csv
from refunds.models import Refund, RefundLine
from refunds.services import RefundLineIn, refund_confirm, refund_create, refund_execute
from returns.insight import category_rates, customer_flags, product_flags, product_rates
from returns.models import ReturnRequest, ReturnState
from returns.services import LineRequest, ReceivedLine, return_create, return_receive, return_transition
from returns_portal.core.periods import Period
from tests.factories import (
    CategoryFactory,
    CustomerFactory,
    OrderFactory,
    OrderLineFactory,
    ProductFactory,
    VariantFactory,
)

pytestmark = pytest.mark.django_db
DAY = dt.timedelta(days=1)


@pytest.fixture
def staff() -> User:
    return User.objects.create_user("lager", is_staff=True)


def sell(product, units: int, *, returned: int = 0, reason: str = "too_small", customer=None) -> list[ReturnRequest]:
    """`units` orders of one unit each, 20 days ago; the first `returned` of them come back."""
    variant = VariantFactory(product=product)
    returns = []
    for index in range(units):
        order = OrderFactory(customer=customer or CustomerFactory(), placed_at=timezone.now() - 20 * DAY,
                             delivered_at=timezone.now() - 18 * DAY)  # fmt: skip
        line = OrderLineFactory(order=order, variant=variant, quantity=1)
        if index < returned:
            returns.append(
                return_create(order=order, lines=[LineRequest(line.id, 1, reason)], resolution="refund", method="label")
            )
    return returns


def last_month() -> Period:
    return Period(timezone.now() - 30 * DAY, timezone.now())


def test_a_product_returned_far_above_its_category_for_one_reason_is_flagged_with_a_hint() -> None:
    shoes = CategoryFactory(code="shoes", name="Shoes")
    runner, boot, sandal = (ProductFactory(category=shoes, name=name) for name in ("Trail runner", "Boot", "Sandal"))
    sell(runner, 10, returned=6, reason="too_small")
    sell(boot, 10, returned=1, reason="changed_mind")
    sell(sandal, 10)
    rates = {rate.name: (rate.sold, rate.returned) for rate in product_rates(last_month())}
    assert rates == {"Trail runner": (10, 6), "Boot": (10, 1), "Sandal": (10, 0)}
    [category] = category_rates(last_month())
    assert (category.sold, category.returned) == (30, 7)
    [flag] = product_flags(last_month())
    assert (flag.product.name, flag.reason, flag.share) == ("Trail runner", "too_small", Decimal(1))
    assert "size guide" in flag.hint


def test_rejected_and_cancelled_returns_do_not_count() -> None:
    product = ProductFactory()
    [kept, cancelled] = sell(product, 3, returned=2)
    return_transition(return_request=cancelled, to=ReturnState.CANCELLED, actor="customer")
    [rate] = product_rates(last_month())
    assert (rate.sold, rate.returned) == (3, 1)
    del kept


def test_empty_boxes_flag_a_customer_for_a_closer_look(staff: User) -> None:
    customer = CustomerFactory()
    for return_request in sell(ProductFactory(), 3, returned=2, customer=customer):
        line = return_request.lines.get()
        return_receive(return_request=return_request, by=staff,
                       lines=[ReceivedLine(line.id, 0, "missing", accept=False, reason="Empty box")])  # fmt: skip
    flags = customer_flags([customer.pk], now=timezone.now())
    assert "2 parcels empty or with another item" in flags[customer.pk].reasons


def paid_refund(order, lines: list[RefundLineIn], key: str, staff: User) -> Refund:
    refund = refund_create(order=order, lines=lines, method="bank_transfer", idempotency_key=key, reason="test")
    refund_execute(refund=refund, by=staff)
    return refund_confirm(refund=refund, by=staff, reference=f"BG-{key}")


def test_the_bookkeeping_totals_reconcile_with_the_refunds_to_the_cent(staff: User) -> None:
    sek = OrderFactory(currency="SEK")
    OrderLineFactory(order=sek, unit_price=Decimal("5000"), quantity=1)
    eur = OrderFactory(currency="EUR")
    OrderLineFactory(order=eur, unit_price=Decimal("5000"), quantity=1)
    paid_refund(sek, [RefundLineIn("goodwill", Decimal("499.00"), Decimal("25")),
                      RefundLineIn("goodwill", Decimal("89.90"), Decimal("12")),
                      RefundLineIn("return_fee", Decimal("-49.00"))], "a", staff)  # fmt: skip
    paid_refund(sek, [RefundLineIn("goodwill", Decimal("0.03"), Decimal("6"))], "b", staff)
    paid_refund(eur, [RefundLineIn("goodwill", Decimal("129.99"), Decimal("25.5")),
                      RefundLineIn("goodwill", Decimal("33.33"), Decimal("14"))], "c", staff)  # fmt: skip
    rows = list(csv.reader(io.StringIO("".join(report_csv(Period(timezone.now() - DAY, timezone.now() + DAY))))))
    assert rows[0] == HEADER
    column = {name: index for index, name in enumerate(HEADER)}
    refunds, totals = [row for row in rows[1:] if row[0] != "TOTAL"], [row for row in rows[1:] if row[0] == "TOTAL"]
    assert len(refunds) == 3
    vat_columns = [name for name in HEADER if name.startswith("vat_")]
    for row in refunds:  # every row: net + VAT = gross
        vat = sum(Decimal(row[column[name]]) for name in vat_columns)
        assert Decimal(row[column["net"]]) + vat == Decimal(row[column["gross"]])
    expected_vat: dict[tuple[str, str], Decimal] = defaultdict(Decimal)
    for line in RefundLine.objects.select_related("refund"):
        if line.vat_amount:
            expected_vat[line.refund.currency, f"vat_{line.vat_rate.normalize()}"] += line.vat_amount
    for total in totals:
        currency = total[column["currency"]]
        assert Decimal(total[column["gross"]]) == sum(r.amount for r in Refund.objects.filter(currency=currency))
        for name in vat_columns:
            assert Decimal(total[column[name]]) == expected_vat.get((currency, name), Decimal(0)), (currency, name)
    sek_total = next(total for total in totals if total[column["currency"]] == "SEK")
    assert (sek_total[column["gross"]], sek_total[column["vat_25"]], sek_total[column["vat_12"]]) == (
        "539.93", "99.80", "9.63"
    )  # fmt: skip
    assert sek_total[column["fees_kept"]] == "49.00"


def test_the_dashboard_renders_with_csv_panels_in_a_fixed_number_of_queries(admin_client: Client) -> None:
    shoes = CategoryFactory(code="shoes", name="Shoes")
    runner = ProductFactory(category=shoes, name="Trail runner")
    sell(runner, 6, returned=5)
    sell(ProductFactory(category=shoes), 10)
    url = reverse("insight")
    with CaptureQueriesContext(connection) as few:
        page = admin_client.get(url).content.decode()
    assert "Trail runner" in page and "size guide" in page and "<svg" in page
    sell(ProductFactory(category=shoes), 10, returned=3)
    with CaptureQueriesContext(connection) as many:
        admin_client.get(url)
    assert len(many) == len(few)
    products = admin_client.get(url, {"csv": "products"})
    assert products["Content-Type"].startswith("text/csv")
    assert "Trail runner,Shoes,6,5,0.8333,too_small" in products.content.decode()
    assert admin_client.get(url, {"csv": "nonsense"}).status_code == 400


def test_product_flags_are_in_the_api(admin_user: User) -> None:
    from rest_framework.test import APIClient

    shoes = CategoryFactory(code="shoes", name="Shoes")
    sell(ProductFactory(category=shoes, name="Trail runner"), 6, returned=5)
    sell(ProductFactory(category=shoes), 10)
    client = APIClient()
    client.force_authenticate(admin_user)
    [flag] = client.get("/api/v1/insight/product-flags/", {"days": 60}).data
    assert (flag["product"], flag["reason"]) == ("Trail runner", "too_small")
    assert client.get("/api/v1/insight/product-flags/", {"days": 0}).status_code == 400
