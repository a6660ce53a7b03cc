"""Reconciliation asks the providers about refunds left processing, so a lost webhook never leaves a
customer waiting silently; a refund still under way after long is shown to staff."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest
from django.core.management import call_command
from django.test import Client

from followup.models import OutboxMessage
from refunds.models import Refund, RefundState
from refunds.providers import Outcome, PayoutResult
from refunds.providers.fake import FakeConnectedProvider
from refunds.reconcile import RECONCILE_AFTER, STUCK_AFTER, reconcile_processing_refunds, refunds_stuck
from refunds.services import PROVIDER_KEY_LIFETIME, refund_execute
from refunds.tasks import reconcile_processing_refunds as reconcile_task
from tests.refunds.paid_through import order_paid_through, returned_and_inspected

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("free_returns")]


def accepted(connected: type[FakeConnectedProvider], provider: str = "adyen", step: str = "wait") -> Refund:
    connected.reset(step)
    refund = refund_execute(refund=returned_and_inspected(order_paid_through(provider, "500.00")).refunds.get())
    refund.refresh_from_db()
    return refund


def test_a_refund_whose_webhook_was_lost_is_settled_by_asking_the_provider(
    connected: type[FakeConnectedProvider], clock: Any
) -> None:
    refund = accepted(connected)
    connected.settle(refund.idempotency_key, Outcome.SUCCEEDED, fee=Decimal("0.80"))  # its webhook never came
    assert reconcile_processing_refunds() == 0  # too young: its webhook may be on the way
    clock.shift(RECONCILE_AFTER + dt.timedelta(minutes=1))
    assert reconcile_task() == 1
    refund.refresh_from_db()
    assert (refund.state, refund.provider_fee) == ("succeeded", Decimal("0.80"))
    assert refund.history.filter(to_state="succeeded", actor="adyen").count() == 1
    assert reconcile_processing_refunds() == 0  # settled: not asked again
    assert OutboxMessage.objects.filter(key=f"refund:{refund.pk}").count() == 1


def test_a_refund_the_provider_declined_later_fails_with_its_reason(
    connected: type[FakeConnectedProvider], clock: Any
) -> None:
    refund = accepted(connected, "stripe")
    connected.settle(refund.idempotency_key, Outcome.FAILED, error="charge_for_pending_refund_disputed")
    clock.shift(RECONCILE_AFTER * 2)
    reconcile_processing_refunds()
    refund.refresh_from_db()
    assert (refund.state, refund.last_error) == ("failed", "charge_for_pending_refund_disputed")


def test_one_still_under_way_stays_processing_and_after_long_is_shown_to_staff_and_support(
    connected: type[FakeConnectedProvider], clock: Any, client: Client, admin_user: Any
) -> None:
    refund = accepted(connected)
    clock.shift(RECONCILE_AFTER * 2)
    assert reconcile_processing_refunds() == 1
    refund.refresh_from_db()
    assert refund.state == RefundState.PROCESSING and not refunds_stuck().exists()
    clock.shift(STUCK_AFTER)
    reconcile_processing_refunds()
    assert list(refunds_stuck()) == [refund]
    client.force_login(admin_user)  # now: a session from two days ago would have timed out
    listing = client.get("/admin/refunds/refund/?attention=stuck").content.decode()
    assert f"/admin/refunds/refund/{refund.pk}/change/" in listing and "no answer from the provider" in listing
    support = client.get("/support/", {"q": refund.order.number}).content.decode()
    assert "No answer from Adyen since" in support


def test_a_refund_never_answered_is_sent_again_with_the_same_key(
    connected: type[FakeConnectedProvider], clock: Any
) -> None:
    refund = accepted(connected, "klarna", step="timeout")  # taken by the provider, its answer lost
    assert refund.provider_reference == ""
    clock.shift(RECONCILE_AFTER * 2)
    reconcile_processing_refunds()
    refund.refresh_from_db()
    assert refund.provider_reference == "fake-refund-1" and refund.state == "processing"
    assert [request.idempotency_key for request in connected.requests] == [refund.idempotency_key] * 2


def test_a_provider_that_does_not_answer_the_question_leaves_everything_as_it_was(
    connected: type[FakeConnectedProvider], clock: Any
) -> None:
    refund = accepted(connected)
    connected.down = True
    clock.shift(RECONCILE_AFTER * 2)
    assert reconcile_processing_refunds() == 1
    refund.refresh_from_db()
    assert refund.state == RefundState.PROCESSING


def test_manual_transfers_are_not_asked_about(connected: type[FakeConnectedProvider], clock: Any) -> None:
    manual = refund_execute(refund=returned_and_inspected(order_paid_through("", "500.00")).refunds.get())
    assert manual.state == "processing"  # waiting for staff to confirm the transfer
    clock.shift(STUCK_AFTER * 2)
    assert reconcile_processing_refunds() == 0 and not refunds_stuck().exists()


def test_run_periodic_reconciles_too(connected: type[FakeConnectedProvider], clock: Any) -> None:
    import io

    accepted(connected)
    clock.shift(RECONCILE_AFTER * 2)
    out = io.StringIO()
    call_command("run_periodic", stdout=out)
    assert "1 refunds asked about at payment providers" in out.getvalue()


def test_staff_paying_again_a_refund_the_provider_accepted_asks_about_it_and_sends_nothing_again(
    connected: type[FakeConnectedProvider], admin_client: Client
) -> None:
    refund = accepted(connected, "stripe")  # accepted as fake-refund-1; its webhook never came
    connected.settle(refund.idempotency_key, Outcome.SUCCEEDED)
    admin_client.post("/admin/refunds/refund/", {"action": "pay", "_selected_action": [refund.pk]})
    refund.refresh_from_db()
    assert (refund.state, refund.provider_reference) == ("succeeded", "fake-refund-1")
    assert len(connected.requests) == 1


def test_a_refund_whose_answer_was_lost_over_a_day_ago_is_looked_up_before_it_is_sent_again(
    connected: type[FakeConnectedProvider], clock: Any
) -> None:
    found = accepted(connected, "stripe", step="timeout")  # made at the provider, its answer lost
    clock.shift(PROVIDER_KEY_LIFETIME + dt.timedelta(hours=1))
    reconcile_processing_refunds()
    found.refresh_from_db()
    assert (found.state, found.provider_reference) == ("processing", "fake-refund-1")
    assert len(connected.requests) == 1  # found by our key: not sent again

    never_made = accepted(connected, "klarna", step="timeout")
    connected.answers.clear()  # the provider has no refund with our key: it was never made
    clock.shift(PROVIDER_KEY_LIFETIME + dt.timedelta(hours=1))
    refund_execute(refund=never_made)
    never_made.refresh_from_db()
    assert [request.idempotency_key for request in connected.requests] == [never_made.idempotency_key] * 2


def test_a_refund_still_under_way_is_noted_once_and_keeps_what_the_provider_said(
    connected: type[FakeConnectedProvider], clock: Any
) -> None:
    refund = accepted(connected)
    for _pass in range(3):
        clock.shift(RECONCILE_AFTER * 2)
        connected.answers[refund.idempotency_key] = PayoutResult(
            Outcome.WAITING, reference=refund.provider_reference, error="look it up in the Customer Area"
        )
        reconcile_processing_refunds()
    refund.refresh_from_db()
    assert refund.state == RefundState.PROCESSING and refund.last_error == "look it up in the Customer Area"
    assert refund.history.filter(note__contains="accepted the refund as").count() == 1
