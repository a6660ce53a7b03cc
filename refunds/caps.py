"""What a refund may still pay back: the one rule that every way of making or retrying a refund
obeys (the API, the admin's pay and goodwill pages, the proposal after inspection).

- A returned unit is paid back once, with its own return, for no more than was paid for it:
  per return line and per order line (`refunds.selectors.items_room`).
- Everything together, shipping and goodwill included: no more than the order was paid.

The callers hold the lock on the order's row while they check and write, so what counted
refunds already cover cannot change in between.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

from django.utils.translation import gettext as _

from refunds.models import COUNTED_STATES, Refund, RefundLineKind
from refunds.selectors import Covered, ItemRoom, items_room, order_refundable
from returns.models import Order, Outcome, ReturnLine, ReturnRequest
from returns_portal.core.l10n import format_money
from returns_portal.core.money import ZERO


class RefundRefused(Exception):
    """The refund cannot be made as asked; the message says why, for staff. `refund` is the refund
    that already pays back what was asked, when there is one."""

    def __init__(self, message: str, *, refund: Refund | None = None) -> None:
        super().__init__(message)
        self.refund = refund


@dataclass(frozen=True)
class RefundLineIn:
    kind: str
    amount: Decimal
    vat_rate: Decimal = ZERO
    return_line_id: int | None = None
    quantity: int = 0  # an item line: how many units of its return line it pays back


def refund_allowed(
    *, order: Order, lines: Sequence[RefundLineIn], amount: Decimal, return_request: ReturnRequest | None, reason: str
) -> None:
    """A new refund of `amount` made of `lines`, or RefundRefused saying why not."""
    if return_request is not None and return_request.order_id != order.pk:
        raise RefundRefused(_("The return belongs to another order."))
    if amount <= 0:
        covering = refund_covering(order, return_request, order_wide=False) if return_request is not None else None
        if return_request is None or covering is None:
            raise RefundRefused(_("A refund must be more than zero."))
        raise RefundRefused(
            _("Return %(number)s was already refunded.") % {"number": return_request.number}, refund=covering
        )
    if return_request is None and not reason.strip():
        raise RefundRefused(_("Say why: a refund without returned items needs a reason."))
    refund_within_caps(order=order, lines=lines, amount=amount, return_request=return_request)


def refund_within_caps(
    *, order: Order, lines: Sequence[RefundLineIn], amount: Decimal, return_request: ReturnRequest | None
) -> None:
    """The one rule, for a new refund and for a failed one tried again; the caller holds the order's lock.

    Items: a returned unit is paid back once, with its own return, for no more than was paid for
    it (per return line and per order line: `refunds.selectors.items_room`). Everything together,
    shipping and goodwill included: no more than the order can still give back.
    """
    asked: dict[int, Covered] = {}
    for line in lines:
        if line.kind != RefundLineKind.ITEM:
            continue
        if line.return_line_id is None or line.quantity < 1:
            raise RefundRefused(_("An item refund names the returned line and how many of its units it pays back."))
        asked[line.return_line_id] = asked.get(line.return_line_id, Covered()) + Covered(line.quantity, line.amount)
    if asked:
        return_lines = list(
            ReturnLine.objects.filter(pk__in=asked, return_request=return_request).select_related(
                "order_line__variant", "return_request"
            )
        )
        if return_request is None or len(return_lines) != len(asked):
            raise RefundRefused(_("Returned items are refunded with their own return."))
        room = items_room(order, return_lines)
        for return_line in return_lines:
            wanted, left = asked[return_line.pk], room[return_line.pk]
            if wanted.units > left.units or wanted.amount > left.cap:
                raise RefundRefused(
                    _items_left(return_line, left, order.currency), refund=refund_covering(order, return_request)
                )
    left_in_order = order_refundable(order)
    if amount > left_in_order:
        raise RefundRefused(
            _("Only %(left)s of this order can still be refunded.")
            % {"left": format_money(left_in_order, order.currency)},
            refund=refund_covering(order, return_request),
        )


def _items_left(return_line: ReturnLine, left: ItemRoom, currency: str) -> str:
    names = {"sku": return_line.order_line.variant.sku, "number": return_line.return_request.number}
    if not (return_line.outcome == Outcome.ACCEPTED and return_line.received_quantity):
        return _("No unit of %(sku)s was accepted in return %(number)s.") % names
    if left.units == 0:
        return _("%(sku)s of return %(number)s was already refunded.") % names
    return _("Only %(units)d × %(sku)s of return %(number)s can still be refunded, for at most %(left)s.") % {
        **names,
        "units": left.units,
        "left": format_money(left.cap, currency),
    }


def refund_covering(order: Order, return_request: ReturnRequest | None, *, order_wide: bool = True) -> Refund | None:
    """The refund that already pays back what was asked: the return's latest counted refund, else
    (`order_wide`) the order's."""
    counted = Refund.objects.filter(order=order, state__in=COUNTED_STATES).order_by("-created_at", "-pk")
    mine = counted.filter(return_request=return_request).first() if return_request is not None else None
    return mine or (counted.first() if order_wide else None)
