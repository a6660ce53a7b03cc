"""The bookkeeping report carries who paid each refund, the provider's refund id and, where the
provider reported one, its fee; the columns it had keep their place."""

from __future__ import annotations

import csv
import datetime as dt
import io

import pytest
from django.utils import timezone

from refunds.api import RefundOut
from refunds.bookkeeping import HEADER, report_csv
from refunds.events import refund_event_payload
from refunds.providers.fake import FakeConnectedProvider
from refunds.services import refund_confirm, refund_execute
from returns_portal.core.periods import Period
from tests.refunds.paid_through import order_paid_through, returned_and_inspected, staff_user

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("free_returns")]
DAY = dt.timedelta(days=1)


def test_provider_refund_id_and_fee_are_appended_to_the_report(connected: type[FakeConnectedProvider]) -> None:
    assert HEADER[:18] == [
        "paid_on", "order", "return", "method", "currency", "gross", "vat_25.5", "vat_25", "vat_15", "vat_14",
        "vat_12", "vat_10", "vat_6", "vat_0", "vat_other", "net", "fees_kept", "store_credit_issued",
    ]  # fmt: skip
    assert HEADER[18:] == ["provider_reference", "provider", "provider_fee"]
    klarna = refund_execute(refund=returned_and_inspected(order_paid_through("klarna", "500.00")).refunds.get())
    manual = refund_execute(refund=returned_and_inspected(order_paid_through("", "300.00")).refunds.get())
    refund_confirm(refund=manual, by=staff_user(), reference="SEB-4411")
    rows = list(csv.reader(io.StringIO("".join(report_csv(Period(timezone.now() - DAY, timezone.now() + DAY))))))
    column = {name: index for index, name in enumerate(HEADER)}
    by_order = {row[column["order"]]: row for row in rows[1:] if row[0] != "TOTAL"}
    paid = by_order[klarna.order.number]
    assert (paid[column["provider_reference"]], paid[column["provider"]], paid[column["provider_fee"]]) == (
        "fake-refund-1", "klarna", "1.50"
    )  # fmt: skip
    by_hand = by_order[manual.order.number]
    assert (by_hand[column["provider"]], by_hand[column["provider_fee"]]) == ("manual", "")  # no fee reported
    total = next(row for row in rows if row[0] == "TOTAL")
    assert total[column["provider_fee"]] == "1.50" and len(total) == len(HEADER)


def test_the_api_and_the_refund_webhook_carry_the_fee_where_the_provider_reported_one(
    connected: type[FakeConnectedProvider],
) -> None:
    stripe = refund_execute(refund=returned_and_inspected(order_paid_through("stripe", "500.00")).refunds.get())
    manual = refund_execute(refund=returned_and_inspected(order_paid_through("", "300.00")).refunds.get())
    assert (RefundOut(stripe).data["provider_fee"], refund_event_payload(stripe)["provider_fee"]) == ("1.50", "1.50")
    assert (RefundOut(manual).data["provider_fee"], refund_event_payload(manual)["provider_fee"]) == (None, None)
