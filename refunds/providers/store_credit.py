"""Store credit is paid in the shop's own currency: a code, issued at once and only once per refund.

Unlike a payment provider it is local, so its "payout" is a database write that
cannot time out; it still goes through the same interface so the refund's
state machine and history are the same for every method.
"""

from __future__ import annotations

from refunds.models import Refund
from refunds.providers import Outcome, PayoutRequest, PayoutResult
from refunds.store_credit import store_credit_issue


class StoreCreditProvider:
    name = "store_credit"

    def refund(self, request: PayoutRequest) -> PayoutResult:
        refund = Refund.objects.select_related("return_request").get(idempotency_key=request.idempotency_key)
        return PayoutResult(outcome=Outcome.SUCCEEDED, reference=store_credit_issue(refund=refund).code)
