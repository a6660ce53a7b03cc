"""The refunds app's part of the customer's status page: what went back for the return, and when.

`returns` shows it without knowing this app (see `returns.extensions`); `RefundsConfig.ready()`
registers `return_payouts` there and forgets the page when a refund changes.
"""

from __future__ import annotations

from refunds.models import Refund, RefundMethod, RefundState, StoreCredit
from returns.cached_pages import forget_status_pages
from returns.extensions import IssuedCredit, Payout, PayoutKind, PayoutState
from returns.models import ReturnRequest

PAYOUT_STATE = {
    RefundState.PENDING: PayoutState.PENDING,
    RefundState.PROCESSING: PayoutState.PROCESSING,
    RefundState.SUCCEEDED: PayoutState.SUCCEEDED,
    RefundState.FAILED: PayoutState.FAILED,
}


def return_payouts(return_request: ReturnRequest) -> list[Payout]:
    """The return's refunds with their store credit codes, newest first, in one query.

    Refunds made in the same instant keep the order they were made in.
    """
    refunds = (
        Refund.objects.filter(return_request_id=return_request.pk)
        .select_related("store_credit")
        .order_by("-created_at", "pk")
    )
    return [_payout(refund) for refund in refunds]


def _payout(refund: Refund) -> Payout:
    return Payout(
        kind=PayoutKind.STORE_CREDIT if refund.method == RefundMethod.STORE_CREDIT else PayoutKind.MONEY,
        state=PAYOUT_STATE[RefundState(refund.state)],
        amount=refund.amount,
        currency=refund.currency,
        due_on=refund.due_on,
        paid_at=refund.paid_at,
        credit=_issued(refund),
    )


def _issued(refund: Refund) -> IssuedCredit | None:
    try:
        credit = refund.store_credit
    except StoreCredit.DoesNotExist:
        return None
    return IssuedCredit(
        code=credit.code,
        amount=credit.amount,
        bonus=credit.bonus,
        currency=credit.currency,
        expires_on=credit.expires_on,
    )


def forget_status_page(sender: object, instance: object, **kwargs: object) -> None:
    """Signal receiver: the status page shows the refund, so a changed refund makes it render again."""
    if getattr(instance, "return_request_id", None):
        forget_status_pages(sender, instance)
