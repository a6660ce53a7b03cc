"""Manual payouts: staff pay (a bank transfer for an invoice order, say) and confirm it in the admin."""

from __future__ import annotations

from refunds.providers import Outcome, PayoutRequest, PayoutResult


class ManualProvider:
    name = "manual"

    def refund(self, request: PayoutRequest) -> PayoutResult:
        return PayoutResult(outcome=Outcome.WAITING, reference=f"manual:{request.idempotency_key}")
