"""Payment providers that live in memory, for tests: the shape a real adapter takes.

It keeps every payout by idempotency key, as real PSPs do, so a repeated key
returns the first answer and never pays twice. `FakeCardProvider.script` sets
what the next calls do: "succeed", "fail" or "timeout" (a time-out that paid
anyway, like a lost response). `FakeConnectedProvider` stands in for Klarna, Adyen or Stripe.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import threading
from collections.abc import Mapping
from decimal import Decimal
from typing import Any, ClassVar

from refunds.providers import (
    BadSignature,
    Outcome,
    PayoutRequest,
    PayoutResult,
    ProviderEvent,
    ProviderTimeout,
    ProviderUnavailable,
)


class FakeCardProvider:
    name = "fakecard"
    script: ClassVar[list[str]] = []
    payouts: ClassVar[dict[str, tuple[Decimal, str]]] = {}
    _lock = threading.Lock()

    @classmethod
    def reset(cls, *script: str) -> None:
        cls.script, cls.payouts = list(script), {}

    @classmethod
    def paid_total(cls) -> Decimal:
        return sum((amount for amount, _currency in cls.payouts.values()), Decimal(0))

    def refund(self, request: PayoutRequest) -> PayoutResult:
        with self._lock:
            if request.idempotency_key in self.payouts:
                return PayoutResult(Outcome.SUCCEEDED, reference=f"fake:{request.idempotency_key}")
            step = self.script.pop(0) if self.script else "succeed"
            if step == "fail":
                return PayoutResult(Outcome.FAILED, error="card_declined: the issuer refused the refund")
            self.payouts[request.idempotency_key] = (request.amount, request.currency)
        if step == "timeout":
            raise ProviderTimeout("no answer from the provider in 10 s")
        return PayoutResult(Outcome.SUCCEEDED, reference=f"fake:{request.idempotency_key}")


FAKE_WEBHOOK_SECRET = "fake-webhook-secret"  # the test double's shared secret; real providers read theirs from settings
FAKE_SIGNATURE_HEADER = "X-Fake-Signature"


def fake_signature(body: bytes, secret: str = FAKE_WEBHOOK_SECRET) -> str:
    return hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def fake_webhook_body(*events: dict[str, Any]) -> bytes:
    """A webhook body of these events, each {"id", "kind", "outcome", "refund", "key", "error", "fee"}."""
    return json.dumps({"events": list(events)}).encode()


class FakeConnectedProvider:
    """A connected provider (Klarna, Adyen, Stripe) in memory, with the `ConnectedProvider` interface.

    `script` steps for `refund()`: "succeed", "fail", "wait" (accepted, a webhook or the status
    question settles it later, as Adyen does), "unavailable" (a 503 that decided nothing) and
    "timeout" (accepted, but the answer was lost). Every key is paid once: the same key again gets
    the first answer. `settle()` decides a waiting refund, as the provider would later.
    Webhooks are signed with HMAC-SHA256 of the body under FAKE_WEBHOOK_SECRET.
    """

    name = "fake"
    script: ClassVar[list[str]] = []
    answers: ClassVar[dict[str, PayoutResult]] = {}  # by idempotency key: the provider's memory
    requests: ClassVar[list[PayoutRequest]] = []  # every refund() call, for tests to read
    paid: ClassVar[dict[str, Decimal]] = {}  # money that left, by idempotency key
    retry_after: ClassVar[float | None] = None
    down: ClassVar[bool] = False  # check() and refund_status() fail
    _lock = threading.Lock()

    @classmethod
    def reset(cls, *script: str) -> None:
        cls.script, cls.answers, cls.requests, cls.paid = list(script), {}, [], {}
        cls.retry_after, cls.down = None, False

    @classmethod
    def paid_total(cls) -> Decimal:
        return sum(cls.paid.values(), Decimal(0))

    @classmethod
    def settle(cls, key: str, outcome: Outcome, *, error: str = "", fee: Decimal | None = None) -> PayoutResult:
        """The provider decides a waiting refund (what its webhook then reports)."""
        with cls._lock:
            waiting = cls.answers[key]
            cls.answers[key] = PayoutResult(outcome, reference=waiting.reference, error=error, fee=fee)
            if outcome == Outcome.SUCCEEDED:
                cls.paid[key] = next(r.amount for r in cls.requests if r.idempotency_key == key)
            return cls.answers[key]

    def refund(self, request: PayoutRequest) -> PayoutResult:
        with self._lock:
            self.requests.append(request)
            if request.idempotency_key in self.answers:
                return self.answers[request.idempotency_key]
            step = self.script.pop(0) if self.script else "succeed"
            if step == "unavailable":
                raise ProviderUnavailable("503 Service Unavailable", retry_after=self.retry_after)
            reference = f"fake-refund-{len(self.requests)}"
            answer = {
                "succeed": PayoutResult(Outcome.SUCCEEDED, reference=reference, fee=Decimal("1.50")),
                "fail": PayoutResult(
                    Outcome.FAILED, reference=reference, error="refund_declined: the payment was disputed"
                ),
                "wait": PayoutResult(Outcome.WAITING, reference=reference),
                "timeout": PayoutResult(Outcome.WAITING, reference=reference),
            }[step]
            if answer.outcome != Outcome.FAILED:  # a declined refund moved nothing: the key may be tried again
                self.answers[request.idempotency_key] = answer
            if answer.outcome == Outcome.SUCCEEDED:
                self.paid[request.idempotency_key] = request.amount
        if step == "timeout":
            raise ProviderTimeout("no answer from the provider in 15 s")
        return answer

    def refund_status(self, *, reference: str, request: PayoutRequest) -> PayoutResult:
        if self.down:
            raise ProviderUnavailable("503 Service Unavailable")
        known = self.answers.get(request.idempotency_key)
        if known is None:
            return PayoutResult(Outcome.FAILED, error="no refund with this reference")
        return known

    def parse_webhook(self, *, headers: Mapping[str, str], body: bytes) -> list[ProviderEvent]:
        if not hmac.compare_digest(headers.get(FAKE_SIGNATURE_HEADER, ""), fake_signature(body)):
            raise BadSignature("the signature does not match the body")
        return [_fake_event(event) for event in json.loads(body)["events"]]

    def webhook_answer(self) -> tuple[int, str, str]:
        return 200, "text/plain", "[accepted]"

    def check(self) -> list[str]:
        if self.down:
            raise ProviderUnavailable("401 Unauthorized: the credentials were refused")
        return ["credentials accepted", "webhook secret set"]


def _fake_event(event: dict[str, Any]) -> ProviderEvent:
    fee = event.get("fee")
    return ProviderEvent(
        event_id=event["id"],
        kind=event["kind"],
        outcome=Outcome(event["outcome"]) if event.get("outcome") else None,
        refund_reference=event.get("refund", ""),
        idempotency_key=event.get("key", ""),
        error=event.get("error", ""),
        fee=Decimal(fee) if fee is not None else None,
    )
