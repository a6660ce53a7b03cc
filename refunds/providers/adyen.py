"""Adyen Checkout: refunds of a captured payment by its PSP reference, settled by Adyen's REFUND webhook.

Through Adyen's official Python library (`Adyen`), pointed at ADYEN_CHECKOUT_URL. What it follows, from
docs.adyen.com and Adyen/adyen-openapi (CheckoutService-v71, Webhooks-v1):

- "Refund" and POST /payments/{paymentPspReference}/refunds: `merchantAccount`, `amount` {value in
  minor units, currency}, `reference` (ours, echoed as `merchantReference` in the webhook), and the
  refunded `lineItems` (required for partial refunds of Klarna, Afterpay, Ratepay ... paid through
  Adyen; ignored by cards). The answer,
  201 `{"status": "received", "pspReference": ...}`, only says Adyen has the request: the refund stays
  WAITING until its REFUND webhook.
- "API idempotency": the `Idempotency-Key` header (at most 64 characters, kept at least 31 days).
- Errors: 422 is a validation error about this refund (a decline), 401/403 refused credentials or
  account, 5xx and 429 decide nothing.
- "Verify HMAC signatures": every notification item carries `additionalData.hmacSignature`, an
  HMAC-SHA256 with the hex key from the Customer Area over pspReference, originalReference,
  merchantAccountCode, merchantReference, value, currency, eventCode and success; the library's
  `is_valid_hmac_notification` computes it. Every item of a request is verified before any is used.
- Webhook events REFUND (success true: refunded; false: refused, with `reason`), REFUND_FAILED (the
  card scheme rejected it after all) and REFUNDED_REVERSED (the money came back to the merchant); in
  all three `pspReference` is the refund's. The answer Adyen expects is "[accepted]".
"""

from __future__ import annotations

import binascii
import hashlib
import json
from collections.abc import Mapping
from typing import Any

import requests
from Adyen.client import AdyenClient  # type: ignore[import-untyped]
from Adyen.exceptions import AdyenAPIResponseError, AdyenError  # type: ignore[import-untyped]
from Adyen.services.checkout import ModificationsApi, PaymentsApi  # type: ignore[import-untyped]
from Adyen.util import is_valid_hmac_notification  # type: ignore[import-untyped]
from django.conf import settings

from refunds.providers import (
    BadSignature,
    Outcome,
    PayoutLine,
    PayoutRequest,
    PayoutResult,
    ProviderEvent,
    ProviderTimeout,
    ProviderUnavailable,
)
from refunds.providers.http import declined, iso_time, timeout_seconds, undecided
from returns_portal.core.money import to_minor_units

# Adyen's answer when a request with the same idempotency key is still being processed: nothing decided.
IN_PROGRESS = "704"

# After a REFUND with success "true", the refund can still fail: rejected by the card scheme, or its
# money returned to the merchant (both mean the customer did not get it).
UNDONE = ("REFUND_FAILED", "REFUNDED_REVERSED")


class AdyenProvider:
    name = "adyen"

    def refund(self, request: PayoutRequest) -> PayoutResult:
        if not request.payment_reference:
            return declined("NO_PSP_REFERENCE", "the order has no Adyen PSP reference to refund")
        key = adyen_key(request.idempotency_key)
        body: dict[str, Any] = {
            "merchantAccount": _merchant_account(),
            "amount": {"value": to_minor_units(request.amount, request.currency), "currency": request.currency},
            "reference": key,
        }
        if request.lines:
            body["lineItems"] = [line_item(line, request.currency) for line in request.lines]
        try:
            answer = _call(ModificationsApi, "refund_captured_payment", body, request.payment_reference, key=key)
        except AdyenAPIResponseError as error:
            return _refused(error)
        return PayoutResult(Outcome.WAITING, reference=str(answer.get("pspReference", "")))

    def refund_status(self, *, reference: str, request: PayoutRequest) -> PayoutResult:
        """Adyen's Checkout API has no way to ask about a refund: its outcome comes only in the REFUND
        webhook ("Refund": "you get the outcome ... asynchronously"). So this stays WAITING, with the
        references staff look up under Transactions > Payments in Adyen's Customer Area."""
        where = (
            f"PSP reference {reference}" if reference else f"merchant reference {adyen_key(request.idempotency_key)}"
        )
        return PayoutResult(
            Outcome.WAITING,
            reference=reference,
            error=f"Adyen reports refunds only by webhook: look up the {where} in the Customer Area",
        )

    def parse_webhook(self, *, headers: Mapping[str, str], body: bytes) -> list[ProviderEvent]:
        items = _notification_items(body)
        hmac_key = settings.ADYEN_HMAC_KEY
        for item in items:
            if not _signed(item, hmac_key):
                raise BadSignature("an Adyen notification item's HMAC signature does not verify")
        return [_event(item) for item in items]

    def webhook_answer(self) -> tuple[int, str, str]:
        return 200, "text/plain", "[accepted]"

    def check(self) -> list[str]:
        """Asks for the merchant account's payment methods (POST /paymentMethods): the cheapest call
        that proves both the API key and the merchant account; and reads the HMAC key."""
        try:
            answer = _call(PaymentsApi, "payment_methods", {"merchantAccount": _merchant_account()})
        except AdyenAPIResponseError as error:
            raise _unavailable(error) from error
        try:
            binascii.a2b_hex(settings.ADYEN_HMAC_KEY or "x")
        except (binascii.Error, ValueError):
            raise ProviderUnavailable(
                "Adyen: ADYEN_HMAC_KEY is not set or not the hex key from the Customer Area"
            ) from None
        methods = len(answer.get("paymentMethods") or [])
        environment = "live" if "-live" in settings.ADYEN_CHECKOUT_URL else "test"
        return [
            f"Adyen: API key accepted for merchant account {_merchant_account()} ({environment}, "
            f"{methods} payment methods)",
            "Adyen: HMAC key set (hex) for verifying webhooks",
        ]


def line_item(line: PayoutLine, currency: str) -> dict[str, Any]:
    """An Adyen line item: amounts are per unit, in minor units, VAT in basis points. A line whose total
    (or VAT) does not divide by its units goes as one unit of its total, so the amounts stay exact."""
    total = to_minor_units(line.total_amount, currency)
    vat = to_minor_units(line.vat_amount, currency)
    quantity = max(line.quantity, 1)
    if total % quantity or vat % quantity:
        quantity = 1
    return {
        "id": line.reference,
        "description": line.name or line.reference,
        "quantity": quantity,
        "amountIncludingTax": total // quantity,
        "amountExcludingTax": (total - vat) // quantity,
        "taxAmount": vat // quantity,
        "taxPercentage": int((line.vat_rate * 100).to_integral_value()),
    }


def adyen_key(idempotency_key: str) -> str:
    """Our key as Adyen takes it: Adyen keeps 64 characters, so a longer key is sent as its SHA-256."""
    if len(idempotency_key) <= 64:
        return idempotency_key
    return hashlib.sha256(idempotency_key.encode()).hexdigest()


def _merchant_account() -> str:
    if not (settings.ADYEN_API_KEY and settings.ADYEN_MERCHANT_ACCOUNT):
        raise ProviderUnavailable("Adyen: ADYEN_API_KEY and ADYEN_MERCHANT_ACCOUNT are not set")
    return str(settings.ADYEN_MERCHANT_ACCOUNT)


def _call(service: type, operation: str, body: dict[str, Any], *path: str, key: str | None = None) -> dict[str, Any]:
    """One call through the library, at ADYEN_CHECKOUT_URL, with our time-out and no retries.

    The library rewrites its URLs for "test" or "live" (and needs a live prefix for live); ours is
    already the right one, so it is given the platform the URL is for and a prefix it never uses.
    """
    url = settings.ADYEN_CHECKOUT_URL.rstrip("/")
    live = "-live" in url
    client = AdyenClient(
        xapikey=settings.ADYEN_API_KEY,
        platform="live" if live else "test",
        live_endpoint_prefix="unused" if live else None,
        http_timeout=timeout_seconds(),
        http_force="requests",
    )
    api = service(client=client)
    api.baseUrl = url
    try:
        result = getattr(api, operation)(body, *path, idempotency_key=key)
    except (requests.Timeout, requests.ConnectionError) as lost:
        raise ProviderTimeout(f"Adyen: no answer in {timeout_seconds():g} s ({type(lost).__name__})") from lost
    except AdyenAPIResponseError:
        raise
    except (AdyenError, requests.RequestException) as broken:
        raise ProviderUnavailable(f"Adyen: the request failed ({type(broken).__name__})") from broken
    return result.message if isinstance(result.message, dict) else {}


def _refused(error: AdyenAPIResponseError) -> PayoutResult:
    """422 (a validation error about this refund: amount too high, not refundable, ...) and 400 are
    declines; 704 under 422 is the same key still running, which decided nothing."""
    code = str(error.error_code or "")
    if error.status_code in (400, 422) and code != IN_PROGRESS:
        return declined(code or f"HTTP_{error.status_code}", _message(error))
    raise _unavailable(error)


def _unavailable(error: AdyenAPIResponseError) -> ProviderUnavailable:
    status = error.status_code if isinstance(error.status_code, int) else 0
    code = str(error.error_code or "")
    if code == IN_PROGRESS:
        status = 409
    detail = f"{code}: {_message(error)}" if code else _message(error)
    return undecided("Adyen", status, detail, error.headers if isinstance(error.headers, Mapping) else {})


def _message(error: AdyenAPIResponseError) -> str:
    answer = error.message
    if isinstance(answer, dict):
        return str(answer.get("message") or "")
    return str(answer or "")[:200]


def _notification_items(body: bytes) -> list[dict[str, Any]]:
    try:
        payload = json.loads(body)
        items = [wrapper["NotificationRequestItem"] for wrapper in payload["notificationItems"]]
    except (ValueError, KeyError, TypeError):
        raise BadSignature("not an Adyen notification: no notificationItems") from None
    if not items or not all(isinstance(item, dict) for item in items):
        raise BadSignature("not an Adyen notification: no notificationItems")
    return items


def _signed(item: dict[str, Any], hmac_key: str) -> bool:
    signature = (item.get("additionalData") or {}).get("hmacSignature")
    if not hmac_key or not signature:
        return False
    try:
        return bool(is_valid_hmac_notification(item, hmac_key))
    except (KeyError, TypeError, ValueError, binascii.Error):
        return False


def _event(item: dict[str, Any]) -> ProviderEvent:
    """One verified notification item. Adyen may send an item again (and a REFUND can come back with
    another `success`), so the event is the event code, the PSP reference and the success together."""
    code, success = str(item.get("eventCode", "")), str(item.get("success", "")).lower()
    refund_psp = str(item.get("pspReference", ""))
    ours = item.get("merchantAccountCode") == settings.ADYEN_MERCHANT_ACCOUNT
    outcome = _outcome(code, success) if ours else None
    return ProviderEvent(
        event_id=f"{code}:{refund_psp}:{success}",
        kind=code,
        outcome=outcome,
        refund_reference=refund_psp,
        idempotency_key=str(item.get("merchantReference") or ""),
        error=f"{code}: {item['reason']}" if outcome == Outcome.FAILED and item.get("reason") else "",
        at=iso_time(item.get("eventDate")),
    )


def _outcome(code: str, success: str) -> Outcome | None:
    if code == "REFUND":
        return Outcome.SUCCEEDED if success == "true" else Outcome.FAILED
    if code in UNDONE and success == "true":
        return Outcome.FAILED
    return None
