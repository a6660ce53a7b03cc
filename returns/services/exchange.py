"""Exchanges: once the returned item is accepted, the held units become a replacement order
for the shop to ship at no charge; shipping it completes the return."""

from __future__ import annotations

import datetime as dt
from typing import cast

from django.contrib.auth.models import User
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from returns.models import Order, OrderLine, Outcome, ReturnRequest, ReturnState
from returns.services.errors import ReturnRefused
from returns.services.stock import exchange_release
from returns.services.transitions import return_transition
from returns_portal.core.money import ZERO


def exchange_fulfil(*, return_request: ReturnRequest, now: dt.datetime | None = None) -> Order | None:
    """After inspection: the accepted units become a replacement order at no charge; units not
    accepted go back in stock. Returns None when nothing was accepted. Safe to call twice."""
    existing = Order.objects.filter(replacement_for=return_request).first()
    if existing is not None:
        return existing
    now = now or timezone.now()
    lines = list(
        return_request.lines.select_related("order_line").filter(
            exchange_variant__isnull=False, reserved_quantity__gt=0
        )
    )
    wanted = {
        line.pk: min(line.received_quantity or 0, line.reserved_quantity)
        for line in lines
        if line.outcome == Outcome.ACCEPTED
    }
    exchange_release(return_request, keep=wanted)
    if not any(wanted.values()):
        return None
    original = return_request.order
    replacement = Order.objects.create(
        number=f"{original.number}-{return_request.number}",
        customer_id=original.customer_id,
        placed_at=now,
        delivered_at=None,
        currency=original.currency,
        language=return_request.language or original.language,
        payment_method=original.payment_method,
        replacement_for=return_request,
    )
    new_lines = [
        OrderLine(
            order=replacement,
            variant_id=cast(int, line.exchange_variant_id),
            quantity=wanted[line.pk],
            unit_price=line.order_line.unit_price,
            vat_rate=line.order_line.vat_rate,
        )
        for line in lines
        if wanted.get(line.pk)
    ]
    OrderLine.objects.bulk_create(new_lines)
    # Already paid for by the returned item: the whole value is discounted, so the order owes nothing.
    replacement.discount_amount = sum((line.unit_price * line.quantity for line in new_lines), ZERO)
    replacement.save(update_fields=["discount_amount"])
    return replacement


def replacement_ship(*, order: Order, tracking_number: str, by: User, now: dt.datetime | None = None) -> Order:
    """The shop sent the replacement: record it and complete the exchange."""
    if order.replacement_for_id is None:
        raise ReturnRefused({None: [_("Only a replacement order is shipped from here.")]})
    now = now or timezone.now()
    with transaction.atomic():
        locked = Order.objects.select_for_update().get(pk=order.pk)
        if locked.shipped_at is not None:
            raise ReturnRefused({None: [_("This replacement was already shipped.")]})
        locked.shipped_at, locked.shipment_tracking = now, tracking_number.strip()
        locked.save(update_fields=["shipped_at", "shipment_tracking"])
        return_request = ReturnRequest.objects.get(replacement_order=locked)
        if return_request.state == ReturnState.INSPECTED:
            note = _("Replacement shipped: %(tracking)s") % {"tracking": locked.shipment_tracking or "-"}
            return_transition(return_request=return_request, to=ReturnState.COMPLETED, by=by, note=note, now=now)
    return locked
