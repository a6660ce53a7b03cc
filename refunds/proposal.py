"""What an inspected return gives back: the proposal its refund is made of, under the order's lock."""

from __future__ import annotations

from refunds.caps import RefundLineIn
from refunds.models import RefundLineKind
from refunds.selectors import items_room, return_refunded_by_kind
from returns.models import ReturnLine, ReturnRequest
from returns_portal.core.money import ZERO


def refund_proposal(*, return_request: ReturnRequest) -> list[RefundLineIn]:
    """What an inspected return still gives back: its accepted units that no counted refund covers
    yet, at what was paid for them (`refunds.selectors.items_room`); the fees of the customer's quote
    not yet taken (never more than the items); and the quote's shipping, not yet given back, when every
    unit came back accepted. Exact under the order's lock, where `refund_for_return` calls it."""
    order = return_request.order
    return_lines = list(ReturnLine.objects.filter(return_request=return_request).select_related("order_line"))
    room = items_room(order, return_lines)
    lines = [
        RefundLineIn(RefundLineKind.ITEM, room[line.pk].price, line.order_line.vat_rate, line.pk, room[line.pk].units)
        for line in return_lines
        if room[line.pk].units
    ]
    given = return_refunded_by_kind(return_request)
    items = sum((line.amount for line in lines), ZERO)
    for kind, fee in (
        (RefundLineKind.RETURN_FEE, return_request.return_fee),
        (RefundLineKind.RESTOCKING_FEE, return_request.restocking_fee),
    ):
        taken = min(fee + given.get(kind, ZERO), items)
        if taken > 0:
            lines.append(RefundLineIn(kind, -taken))
            items -= taken
    shipping = return_request.shipping_refund - given.get(RefundLineKind.SHIPPING, ZERO)
    if shipping > 0 and all(
        line.outcome == "accepted" and line.received_quantity == line.quantity for line in return_lines
    ):
        lines.append(RefundLineIn(RefundLineKind.SHIPPING, shipping))
    return lines
