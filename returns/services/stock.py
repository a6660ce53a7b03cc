"""Stock held for exchanges: the wanted size is taken from stock when the return is made,
and every held unit goes back exactly once when it is not shipped after all.

Stock moves only with conditional UPDATEs (`stock >= n`), so two customers can
never both take the last unit; `reserved_quantity` on the line says how many
units are still held.
"""

from __future__ import annotations

from collections.abc import Iterable

from django.db.models import F
from django.utils.translation import gettext as _

from returns.models import ReturnLine, ReturnRequest, Variant
from returns.services.errors import ReturnRefused


def exchange_reserve(lines: Iterable[ReturnLine]) -> None:
    """Take the wanted units out of stock for each exchange line; all or nothing (run in the caller's
    transaction, which a ReturnRefused rolls back)."""
    for line in lines:
        if not line.exchange_variant_id:
            continue
        taken = Variant.objects.filter(pk=line.exchange_variant_id, stock__gte=line.quantity).update(
            stock=F("stock") - line.quantity
        )
        if not taken:
            raise ReturnRefused(
                {line.order_line_id: [_("Sorry, that size or colour is out of stock. Choose another, or a refund.")]}
            )
        ReturnLine.objects.filter(pk=line.pk).update(reserved_quantity=line.quantity)


def exchange_release(return_request: ReturnRequest, *, keep: dict[int, int] | None = None) -> None:
    """Put held units back in stock, except `keep` (return line id -> units still wanted)."""
    keep = keep or {}
    held = ReturnLine.objects.select_for_update().filter(return_request=return_request, reserved_quantity__gt=0)
    for line in held:
        assert line.exchange_variant_id is not None  # only exchange lines hold stock
        kept = min(keep.get(line.pk, 0), line.reserved_quantity)
        if line.reserved_quantity > kept:
            Variant.objects.filter(pk=line.exchange_variant_id).update(stock=F("stock") + line.reserved_quantity - kept)
            ReturnLine.objects.filter(pk=line.pk).update(reserved_quantity=kept)
