"""The dashboard's money panel (issue #15): refunds paid per currency, the average wait from the customer's
request to the payout and the share paid late, over refunds for returns, store credit and goodwill
alike, read from the refunds alone (`Refund.requested_at`) in one grouped query, with no join."""

from __future__ import annotations

import datetime as dt
import importlib
from decimal import Decimal

import pytest
import time_machine
from django.apps import apps
from django.contrib.auth.models import User
from django.db import connection
from django.db.models import Sum
from django.test import TestCase
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from refunds.insight import money
from refunds.models import Refund, RefundState
from refunds.services import RefundLineIn, refund_confirm, refund_create, refund_execute
from returns.models import ReturnRequest
from returns.services import LineRequest, ReceivedLine, return_create, return_receive
from returns_portal.core.periods import Period
from tests.factories import OrderFactory, OrderLineFactory

pytestmark = pytest.mark.django_db
DAY = dt.timedelta(days=1)


@pytest.fixture
def staff() -> User:
    return User.objects.create_user("lager", is_staff=True)


def a_return(resolution: str) -> ReturnRequest:
    order = OrderFactory()
    line = OrderLineFactory(order=order, unit_price=Decimal("1000.00"))
    return return_create(order=order, lines=[LineRequest(line.pk, 1, "too_big")], resolution=resolution, method="label")


def paid(return_request: ReturnRequest, staff: User) -> Refund:
    """Received and inspected now, and its refund paid now (store credit is paid at inspection)."""
    [line] = return_request.lines.all()
    with TestCase.captureOnCommitCallbacks(execute=True):
        return_receive(return_request=return_request, lines=[ReceivedLine(line.pk, 1, "resellable", accept=True)],
                       by=staff)  # fmt: skip
    return pay(return_request.refunds.get(), staff)


def pay(refund: Refund, staff: User) -> Refund:
    refund = refund_execute(refund=refund, by=staff)
    if refund.state != RefundState.SUCCEEDED:  # the manual provider waits for staff to say it is paid
        refund = refund_confirm(refund=refund, by=staff, reference=f"BG {refund.pk}")
    assert refund.state == RefundState.SUCCEEDED
    return refund


def goodwill(currency: str, amount: str) -> Refund:
    order = OrderFactory(currency=currency)
    OrderLineFactory(order=order, unit_price=Decimal("500.00"))
    lines = [RefundLineIn("goodwill", Decimal(amount), Decimal("25"))]
    return refund_create(order=order, lines=lines, method="bank_transfer", idempotency_key=f"gw-{order.pk}",
                         reason="Parcel late")  # fmt: skip


def test_paid_waits_and_late_share_over_returns_store_credit_and_goodwill(
    clock: time_machine.Traveller, staff: User
) -> None:
    asked = timezone.now()
    refunded, credited, late = a_return("refund"), a_return("store_credit"), a_return("refund")
    never_paid = goodwill("SEK", "20.00")  # due in 14 days, still owed at the end
    clock.shift(2 * DAY)
    for_refund, for_credit = paid(refunded, staff), paid(credited, staff)
    euros = pay(goodwill("EUR", "100.00"), staff)  # paid at once: not a wait, never late
    clock.shift(18 * DAY)
    for_late = paid(late, staff)  # 20 days after the request, 6 after its due day

    assert [refund.requested_at for refund in (for_refund, for_credit, for_late)] == [asked] * 3
    assert (euros.requested_at, never_paid.requested_at) == (asked + 2 * DAY, asked)
    assert for_credit.method == "store_credit" and for_late.paid_at.date() > for_late.due_on
    with CaptureQueriesContext(connection) as queries:
        figures = money(Period(asked - DAY, timezone.now() + DAY))
    sek = Refund.objects.filter(currency="SEK", state=RefundState.SUCCEEDED).aggregate(total=Sum("amount"))["total"]
    assert figures.paid == [("EUR", Decimal("100.00"), 1), ("SEK", sek, 3)]
    assert figures.average_days == Decimal("8.0")  # (2 + 2 + 20) / 3; the goodwill refunds are not waits
    assert figures.late_share == Decimal(1) / 3
    assert figures.open_late == 1
    assert len(queries) == 2  # the paid refunds grouped by currency; the late ones still owed
    assert not any("returns_returnrequest" in query["sql"] for query in queries.captured_queries)


def test_the_migration_gives_existing_refunds_their_request_time(clock: time_machine.Traveller, staff: User) -> None:
    refunded = a_return("refund")
    clock.shift(3 * DAY)
    for_return, gift = paid(refunded, staff), goodwill("SEK", "50.00")
    Refund.objects.update(requested_at=timezone.now() - 900 * DAY)
    importlib.import_module("refunds.migrations.0008_refund_requested_at").fill_requested_at(apps, None)
    for_return.refresh_from_db()
    gift.refresh_from_db()
    assert (for_return.requested_at, gift.requested_at) == (refunded.created_at, gift.created_at)
