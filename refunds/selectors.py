"""Reading money: what an order cost, and how much of it can still go back."""

from __future__ import annotations

from decimal import Decimal

from django.db.models import DecimalField, ExpressionWrapper, F, QuerySet, Sum
from django.db.models.functions import Coalesce
from django.utils import timezone

from refunds.models import COUNTED_STATES, Refund, RefundState
from returns.models import Order
from returns.money import ZERO, round_money

_line_total = ExpressionWrapper(
    F("unit_price") * F("quantity"), output_field=DecimalField(max_digits=14, decimal_places=2)
)


def order_paid(order: Order) -> Decimal:
    """What the customer paid: the lines, less the order discount, plus shipping."""
    items = order.lines.aggregate(total=Coalesce(Sum(_line_total), ZERO))["total"]
    return round_money(items - order.discount_amount + order.shipping_amount, order.currency)


def order_refunded(order: Order) -> Decimal:
    """Paid out, or on its way out: every refund that has not failed."""
    total = Refund.objects.filter(order=order, state__in=COUNTED_STATES).aggregate(total=Coalesce(Sum("amount"), ZERO))
    return round_money(total["total"], order.currency)


def order_refundable(order: Order) -> Decimal:
    return order_paid(order) - order_refunded(order)


def refunds_late(refunds: QuerySet[Refund] | None = None) -> QuerySet[Refund]:
    """Refunds still owed (not paid, failed ones included) whose due day has passed: the one rule
    behind every "late" flag, filter and count."""
    owed = (refunds if refunds is not None else Refund.objects.all()).exclude(state=RefundState.SUCCEEDED)
    return owed.filter(due_on__lt=timezone.localdate())


def refund_is_late(refund: Refund) -> bool:
    return refund.state != RefundState.SUCCEEDED and refund.due_on < timezone.localdate()
