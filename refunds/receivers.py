"""Refunds react to what happens to returns (events published by the returns app)."""

from __future__ import annotations

from typing import Any

from refunds.selectors import order_refundable
from refunds.services import refund_execute, refund_for_return, refund_proposal
from returns.models import Resolution, ReturnRequest, ReturnState


def propose_refund_when_inspected(
    sender: object, return_request: ReturnRequest, to_state: str, by: Any, **kwargs: Any
) -> None:
    """An inspected return that asked for money gets its refund proposed (pending, not paid):
    staff see it at once and pay it when they are ready. Store credit costs the shop no cash
    and cannot fail, so its code is issued at once."""
    if to_state != ReturnState.INSPECTED or return_request.resolution not in MONEY_RESOLUTIONS:
        return
    total = sum((line.amount for line in refund_proposal(return_request=return_request)), start=0)
    if not 0 < total <= order_refundable(return_request.order):
        return
    refund = refund_for_return(return_request=return_request, by=by)
    if return_request.resolution == Resolution.STORE_CREDIT:
        refund_execute(refund=refund, by=by)


MONEY_RESOLUTIONS = frozenset({Resolution.REFUND, Resolution.STORE_CREDIT})
