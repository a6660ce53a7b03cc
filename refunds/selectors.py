"""Reading money: what an order cost, and how much of it can still go back.

Two caps: returned units go back once, per return line and per order line, never for
more than was paid for them (`items_room`); everything together, shipping and goodwill
included, never more than the order was paid (`order_refundable`).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal

from django.db.models import DecimalField, ExpressionWrapper, F, QuerySet, Sum
from django.db.models.functions import Coalesce
from django.utils import timezone

from refunds.models import COUNTED_STATES, UNSETTLED_STATES, Refund, RefundLine, RefundLineKind, RefundState
from returns.models import Order, Outcome, ReturnLine, ReturnRequest
from returns.pricing import PricedOrderLine, paid_per_line, units_amount
from returns_portal.core.money import ZERO, round_money

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


@dataclass(frozen=True)
class Covered:
    """Units and money that counted refunds pay back."""

    units: int = 0
    amount: Decimal = ZERO

    def __add__(self, other: Covered) -> Covered:
        return Covered(self.units + other.units, self.amount + other.amount)


@dataclass(frozen=True)
class ItemsCovered:
    by_return_line: dict[int, Covered]
    by_order_line: dict[int, Covered]


def items_covered(order: Order) -> ItemsCovered:
    """What the order's counted refunds pay back for returned items, per return line and per order
    line, in one query. A refund that depends on it reads it under the order's lock."""
    rows = (
        RefundLine.objects.filter(refund__order=order, refund__state__in=COUNTED_STATES, kind=RefundLineKind.ITEM)
        .values("return_line_id", "return_line__order_line_id")
        .annotate(units=Sum("quantity"), amount=Sum("amount"))
        .order_by()
    )
    by_return_line: dict[int, Covered] = {}
    by_order_line: dict[int, Covered] = {}
    for row in rows:
        covered = Covered(row["units"], row["amount"])
        by_return_line[row["return_line_id"]] = covered
        order_line_id = row["return_line__order_line_id"]
        by_order_line[order_line_id] = by_order_line.get(order_line_id, Covered()) + covered
    return ItemsCovered(by_return_line, by_order_line)


def order_lines_paid(order: Order) -> dict[int, Decimal]:
    """What was paid for each line of the order, its share of the order discount taken off."""
    lines = [PricedOrderLine(line.pk, line.quantity, line.unit_price, line.vat_rate) for line in order.lines.all()]
    return paid_per_line(lines, order.discount_amount, order.currency)


@dataclass(frozen=True)
class ItemRoom:
    """What one return line can still give back."""

    units: int
    cap: Decimal  # the most those units may be paid back
    price: Decimal  # what they were paid, priced after the units already refunded, within the cap


def items_room(order: Order, return_lines: Iterable[ReturnLine]) -> dict[int, ItemRoom]:
    """Per return line (with its order line loaded): its accepted units that no counted refund covers
    yet, never more units or money than its order line was bought and paid less what counted refunds
    of any of the order's returns already pay back for that line."""
    covered, paid = items_covered(order), order_lines_paid(order)
    room = {}
    for line in return_lines:
        accepted = (line.received_quantity or 0) if line.outcome == Outcome.ACCEPTED else 0
        mine = covered.by_return_line.get(line.pk, Covered())
        its = covered.by_order_line.get(line.order_line_id, Covered())
        units = max(0, min(accepted - mine.units, line.order_line.quantity - its.units))
        if units == 0:
            room[line.pk] = ItemRoom(0, ZERO, ZERO)
            continue
        accepted_paid = units_amount(line.amount, line.quantity, 0, accepted, order.currency)
        cap = max(ZERO, min(accepted_paid - mine.amount, paid[line.order_line_id] - its.amount))
        price = units_amount(line.amount, line.quantity, mine.units, units, order.currency)
        room[line.pk] = ItemRoom(units, cap, min(price, cap))
    return room


def return_refunded_by_kind(return_request: ReturnRequest) -> dict[str, Decimal]:
    """What the return's counted refunds hold per kind of line (fees are negative)."""
    rows = (
        RefundLine.objects.filter(refund__return_request=return_request, refund__state__in=COUNTED_STATES)
        .values("kind")
        .annotate(total=Sum("amount"))
        .order_by()
    )
    return {row["kind"]: row["total"] for row in rows}


def refunds_late(refunds: QuerySet[Refund] | None = None) -> QuerySet[Refund]:
    """Refunds still owed (not paid, failed ones included) whose due day has passed: the one rule
    behind every "late" flag, filter and count."""
    # "Not succeeded" named by its states, so the (state, due_on) index answers it.
    owed = (refunds if refunds is not None else Refund.objects.all()).filter(state__in=UNSETTLED_STATES)
    return owed.filter(due_on__lt=timezone.localdate())


def refund_is_late(refund: Refund) -> bool:
    return refund.state != RefundState.SUCCEEDED and refund.due_on < timezone.localdate()
