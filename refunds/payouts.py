"""What a payment provider is asked to pay back for a refund (`PayoutRequest`), from the refund's lines."""

from __future__ import annotations

from django.utils import translation
from django.utils.translation import gettext as _

from refunds.models import Refund, RefundLine, RefundLineKind
from refunds.providers import PayoutLine, PayoutRequest


def payout_request(refund: Refund) -> PayoutRequest:
    """What the provider is asked to pay back: the amount, the payment's reference, and the lines
    (items by SKU and name with their VAT, fees and shipping by kind), as Klarna reconciles them."""
    order = refund.order
    lines = refund.lines.select_related("return_line__order_line__variant__product")
    with translation.override(order.language):
        if refund.return_request is not None:
            description = _("Return %(number)s") % {"number": refund.return_request.number}
        else:
            description = _("Refund for order %(number)s") % {"number": order.number}
    return PayoutRequest(
        idempotency_key=refund.idempotency_key,
        amount=refund.amount,
        currency=refund.currency,
        order_number=order.number,
        payment_method=order.payment_method,
        payment_reference=order.payment_reference,
        lines=tuple(_payout_line(line) for line in lines),
        description=description,
    )


def _payout_line(line: RefundLine) -> PayoutLine:
    variant = line.return_line.order_line.variant if line.return_line is not None else None
    return PayoutLine(
        kind=line.kind,
        reference=variant.sku if variant is not None else line.kind,
        name=variant.product.name if variant is not None else str(RefundLineKind(line.kind).label),
        quantity=line.quantity if variant is not None else 1,
        total_amount=line.amount,
        vat_rate=line.vat_rate,
        vat_amount=line.vat_amount,
    )
