"""A local server (pytest-httpserver) answering refunds as Klarna, Adyen and Stripe document them (the
shapes of tests/refunds/providers/), for tests that go through the real adapters; and their webhooks,
signed as each provider signs them."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import re
import threading
import time
import uuid
from decimal import Decimal
from typing import Any

from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

from refunds.providers.klarna import ORDERS
from returns_portal.core.money import to_minor_units

ADYEN_HMAC_KEY = "44782DEF547AAA06C910C43932B1EB0C71FC68D9D0C057550C48EC2ACF6BA056"
ADYEN_MERCHANT = "NordicShopECOM"
STRIPE_WEBHOOK_SECRET = "whsec_test_portal_signing_secret"
REFUND_PATHS = {
    "klarna": re.compile(rf"^{ORDERS}/[^/]+/refunds$"),
    "adyen": re.compile(r"^/v71/payments/[^/]+/refunds$"),
    "stripe": "/v1/refunds",
}


class ProviderServer:
    """Answers every refund asked for with a refund id made from its idempotency key (the same key, the
    same refund, as the providers keep it), and notes the keys it was asked with."""

    def __init__(self, provider: str, httpserver: HTTPServer, settings: Any) -> None:
        self.provider, self.server = provider, httpserver
        self.keys: list[str] = []
        self._lock = threading.Lock()
        base = httpserver.url_for("/").rstrip("/")
        settings.PAYMENT_PROVIDERS = {
            "klarna": "refunds.providers.klarna.KlarnaProvider",
            "adyen": "refunds.providers.adyen.AdyenProvider",
            "stripe": "refunds.providers.stripe.StripeProvider",
        }
        settings.KLARNA_BASE_URL, settings.KLARNA_USERNAME, settings.KLARNA_PASSWORD = base, "PK1_test", "secret"
        settings.ADYEN_CHECKOUT_URL, settings.ADYEN_API_KEY = f"{base}/v71", "AQE-test"
        settings.ADYEN_MERCHANT_ACCOUNT, settings.ADYEN_HMAC_KEY = ADYEN_MERCHANT, ADYEN_HMAC_KEY
        settings.STRIPE_API_BASE, settings.STRIPE_SECRET_KEY = base, "sk_test_portal"
        settings.STRIPE_WEBHOOK_SECRET = STRIPE_WEBHOOK_SECRET
        self.answer_refunds()

    def answer_refunds(self, *, status: int | None = None) -> None:
        """Refunds are made (or, with `status`, every refund call is answered with that status)."""
        self.server.clear()
        handler = self._refused(status) if status else self._refund
        self.server.expect_request(REFUND_PATHS[self.provider], method="POST").respond_with_handler(handler)

    def klarna_order(self, order_id: str, refunds: list[dict[str, Any]] | None) -> None:
        """Klarna's order, as GET /ordermanagement/v1/orders/{order_id} reports it (its refunds), or
        (None) Klarna's answer for an order it does not know."""
        uri = f"{ORDERS}/{order_id}"
        if refunds is None:
            unknown = {"error_code": "NO_SUCH_ORDER", "error_messages": ["Order not found"], "correlation_id": "c1"}
            self.server.expect_request(uri, method="GET").respond_with_json(unknown, status=404)
            return
        body = {"order_id": order_id, "status": "CAPTURED", "refunds": refunds}
        self.server.expect_request(uri, method="GET").respond_with_json(body)

    def _key(self, request: Request) -> str:
        """Our key: Klarna's header carries its UUIDv5, the body our reference."""
        if self.provider == "klarna":
            return str(request.get_json()["reference"])
        return request.headers.get("Idempotency-Key", "")

    def _refund(self, request: Request) -> Response:
        key = self._key(request)
        with self._lock:
            self.keys.append(key)
        refund_id = refund_id_of(key)
        if self.provider == "klarna":
            return Response("", status=201, headers={"Refund-Id": refund_id})
        if self.provider == "adyen":
            body = request.get_json()
            answer = {"pspReference": refund_id, "status": "received", "reference": body["reference"],
                      "merchantAccount": ADYEN_MERCHANT, "amount": body["amount"]}  # fmt: skip
            return Response(json.dumps(answer), status=201, content_type="application/json")
        answer = stripe_refund(refund_id, request.form["metadata[idempotency_key]"], int(request.form["amount"]))
        return Response(json.dumps(answer), status=200, content_type="application/json")

    @staticmethod
    def _refused(status: int) -> Any:
        def refuse(request: Request) -> Response:
            return Response(json.dumps({"error": "unavailable"}), status=status, content_type="application/json")

        return refuse


def refund_id_of(key: str) -> str:
    return uuid.uuid5(uuid.NAMESPACE_URL, key).hex[:16].upper()


def stripe_refund(refund_id: str, key: str, amount: int, status: str = "succeeded") -> dict[str, Any]:
    return {
        "id": f"re_{refund_id}", "object": "refund", "amount": amount, "currency": "sek", "status": status,
        "balance_transaction": None, "charge": "ch_1", "created": int(time.time()), "failure_reason": None,
        "metadata": {"idempotency_key": key}, "payment_intent": "pi_1", "reason": None,
    }  # fmt: skip


def adyen_notification(*, refund_id: str, key: str, amount: Decimal, payment: str, success: bool = True) -> bytes:
    """A REFUND notification, its item signed with the HMAC key as Adyen's "Verify HMAC signatures" says."""
    item = {
        "amount": {"currency": "SEK", "value": to_minor_units(amount, "SEK")},
        "eventCode": "REFUND", "eventDate": "2026-12-02T12:00:00+01:00", "merchantAccountCode": ADYEN_MERCHANT,
        "merchantReference": key, "originalReference": payment, "pspReference": refund_id, "reason": "",
        "success": "true" if success else "false",
    }  # fmt: skip
    fields = [item["pspReference"], item["originalReference"], item["merchantAccountCode"], item["merchantReference"],
              str(item["amount"]["value"]), item["amount"]["currency"], item["eventCode"], item["success"]]  # fmt: skip
    digest = hmac.new(bytes.fromhex(ADYEN_HMAC_KEY), ":".join(fields).encode(), hashlib.sha256).digest()
    item["additionalData"] = {"hmacSignature": base64.b64encode(digest).decode()}
    return json.dumps({"live": "false", "notificationItems": [{"NotificationRequestItem": item}]}).encode()


def stripe_event(refund: dict[str, Any], event_id: str = "evt_1") -> tuple[bytes, dict[str, str]]:
    """A refund.updated event and its Stripe-Signature header (t=…,v1=HMAC-SHA256 of "t.body")."""
    event = {
        "id": event_id, "object": "event", "api_version": "2025-09-30.clover", "created": int(time.time()),
        "livemode": False, "type": "refund.updated", "data": {"object": refund},
    }  # fmt: skip
    body = json.dumps(event).encode()
    timestamp = int(time.time())
    signed = hmac.new(STRIPE_WEBHOOK_SECRET.encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()
    return body, {"Stripe-Signature": f"t={timestamp},v1={signed}"}
