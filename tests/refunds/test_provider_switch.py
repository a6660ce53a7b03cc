"""A refund the provider declined: staff see its reason, try it again with the same key, or pay it by
bank transfer or store credit instead, in one action with a recorded reason; it is never paid twice."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from refunds.caps import RefundRefused
from refunds.models import Refund, RefundState, StoreCredit
from refunds.providers.fake import FakeConnectedProvider
from refunds.services import RefundLineIn, refund_create, refund_execute
from refunds.switching import refund_switch
from tests.refunds.paid_through import order_paid_through, returned_and_inspected, staff_user

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("free_returns")]
CHANGELIST = "/admin/refunds/refund/"


def declined(connected: type[FakeConnectedProvider], provider: str = "klarna") -> Refund:
    connected.reset("fail")
    refund = refund_execute(refund=returned_and_inspected(order_paid_through(provider, "500.00")).refunds.get())
    assert refund.state == RefundState.FAILED
    return refund


def test_the_admin_shows_the_providers_reason_refund_id_fee_and_events(
    connected: type[FakeConnectedProvider], admin_client: Client
) -> None:
    refund = declined(connected)
    page = admin_client.get(f"{CHANGELIST}{refund.pk}/change/").content.decode()
    assert "refund_declined: the payment was disputed" in page
    assert "fake-refund-1" in page and "provider&#x27;s webhook events" in page.lower()
    listing = admin_client.get(CHANGELIST, {"attention": "failed"}).content.decode()
    assert f"{CHANGELIST}{refund.pk}/change/" in listing and "failed: retry or switch" in listing
    support = admin_client.get("/support/", {"q": refund.order.number}).content.decode()
    assert "Klarna's reason: refund_declined: the payment was disputed" in support
    assert "Klarna refund id" in support and "fake-refund-1" in support


def test_switching_to_bank_transfer_asks_why_records_it_and_pays_once(
    connected: type[FakeConnectedProvider], admin_client: Client
) -> None:
    failed = declined(connected)
    asked = admin_client.post(CHANGELIST, {"action": "switch_to_bank_transfer", "_selected_action": [failed.pk]})
    assert asked.status_code == 200 and "Why (kept in both refunds" in asked.content.decode()
    assert Refund.objects.count() == 1  # nothing happens before the reason is given
    answer = {"action": "switch_to_bank_transfer", "_selected_action": [failed.pk], "apply": "1"}
    page = admin_client.post(CHANGELIST, {**answer, "answer": "Klarna refused: the customer's card was closed"},
                             follow=True).content.decode()  # fmt: skip
    assert "Switched to bank transfer 1" in page
    transfer = Refund.objects.get(replaces=failed)
    assert (transfer.method, transfer.provider, transfer.state) == ("bank_transfer", "manual", "processing")
    assert transfer.amount == failed.amount
    assert "the customer's card was closed" in transfer.history.get(to_state="pending").note
    assert failed.history.filter(note__contains=f"as refund #{transfer.pk}").exists()
    failed.refresh_from_db()
    assert failed.state == RefundState.FAILED and failed.replacement == transfer

    again = admin_client.post(CHANGELIST, {**answer, "answer": "again"}, follow=True).content.decode()
    assert "Switched to bank transfer 1" in again and Refund.objects.count() == 2  # the same replacement
    with pytest.raises(RefundRefused, match="paid another way instead"):
        refund_execute(refund=failed)  # the failed one is never tried again
    assert connected.paid_total() == 0


def test_a_switch_needs_a_reason_and_a_failed_refund(connected: type[FakeConnectedProvider]) -> None:
    failed = declined(connected)
    staff = staff_user()
    with pytest.raises(RefundRefused, match="Say why"):
        refund_switch(refund=failed, method="store_credit", reason="  ", by=staff)
    with pytest.raises(RefundRefused, match="bank transfer or as store credit"):
        refund_switch(refund=failed, method="original_payment", reason="x", by=staff)
    connected.reset()
    paid = refund_execute(refund=failed)
    with pytest.raises(RefundRefused, match="Only a failed refund"):
        refund_switch(refund=paid, method="store_credit", reason="Customer asked", by=staff)
    assert Refund.objects.count() == 1


def test_switching_to_store_credit_issues_the_code_at_once(connected: type[FakeConnectedProvider]) -> None:
    failed = declined(connected, "adyen")
    credit = refund_switch(refund=failed, method="store_credit", reason="Customer prefers a code", by=staff_user())
    assert credit.state == RefundState.SUCCEEDED
    assert StoreCredit.objects.get(refund=credit).amount >= failed.amount
    with pytest.raises(RefundRefused, match="already paid another way"):
        refund_switch(refund=failed, method="bank_transfer", reason="Changed my mind", by=staff_user())


def test_a_switched_goodwill_refund_is_never_paid_twice_even_where_the_order_has_room(
    connected: type[FakeConnectedProvider],
) -> None:
    order = order_paid_through("stripe", "1000.00")
    connected.reset("fail")
    goodwill = refund_create(
        order=order,
        lines=[RefundLineIn("goodwill", Decimal("100.00"))],
        method="original_payment",
        idempotency_key="goodwill:1",
        reason="Late delivery",
    )
    failed = refund_execute(refund=goodwill)
    transfer = refund_switch(refund=failed, method="bank_transfer", reason="Card expired", by=staff_user())
    assert transfer.reason == "Late delivery"
    with pytest.raises(RefundRefused):
        refund_execute(refund=failed)
    assert connected.paid_total() == 0


def test_the_refunds_list_reads_the_same_number_of_rows_however_many_refunds_it_shows(
    connected: type[FakeConnectedProvider], admin_client: Client
) -> None:
    def queries_to_list() -> int:
        with CaptureQueriesContext(connection) as listed:
            assert admin_client.get(CHANGELIST).status_code == 200
        return len(listed)

    refund_switch(refund=declined(connected), method="store_credit", reason="Card closed", by=staff_user())
    few = queries_to_list()
    for _more in range(3):
        declined(connected)
    refund_switch(refund=declined(connected), method="store_credit", reason="Card closed", by=staff_user())
    assert queries_to_list() == few
