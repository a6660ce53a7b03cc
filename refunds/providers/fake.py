"""A card/PSP provider that lives in memory, for tests and the demo: the shape a real adapter takes.

It keeps every payout by idempotency key, as real PSPs do, so a repeated key
returns the first answer and never pays twice. `FakeCardProvider.script` sets
what the next calls do: "succeed", "fail" or "timeout" (a time-out that paid
anyway, like a lost response).
"""

from __future__ import annotations

import threading
from decimal import Decimal
from typing import ClassVar

from refunds.providers import Outcome, PayoutRequest, PayoutResult, ProviderTimeout


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
