"""Refunds react to what happens to returns (events published by the returns app)."""

from __future__ import annotations

import logging
from decimal import Decimal
from typing import Any

from django.db import transaction

from refunds.auto_refund import AutoRefund, auto_refund_decision
from refunds.models import RefundState
from refunds.proposal import refund_proposal
from refunds.selectors import order_refundable
from refunds.services import RefundRefused, refund_for_return
from refunds.tasks import pay_refund
from returns.models import MONEY_RESOLUTIONS, Resolution, ReturnPolicy, ReturnRequest, ReturnState

log = logging.getLogger(__name__)


def propose_refund_when_inspected(
    sender: object, return_request: ReturnRequest, to_state: str, by: Any, **kwargs: Any
) -> None:
    """An inspected return that asked for money gets its refund proposed (pending, not paid):
    staff see it at once and pay it when they are ready. Store credit costs the shop no cash
    and cannot fail, so its code is issued at once, right after the inspection commits; so is a
    refund through the order's payment provider when the policy pays automatically, up to its ceiling."""
    if to_state != ReturnState.INSPECTED or return_request.resolution not in MONEY_RESOLUTIONS:
        return
    total = sum((line.amount for line in refund_proposal(return_request=return_request)), start=Decimal(0))
    if not 0 < total <= order_refundable(return_request.order):
        return
    if return_request.resolution == Resolution.STORE_CREDIT:
        decision = AutoRefund(pay_now=True)
    else:
        policy = ReturnPolicy.current()
        decision = auto_refund_decision(order=return_request.order, amount=total, policy=policy)
    try:
        refund = refund_for_return(return_request=return_request, by=by, note=decision.note)
    except RefundRefused as refusal:
        # The inspection stands; what it would pay back is already covered (another refund was made
        # meanwhile). Staff see the return without a new refund and the reason in the log.
        log.warning("No refund proposed for %s: %s", return_request.number, refusal)
        return
    if decision.pay_now and refund.state == RefundState.PENDING:
        # Paid once the inspection commits, by a task: the provider is never called inside its transaction.
        refund_id, by_id = refund.pk, by.pk if by is not None else None
        transaction.on_commit(lambda: _queue_payout(refund_id, by_id))


def _queue_payout(refund_id: int, by_id: int | None) -> None:
    try:
        pay_refund.delay(refund_id, by_id)
    except Exception:  # the broker is down: the refund stays pending, in the refunds list, for staff to pay
        log.warning("The payout of refund %s did not go through; it stays pending", refund_id, exc_info=True)
