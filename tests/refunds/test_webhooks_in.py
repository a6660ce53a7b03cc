"""Payment providers' webhooks: signed events settle a processing refund once; a bad signature is 400
and changes nothing; a replay changes nothing again; events out of order, about an unknown refund or
of an unknown kind are acknowledged and logged; the customer's refund e-mail goes out once."""

from __future__ import annotations

import logging
from decimal import Decimal
from typing import Any

import pytest
from django.test import Client

from followup.models import OutboxMessage
from refunds.caps import RefundRefused
from refunds.models import PaymentEvent, ProviderEventOutcome, Refund, RefundMethod, RefundState
from refunds.providers.fake import FAKE_SIGNATURE_HEADER, FakeConnectedProvider, fake_signature, fake_webhook_body
from refunds.services import refund_execute
from refunds.switching import refund_switch
from refunds.webhooks import MAX_BODY_BYTES
from tests.refunds.paid_through import order_paid_through, returned_and_inspected, staff_user

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("free_returns")]
URL = "/webhooks/payments/adyen/"


def waiting_refund(connected: type[FakeConnectedProvider]) -> Refund:
    """A refund Adyen accepted and will confirm by webhook."""
    connected.reset("wait")
    refund = refund_execute(refund=returned_and_inspected(order_paid_through("adyen", "500.00")).refunds.get())
    refund.refresh_from_db()
    assert refund.state == RefundState.PROCESSING and refund.provider_reference
    return refund


def event(event_id: str, about: Refund | None = None, **fields: Any) -> dict[str, Any]:
    """A REFUND success about a refund (by its provider id), changed by `fields`."""
    reference = about.provider_reference if about is not None else ""
    return {"id": event_id, "kind": "REFUND", "outcome": "succeeded", "refund": reference, **fields}


def post(client: Client, *events: dict[str, Any], signature: str | None = None, url: str = URL) -> Any:
    body = fake_webhook_body(*events)
    headers = {FAKE_SIGNATURE_HEADER: fake_signature(body) if signature is None else signature}
    return client.post(url, body, content_type="application/json", headers=headers)


def refund_mails(refund: Refund) -> int:
    return OutboxMessage.objects.filter(key=f"refund:{refund.pk}").count()


def test_a_signed_refund_event_settles_the_refund_once_and_the_customer_is_told_once(
    client: Client, connected: type[FakeConnectedProvider]
) -> None:
    refund = waiting_refund(connected)
    answer = post(client, event("evt-1", refund, fee="2.10"))
    assert (answer.status_code, answer["Content-Type"], answer.content) == (200, "text/plain", b"[accepted]")
    refund.refresh_from_db()
    assert refund.state == RefundState.SUCCEEDED and refund.paid_at is not None
    assert refund.provider_fee == Decimal("2.10")
    assert refund.history.filter(to_state="succeeded", actor="adyen").count() == 1
    assert refund.return_request.state == "completed"
    stored = PaymentEvent.objects.get()
    assert (stored.provider, stored.event_id, stored.refund, stored.outcome) == ("adyen", "evt-1", refund, "settled")
    assert stored.payload["body"]["events"][0]["id"] == "evt-1"

    assert post(client, event("evt-1", refund)).status_code == 200  # a replay: acknowledged, nothing again
    assert post(client, event("evt-2", refund)).status_code == 200  # the same news in another event
    refund.refresh_from_db()
    assert refund.history.filter(to_state="succeeded").count() == 1
    assert refund_mails(refund) == 1
    assert list(PaymentEvent.objects.order_by("id").values_list("event_id", "outcome")) == [
        ("evt-1", "settled"),
        ("evt-2", "noted"),
    ]


def test_a_bad_signature_is_400_and_changes_nothing(client: Client, connected: type[FakeConnectedProvider]) -> None:
    refund = waiting_refund(connected)
    assert post(client, event("evt-1", refund), signature="0" * 64).status_code == 400
    assert post(client, event("evt-1", refund), signature="").status_code == 400
    body = fake_webhook_body(event("evt-1", refund))
    tampered = body.replace(b"succeeded", b"failed")
    headers = {FAKE_SIGNATURE_HEADER: fake_signature(body)}
    assert client.post(URL, tampered, content_type="application/json", headers=headers).status_code == 400
    refund.refresh_from_db()
    assert refund.state == RefundState.PROCESSING and not PaymentEvent.objects.exists()


def test_a_failure_event_fails_the_refund_with_the_providers_reason(
    client: Client, connected: type[FakeConnectedProvider]
) -> None:
    refund = waiting_refund(connected)
    post(client, event("evt-1", refund, kind="REFUND_FAILED", outcome="failed", error="Refund declined by issuer"))
    refund.refresh_from_db()
    assert (refund.state, refund.last_error) == ("failed", "Refund declined by issuer")
    assert refund_mails(refund) == 0


def test_an_event_before_our_own_calls_answer_was_recorded_settles_the_refund_by_our_key(
    client: Client, connected: type[FakeConnectedProvider]
) -> None:
    connected.reset("timeout")  # Adyen took it, its answer was lost: we know neither its id nor the outcome
    refund = refund_execute(refund=returned_and_inspected(order_paid_through("adyen", "500.00")).refunds.get())
    assert refund.provider_reference == ""
    post(client, event("evt-1", refund="fake-refund-1", key=refund.idempotency_key))
    refund.refresh_from_db()
    assert (refund.state, refund.provider_reference) == ("succeeded", "fake-refund-1")
    again = refund_execute(refund=refund)  # our own try again, with the same key, comes afterwards
    assert again.state == "succeeded" and connected.paid_total() == 0  # the fake only settles on settle()
    assert refund.history.filter(to_state="succeeded").count() == 1


def test_a_failure_after_success_fails_the_paid_refund_for_staff_to_pay_again_once(
    client: Client, connected: type[FakeConnectedProvider]
) -> None:
    refund = waiting_refund(connected)
    post(client, event("evt-1", refund))
    reversal = event("evt-2", refund, kind="REFUND_FAILED", outcome="failed", error="Account closed")
    post(client, reversal)
    post(client, {**reversal, "id": "evt-3"})  # the same reversal told twice
    refund.refresh_from_db()
    assert (refund.state, refund.paid_at) == (RefundState.FAILED, None)
    assert "reversed the paid refund (REFUND_FAILED): Account closed" in refund.last_error
    assert [row.to_state for row in refund.history.all()] == ["pending", "processing", "processing", "succeeded",
                                                              "failed"]  # fmt: skip
    assert dict(PaymentEvent.objects.values_list("event_id", "outcome")) == {
        "evt-1": "settled", "evt-2": "reversed", "evt-3": "noted"
    }  # fmt: skip
    assert refund_mails(refund) == 1
    with pytest.raises(RefundRefused, match=r"reversed by the provider.*Switch it to bank transfer or store credit"):
        refund_execute(refund=refund)  # the same key again would only get the provider's first answer


def test_a_reversed_refund_is_not_tried_again_with_its_old_key_but_can_be_paid_another_way(
    admin_client: Client, client: Client, connected: type[FakeConnectedProvider]
) -> None:
    refund = waiting_refund(connected)
    post(client, event("evt-1", refund))
    post(client, event("evt-2", refund, kind="REFUND_FAILED", outcome="failed", error="Account closed"))
    sent = len(connected.requests)
    listing = admin_client.post(
        "/admin/refunds/refund/", {"action": "pay", "_selected_action": [refund.pk]}, follow=True
    ).content.decode()
    assert "reversed by the provider" in listing and len(connected.requests) == sent
    refund.refresh_from_db()
    assert refund.state == RefundState.FAILED
    switched = refund_switch(refund=refund, method=RefundMethod.BANK_TRANSFER, reason="Account closed", by=staff_user())
    assert (switched.replaces, switched.state) == (refund, RefundState.PROCESSING)


def test_a_success_of_an_earlier_try_of_a_refund_is_a_conflict_for_staff(
    client: Client, connected: type[FakeConnectedProvider], caplog: pytest.LogCaptureFixture
) -> None:
    refund = waiting_refund(connected)
    post(client, event("evt-1", refund, kind="REFUND", outcome="failed", error="Insufficient balance"))
    Refund.objects.filter(pk=refund.pk).update(provider_reference="fake-refund-2")  # tried again: a new refund id
    post(client, event("evt-2", refund="fake-refund-1", key=refund.idempotency_key))
    refund.refresh_from_db()
    assert refund.state == RefundState.FAILED
    assert PaymentEvent.objects.get(event_id="evt-2").outcome == ProviderEventOutcome.CONFLICT
    assert any(record.levelno >= logging.WARNING and "evt-2" in record.getMessage() for record in caplog.records)


def test_a_success_for_a_failed_refund_changes_no_state_and_is_shown_to_staff(
    client: Client, connected: type[FakeConnectedProvider], caplog: pytest.LogCaptureFixture
) -> None:
    refund = waiting_refund(connected)
    post(client, event("evt-1", refund, kind="REFUND", outcome="failed", error="Insufficient balance"))
    post(client, event("evt-2", refund))
    refund.refresh_from_db()
    assert refund.state == RefundState.FAILED
    assert "succeeded" in refund.last_error and "Check with the provider" in refund.last_error
    assert PaymentEvent.objects.get(event_id="evt-2").outcome == ProviderEventOutcome.CONFLICT
    assert any(record.levelname == "ERROR" and "evt-2" in record.getMessage() for record in caplog.records)
    assert refund_mails(refund) == 0


def test_news_of_an_earlier_try_does_not_settle_the_try_under_way(
    client: Client, connected: type[FakeConnectedProvider]
) -> None:
    refund = waiting_refund(connected)
    Refund.objects.filter(pk=refund.pk).update(provider_reference="fake-refund-2")  # tried again: a new refund id
    post(client, event("evt-1", refund="fake-refund-1", key=refund.idempotency_key, outcome="failed"))
    refund.refresh_from_db()
    assert refund.state == RefundState.PROCESSING
    assert PaymentEvent.objects.get().outcome == ProviderEventOutcome.NOTED


def test_unknown_refunds_and_unknown_kinds_are_acknowledged_logged_and_change_nothing(
    client: Client, connected: type[FakeConnectedProvider], caplog: pytest.LogCaptureFixture
) -> None:
    refund = waiting_refund(connected)
    answer = post(
        client,
        event("evt-1", refund="someone-elses-refund"),
        event("evt-2", refund, kind="REPORT_AVAILABLE", outcome=None),
    )
    assert answer.status_code == 200
    refund.refresh_from_db()
    assert refund.state == RefundState.PROCESSING
    assert dict(PaymentEvent.objects.values_list("event_id", "outcome")) == {
        "evt-1": "unknown_refund",
        "evt-2": "ignored",
    }
    assert any("someone-elses-refund" in record.getMessage() for record in caplog.records)


def test_only_signed_posts_to_a_known_provider_of_a_sensible_size_are_read(
    client: Client, connected: type[FakeConnectedProvider]
) -> None:
    assert client.get(URL).status_code == 405
    assert post(client, event("evt-1"), url="/webhooks/payments/paypal/").status_code == 404
    huge = b"x" * (MAX_BODY_BYTES + 1)
    assert client.post(URL, huge, content_type="application/json").status_code == 413
    assert not PaymentEvent.objects.exists()


def test_the_endpoint_needs_no_csrf_token_and_sets_no_cookie(connected: type[FakeConnectedProvider]) -> None:
    refund = waiting_refund(connected)
    strict = Client(enforce_csrf_checks=True)
    answer = post(strict, event("evt-1", refund))
    assert answer.status_code == 200 and not answer.cookies
