"""A failed refund paid another way: by bank transfer or as store credit, with a recorded reason.

The failed refund stays as it is (failed, with the provider's reason and refund id: the money trail
of what was tried); a new refund with the same lines pays instead, made under the order's lock and
the caps like any other, and names the one it replaces (`Refund.replaces`, one-to-one: a failed
refund is switched once). A failed refund that was switched is never tried again (`refund_execute`
refuses it), so the customer is paid once whichever way it goes.
"""

from __future__ import annotations

from django.contrib.auth.models import User
from django.db import transaction
from django.utils.translation import gettext as _

from refunds.caps import RefundLineIn, RefundRefused
from refunds.models import Refund, RefundMethod, RefundState
from refunds.services import refund_create, refund_execute, refund_note
from returns.models import Order

SWITCH_METHODS = (RefundMethod.BANK_TRANSFER, RefundMethod.STORE_CREDIT)


def refund_switch(*, refund: Refund, method: str, reason: str, by: User) -> Refund:
    """The refund that pays a failed one by `method` instead (made once; asked again, the same one),
    then paid: store credit is issued at once, a bank transfer waits for staff to confirm it."""
    if method not in SWITCH_METHODS:
        raise RefundRefused(_("A failed refund can be paid by bank transfer or as store credit instead."))
    if not reason.strip():
        raise RefundRefused(_("Say why the refund is paid another way."))
    with transaction.atomic():
        Order.objects.select_for_update().get(pk=refund.order_id)
        failed = (
            Refund.objects.select_for_update(of=("self",)).select_related("order", "return_request").get(pk=refund.pk)
        )
        earlier = Refund.objects.filter(replaces=failed).first()
        if earlier is not None:
            if earlier.method != method:
                raise RefundRefused(
                    _("Refund %(id)s is already paid another way, by refund %(other)s.")
                    % {"id": failed.pk, "other": earlier.pk},
                    refund=earlier,
                )
            return earlier
        if failed.state != RefundState.FAILED:
            raise RefundRefused(_("Only a failed refund can be paid another way."), refund=failed)
        label = RefundMethod(method).label.lower()
        replacement = refund_create(
            order=failed.order,
            lines=[
                RefundLineIn(line.kind, line.amount, line.vat_rate, line.return_line_id, line.quantity)
                for line in failed.lines.all()
            ],
            method=method,
            idempotency_key=f"switch:{failed.pk}",
            return_request=failed.return_request,
            reason=failed.reason,
            by=by,
            note=f"Pays refund #{failed.pk} by {label} instead ({failed.last_error or 'failed'}). "
            f"Reason: {reason.strip()}",
            replaces=failed,
        )
        refund_note(
            refund=failed, by=by, note=f"Paid by {label} instead, as refund #{replacement.pk}: {reason.strip()}"
        )
    return refund_execute(refund=replacement, by=by)
