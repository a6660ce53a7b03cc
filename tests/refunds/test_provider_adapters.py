"""Refunds through the real Klarna, Adyen and Stripe adapters, against a local server answering as each
provider documents: paid once, settled by each provider's own signed webhook, once."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client
from pytest_httpserver import HTTPServer

from followup.models import OutboxMessage
from refunds.models import PaymentEvent, Refund, RefundState
from refunds.services import refund_execute
from tests.refunds.paid_through import REFERENCES, order_paid_through, returned_and_inspected
from tests.refunds.provider_server import (
    ProviderServer,
    adyen_notification,
    refund_id_of,
    stripe_event,
    stripe_refund,
)

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("free_returns")]


def settled_once(refund: Refund) -> None:
    refund.refresh_from_db()
    assert refund.state == RefundState.SUCCEEDED
    assert refund.history.filter(to_state="succeeded").count() == 1
    assert OutboxMessage.objects.filter(key=f"refund:{refund.pk}").count() == 1


def test_adyen_accepts_then_its_signed_refund_notification_settles_the_refund_once(
    httpserver: HTTPServer, settings: Any, client: Client
) -> None:
    server = ProviderServer("adyen", httpserver, settings)
    refund = refund_execute(refund=returned_and_inspected(order_paid_through("adyen", "500.00")).refunds.get())
    refund.refresh_from_db()
    assert (refund.state, refund.provider_reference) == ("processing", refund_id_of(refund.idempotency_key))
    assert server.keys == [refund.idempotency_key]
    body = adyen_notification(
        refund_id=refund.provider_reference, key=refund.idempotency_key, amount=refund.amount,
        payment=REFERENCES["adyen"],
    )  # fmt: skip
    for _delivery in range(2):  # Adyen delivers again until it reads [accepted]: a replay changes nothing
        answer = client.post("/webhooks/payments/adyen/", body, content_type="application/json")
        assert (answer.status_code, answer.content) == (200, b"[accepted]")
    settled_once(refund)
    forged = body.replace(b'"success": "true"', b'"success": "false"')
    assert client.post("/webhooks/payments/adyen/", forged, content_type="application/json").status_code == 400
    assert PaymentEvent.objects.count() == 1


def test_stripe_pending_then_its_signed_event_settles_the_refund_once(
    httpserver: HTTPServer, settings: Any, client: Client
) -> None:
    ProviderServer("stripe", httpserver, settings)
    return_request = returned_and_inspected(order_paid_through("stripe", "500.00"))
    key = return_request.refunds.get().idempotency_key
    httpserver.clear()
    httpserver.expect_request("/v1/refunds", method="POST").respond_with_json(
        stripe_refund("PENDING1", key, 50000, status="pending")
    )
    refund = refund_execute(refund=return_request.refunds.get())
    assert (refund.state, refund.provider_reference) == ("processing", "re_PENDING1")
    body, headers = stripe_event(stripe_refund("PENDING1", key, 50000, status="succeeded"))
    for _delivery in range(2):
        assert client.post("/webhooks/payments/stripe/", body, content_type="application/json",
                           headers=headers).status_code == 200  # fmt: skip
    settled_once(refund)
    assert client.post("/webhooks/payments/stripe/", body, content_type="application/json",
                       headers={"Stripe-Signature": "t=1,v1=00"}).status_code == 400  # fmt: skip


def test_klarna_down_then_its_notification_settles_the_refund_by_our_reference(
    httpserver: HTTPServer, settings: Any, client: Client
) -> None:
    server = ProviderServer("klarna", httpserver, settings)
    server.answer_refunds(status=503)
    refund = refund_execute(refund=returned_and_inspected(order_paid_through("klarna", "500.00")).refunds.get())
    assert refund.state == "processing" and refund.provider_reference == "" and "503" in refund.last_error
    # Klarna made it after all (a retry went through elsewhere); its order lists the refund with our reference.
    server.klarna_order(
        REFERENCES["klarna"],
        [{"refund_id": "KL-REFUND-1", "reference": refund.idempotency_key, "refunded_amount": 50000,
          "refunded_at": "2026-12-02T11:00:00Z"}],
    )  # fmt: skip
    body = b'{"order_id": "%s"}' % REFERENCES["klarna"].encode()
    for _delivery in range(2):
        assert client.post("/webhooks/payments/klarna/", body, content_type="application/json").status_code == 200
    settled_once(refund)
    assert refund.provider_reference == "KL-REFUND-1"
    server.klarna_order("00000000-0000-0000-0000-000000000000", None)
    unknown = b'{"order_id": "00000000-0000-0000-0000-000000000000"}'
    assert client.post("/webhooks/payments/klarna/", unknown, content_type="application/json").status_code == 400
