"""The policy's automatic refunds: after inspection, a refund through the order's payment provider
is paid without a person when the policy says so and it is within the ceiling for its currency;
above it the refund waits, pending, for a person to approve it (pay it in the admin)."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from refunds.models import Refund, RefundMethod, RefundState
from refunds.providers import connected_key
from returns.models import Order, ReturnPolicy
from returns_portal.core.l10n import format_money

# The first history line of a refund the policy pays by itself: the sweep finds those a lost task left pending.
PAID_AUTOMATICALLY = "To be paid automatically after inspection: within the auto-refund ceiling."


@dataclass(frozen=True)
class AutoRefund:
    pay_now: bool
    note: str = ""  # for the refund's history: why it was paid at once, or why it waits


def auto_refund_decision(*, order: Order, amount: Decimal, policy: ReturnPolicy) -> AutoRefund:
    """Whether a refund to the original payment of `order`, of `amount`, is paid without a person."""
    if not (policy.auto_refund and connected_key(RefundMethod.ORIGINAL_PAYMENT, order.payment_provider)):
        return AutoRefund(False)
    ceiling = policy.auto_refund_ceiling(order.currency)
    if amount > ceiling:
        return AutoRefund(
            False, f"Needs approval: above the auto-refund ceiling of {format_money(ceiling, order.currency)}."
        )
    return AutoRefund(True, PAID_AUTOMATICALLY)


def refund_needs_approval(refund: Refund, policy: ReturnPolicy) -> bool:
    """A pending refund the policy would pay by itself, were it not above the ceiling: a person decides."""
    return (
        refund.state == RefundState.PENDING
        and refund.method == RefundMethod.ORIGINAL_PAYMENT
        and policy.auto_refund
        and bool(connected_key(refund.method, refund.order.payment_provider))
        and refund.amount > policy.auto_refund_ceiling(refund.currency)
    )
