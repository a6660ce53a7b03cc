"""Stripe: refunds of a PaymentIntent through Stripe's official library, followed by the refund's events.

(`import stripe` below is the library: imports are absolute, so this module's own name does not shadow it.)

What it follows, from docs.stripe.com:

- "Create a refund" (POST /v1/refunds): `payment_intent`, `amount` in the currency's smallest unit,
  `metadata` (ours: the idempotency key and order number, echoed in every refund event), with the
  `Idempotency-Key` header ("Idempotent requests": the same key returns the first answer for 24 hours).
- "The Refund object": `status` pending / requires_action / succeeded / failed / canceled, and
  `failure_reason` when it failed; `balance_transaction` (expanded here) carries Stripe's `fee`.
- "Errors": card errors and invalid requests (e.g. `charge_already_refunded`, `amount_too_large`)
  refuse this refund; authentication, permission, rate limit, idempotency conflicts and API errors
  decide nothing; a connection error means no answer.
- "Check the webhook signatures": `Stripe-Signature` verified with the endpoint's signing secret and
  a 5-minute tolerance (the library's `WebhookSignature.verify_header`).
- Events `refund.created`, `refund.updated`, `refund.failed` (sent for every refund since API version
  2024-10-28.acacia) and the older `charge.refund.updated`: each carries the refund object.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Mapping
from decimal import Decimal
from typing import Any

import stripe
from django.conf import settings

from refunds.providers import (
    BadSignature,
    Outcome,
    PayoutRequest,
    PayoutResult,
    ProviderEvent,
    ProviderTimeout,
    ProviderUnavailable,
)
from refunds.providers.http import declined, header, timeout_seconds, undecided
from returns_portal.core.money import from_minor_units, to_minor_units

# A refund's status as an outcome; pending and requires_action (the customer must give bank details)
# are still under way.
OUTCOMES = {"succeeded": Outcome.SUCCEEDED, "failed": Outcome.FAILED, "canceled": Outcome.FAILED}
REFUND_EVENTS = {"refund.created", "refund.updated", "refund.failed", "charge.refund.updated"}
SIGNATURE_TOLERANCE_SECONDS = 300  # Stripe's default: older signed payloads are refused as replays


class StripeProvider:
    name = "stripe"

    def refund(self, request: PayoutRequest) -> PayoutResult:
        if not request.payment_reference:
            return declined("no_payment_intent", "the order has no Stripe PaymentIntent to refund")
        params: Any = {
            "payment_intent": request.payment_reference,
            "amount": to_minor_units(request.amount, request.currency),
            "metadata": {"idempotency_key": request.idempotency_key, "order_number": request.order_number},
            "expand": ["balance_transaction"],
        }
        try:
            refund = _client().v1.refunds.create(params, {"idempotency_key": request.idempotency_key})
        except (stripe.CardError, stripe.InvalidRequestError) as refusal:
            return declined(str(refusal.code or "invalid_request"), refusal.user_message or "")
        except stripe.StripeError as error:
            raise _translated(error) from error
        return _result(refund)

    def refund_status(self, *, reference: str, request: PayoutRequest) -> PayoutResult:
        """The refund by its id; when its id was lost, the PaymentIntent's refund whose metadata carries
        our key (none: it was never made, and paying it again is safe)."""
        client = _client()
        try:
            if reference:
                return _result(client.v1.refunds.retrieve(reference, {"expand": ["balance_transaction"]}))
            params: Any = {"payment_intent": request.payment_reference, "limit": 100}
            for refund in client.v1.refunds.list(params).auto_paging_iter():
                if _key_of(refund) == request.idempotency_key:
                    return _result(refund)
        except stripe.InvalidRequestError as refusal:
            return declined(str(refusal.code or "invalid_request"), refusal.user_message or "")
        except stripe.StripeError as error:
            raise _translated(error) from error
        return declined("not_found", f"Stripe has no refund with idempotency key {request.idempotency_key}")

    def parse_webhook(self, *, headers: Mapping[str, str], body: bytes) -> list[ProviderEvent]:
        secret = settings.STRIPE_WEBHOOK_SECRET
        if not secret:
            raise BadSignature("STRIPE_WEBHOOK_SECRET is not set: no Stripe event can be verified")
        try:
            stripe.WebhookSignature.verify_header(
                body.decode("utf-8"), header(headers, "Stripe-Signature"), secret, SIGNATURE_TOLERANCE_SECONDS
            )
            event = json.loads(body)
        except (stripe.SignatureVerificationError, UnicodeDecodeError, ValueError) as bad:
            raise BadSignature(f"Stripe-Signature does not verify: {bad}") from None
        return [_event(event)]

    def webhook_answer(self) -> tuple[int, str, str]:
        return 200, "application/json", '{"received": true}'

    def check(self) -> list[str]:
        """Reads the account's balance (GET /v1/balance), the cheapest call any secret key may make."""
        try:
            balance = _client().v1.balance.retrieve()
        except stripe.StripeError as error:
            raise _translated(error) from error
        if not settings.STRIPE_WEBHOOK_SECRET.startswith("whsec_"):
            raise ProviderUnavailable("Stripe: STRIPE_WEBHOOK_SECRET is not the endpoint's signing secret (whsec_...)")
        mode = "live mode" if balance.livemode else "test mode"
        return [f"Stripe: key accepted ({mode})", "Stripe: webhook signing secret set"]


def _client() -> stripe.StripeClient:
    """A client for this call: settings are read now, network retries are ours (same key), not the library's."""
    if not settings.STRIPE_SECRET_KEY:
        raise ProviderUnavailable("Stripe: STRIPE_SECRET_KEY is not set")
    return stripe.StripeClient(
        settings.STRIPE_SECRET_KEY,
        base_addresses={"api": settings.STRIPE_API_BASE.rstrip("/")},
        max_network_retries=0,
        http_client=stripe.RequestsClient(timeout=timeout_seconds()),
    )


def _key_of(refund: stripe.Refund) -> str:
    metadata = refund.to_dict().get("metadata") or {}
    return str(metadata.get("idempotency_key") or "")


def _result(refund: stripe.Refund) -> PayoutResult:
    outcome = OUTCOMES.get(refund.status or "", Outcome.WAITING)
    error = f"{refund.status}: {refund.failure_reason or 'no reason given'}" if outcome == Outcome.FAILED else ""
    return PayoutResult(outcome, reference=refund.id, error=error, fee=_fee(refund))


def _fee(refund: stripe.Refund) -> Decimal | None:
    """Stripe's fee for the refund, from its balance transaction when that was expanded and is in the
    refund's own currency (a balance in another currency would make it another amount)."""
    transaction = refund.balance_transaction
    if not isinstance(transaction, stripe.BalanceTransaction):
        return None
    if transaction.currency.lower() != refund.currency.lower():
        return None
    return from_minor_units(transaction.fee, refund.currency)


def _event(event: Mapping[str, Any]) -> ProviderEvent:
    kind = str(event.get("type", ""))
    refund = (event.get("data") or {}).get("object") or {}
    created = event.get("created")
    at = dt.datetime.fromtimestamp(created, tz=dt.UTC) if isinstance(created, int) else None
    if kind not in REFUND_EVENTS or refund.get("object") != "refund":
        return ProviderEvent(event_id=str(event.get("id", "")), kind=kind, outcome=None, at=at)
    status = str(refund.get("status") or "")
    outcome = OUTCOMES.get(status)
    return ProviderEvent(
        event_id=str(event.get("id", "")),
        kind=kind,
        outcome=outcome,
        refund_reference=str(refund.get("id", "")),
        idempotency_key=str((refund.get("metadata") or {}).get("idempotency_key") or ""),
        error=f"{status}: {refund.get('failure_reason') or 'no reason given'}" if outcome == Outcome.FAILED else "",
        at=at,
    )


def _translated(error: stripe.StripeError) -> ProviderTimeout | ProviderUnavailable:
    if isinstance(error, stripe.APIConnectionError):
        return ProviderTimeout(f"Stripe: no answer in {timeout_seconds():g} s")
    return _unavailable(error)


def _unavailable(error: stripe.StripeError) -> ProviderUnavailable:
    status = error.http_status or 0
    if isinstance(error, stripe.IdempotencyError):
        # The key was used before with other parameters: what it did then stands; staff must look.
        return ProviderUnavailable(f"Stripe: idempotency key reused with other parameters: {error.user_message}")
    detail = f"{error.code}: {error.user_message}" if error.code else str(error.user_message or "")
    return undecided("Stripe", status, detail, dict(error.headers or {}))
