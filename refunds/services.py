"""Actions on refunds. The money rules (`refunds.caps`): a returned unit is paid back once, for no
more than was paid for it, and an order never gives back more than it was paid.

Every refund is created (and every failed one retried) under a lock on its order's
row, after checking the caps, so two staff members (or API requests with different
keys racing a click) cannot both spend the same units or money. Providers are called
outside any transaction, always with the refund's idempotency key.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from django.contrib.auth.models import User
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from refunds import signals
from refunds.caps import RefundLineIn, RefundRefused, refund_allowed, refund_within_caps
from refunds.models import (
    PAYABLE_STATES,
    TRANSITIONS,
    Refund,
    RefundEvent,
    RefundLine,
    RefundLineKind,
    RefundMethod,
    RefundState,
)
from refunds.providers import Outcome, PayoutRequest, PayoutResult, ProviderTimeout, get_provider
from refunds.selectors import items_room, return_refunded_by_kind
from returns import deadlines
from returns.models import INSPECTED_STATES, Order, Resolution, ReturnLine, ReturnRequest, ReturnState
from returns.pricing import vat_included
from returns.services import return_transition
from returns_portal.core import states
from returns_portal.core.money import ZERO, round_money
from returns_portal.core.states import actor_name


class InvalidRefundTransition(states.InvalidTransition):
    """A state change the refund's state machine does not allow."""

    def __init__(self, refund: Refund, to_state: str) -> None:
        current = RefundState(refund.state)
        super().__init__(
            f"Refund {refund.pk} cannot go from {current.label} to {RefundState(to_state).label}.",
            from_state=current,
            to_state=to_state,
        )


REFUND_STATES = states.StateMachine(
    transitions=TRANSITIONS,
    history=RefundEvent,
    subject="refund",
    signal=signals.refund_state_changed,
    refused=InvalidRefundTransition,
)


def refund_create(
    *,
    order: Order,
    lines: Sequence[RefundLineIn],
    method: str,
    idempotency_key: str,
    return_request: ReturnRequest | None = None,
    reason: str = "",
    by: User | None = None,
    now: dt.datetime | None = None,
) -> Refund:
    """A pending refund, or the one already made with this key; RefundRefused saves nothing."""
    refund, _made = _create(
        order=order,
        lines=lines,
        method=method,
        idempotency_key=idempotency_key,
        return_request=return_request,
        reason=reason,
        by=by,
        now=now,
    )
    return refund


def _create(
    *,
    order: Order,
    lines: Sequence[RefundLineIn],
    method: str,
    idempotency_key: str,
    return_request: ReturnRequest | None,
    reason: str = "",
    by: User | None,
    now: dt.datetime | None = None,
) -> tuple[Refund, bool]:
    now = now or timezone.now()
    with transaction.atomic():
        order = Order.objects.select_for_update().get(pk=order.pk)
        done = Refund.objects.filter(idempotency_key=idempotency_key).first()
        if done is not None:
            return _same_request(done, order, return_request), False
        amount = round_money(sum((line.amount for line in lines), ZERO), order.currency)
        refund_allowed(order=order, lines=lines, amount=amount, return_request=return_request, reason=reason)
        requested_at = return_request.created_at if return_request else now
        try:
            with transaction.atomic():
                refund = Refund.objects.create(
                    order=order,
                    return_request=return_request,
                    amount=amount,
                    currency=order.currency,
                    method=method,
                    provider=get_provider(method).name,
                    idempotency_key=idempotency_key,
                    reason=reason.strip(),
                    due_on=deadlines.refund_due_on(requested_at=requested_at),
                    requested_at=requested_at,
                    created_at=now,
                    created_by=by,
                )
        except IntegrityError:  # the same key at the same moment for another order, whose lock we do not hold
            raise RefundRefused(_("This idempotency key was already used for another order.")) from None
        RefundLine.objects.bulk_create(
            RefundLine(
                refund=refund,
                kind=line.kind,
                return_line_id=line.return_line_id,
                quantity=line.quantity,
                amount=round_money(line.amount, order.currency),
                vat_rate=line.vat_rate,
                vat_amount=vat_included(line.amount, line.vat_rate, order.currency),
            )
            for line in lines
        )
        RefundEvent.objects.create(
            refund=refund, to_state=RefundState.PENDING, by=by, actor=actor_name(by, "system"), at=now
        )
    return refund, True


def _same_request(done: Refund, order: Order, return_request: ReturnRequest | None) -> Refund:
    if done.order_id != order.pk:
        raise RefundRefused(_("This idempotency key was already used for another order."))
    if done.return_request_id != (return_request.pk if return_request is not None else None):
        raise RefundRefused(_("This idempotency key was already used for another refund."), refund=done)
    return done


def refund_transition(
    *,
    refund: Refund,
    to: str,
    by: User | None = None,
    actor: str = "system",
    note: str = "",
    now: dt.datetime | None = None,
) -> Refund:
    """The one way a refund changes state, with a history row (`states.change_state`).

    Unlike `return_transition` it takes no lock of its own: `refund` is a row its caller has
    locked, inside the caller's transaction (after the order's row, where money may move).
    """
    states.change_state(REFUND_STATES, row=refund, to=to, by=by, actor=actor, note=note, at=now)
    if to == RefundState.SUCCEEDED:
        _complete_return(refund, by)
    return refund


def _complete_return(refund: Refund, by: User | None) -> None:
    """The money (or the code) went out: an inspected return with nothing else still to pay is done."""
    if refund.return_request_id is None:
        return
    return_request = ReturnRequest.objects.select_for_update().get(pk=refund.return_request_id)
    still_open = return_request.refunds.filter(state__in=PAYABLE_STATES)
    if return_request.state == ReturnState.INSPECTED and not still_open.exclude(pk=refund.pk).exists():
        return_transition(
            return_request=return_request, to=ReturnState.COMPLETED, by=by, note=refund.provider_reference
        )


def refund_execute(*, refund: Refund, by: User | None = None) -> Refund:
    """Pay a pending refund, or try a failed or unanswered one again with the same key.

    Claim it (processing) in one transaction, ask the provider outside any
    transaction, record the answer in another. A time-out leaves it processing:
    trying again is safe because the provider knows the key.
    """
    claimed = _claim(refund, by)
    if claimed.state != RefundState.PROCESSING:
        return claimed
    order = claimed.order
    payout = PayoutRequest(
        claimed.idempotency_key, claimed.amount, claimed.currency, order.number, order.payment_method
    )
    try:
        result = get_provider(claimed.method).refund(payout)
    except ProviderTimeout as timeout:
        Refund.objects.filter(pk=claimed.pk).update(last_error=str(timeout))
        claimed.last_error = str(timeout)
        return claimed
    return _record(claimed, result, by)


def _claim(refund: Refund, by: User | None) -> Refund:
    with transaction.atomic():
        # The order first, as when refunds are made: a failed refund tried again spends money again.
        order = Order.objects.select_for_update().get(pk=refund.order_id)
        locked = (
            Refund.objects.select_for_update(of=("self",)).select_related("order", "return_request").get(pk=refund.pk)
        )
        if locked.state == RefundState.SUCCEEDED:
            return locked
        if locked.state == RefundState.FAILED:
            lines = [
                RefundLineIn(line.kind, line.amount, line.vat_rate, line.return_line_id, line.quantity)
                for line in locked.lines.all()
            ]
            refund_within_caps(order=order, lines=lines, amount=locked.amount, return_request=locked.return_request)
        if locked.state != RefundState.PROCESSING:
            refund_transition(refund=locked, to=RefundState.PROCESSING, by=by)
        locked.attempts += 1
        locked.save(update_fields=["attempts"])
    return locked


def _record(refund: Refund, result: PayoutResult, by: User | None) -> Refund:
    with transaction.atomic():
        locked = Refund.objects.select_for_update().get(pk=refund.pk)
        if locked.state != RefundState.PROCESSING:
            return locked  # another attempt recorded the answer first
        locked.provider_reference = result.reference or locked.provider_reference
        if result.outcome == Outcome.SUCCEEDED:
            locked.paid_at, locked.last_error = timezone.now(), ""
            locked.save(update_fields=["provider_reference", "paid_at", "last_error"])
            refund_transition(refund=locked, to=RefundState.SUCCEEDED, by=by, note=result.reference)
        elif result.outcome == Outcome.FAILED:
            locked.last_error = result.error
            locked.save(update_fields=["provider_reference", "last_error"])
            refund_transition(refund=locked, to=RefundState.FAILED, by=by, note=result.error)
        else:
            locked.save(update_fields=["provider_reference"])
    return locked


def refund_confirm(*, refund: Refund, by: User, reference: str = "") -> Refund:
    """Staff paid a manual refund (e.g. a bank transfer) and say so."""
    with transaction.atomic():
        locked = Refund.objects.select_for_update().get(pk=refund.pk)
        locked.paid_at = timezone.now()
        locked.provider_reference = reference.strip() or locked.provider_reference
        locked.save(update_fields=["paid_at", "provider_reference"])
        return refund_transition(refund=locked, to=RefundState.SUCCEEDED, by=by, note=reference.strip())


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


def refund_for_return(
    *, return_request: ReturnRequest, by: User | None = None, idempotency_key: str | None = None
) -> Refund:
    """Propose and create the refund of an inspected return, once: by default its key is the
    return's number; an API client may bring its own key."""
    refund, _made = refund_for_return_keyed(return_request=return_request, by=by, idempotency_key=idempotency_key)
    return refund


def refund_for_return_keyed(
    *, return_request: ReturnRequest, by: User | None = None, idempotency_key: str | None = None
) -> tuple[Refund, bool]:
    """The refund of an inspected return for this key, and whether this call made it (False: the
    key's refund already existed). What it pays is proposed under the order's lock, so a request
    with another key finds the units already covered and is refused with the refund that covers them."""
    # Inspected returns are refunded; a completed one still answers a repeated idempotency key.
    if return_request.state not in INSPECTED_STATES:
        raise RefundRefused(
            _("Return %(number)s is %(state)s: it is refunded once it has been inspected.")
            % {"number": return_request.number, "state": ReturnState(return_request.state).label.lower()}
        )
    with transaction.atomic():
        order = Order.objects.select_for_update().get(pk=return_request.order_id)
        return _create(
            order=order,
            lines=refund_proposal(return_request=return_request),
            method=_method_for(return_request),
            idempotency_key=idempotency_key or f"return:{return_request.number}",
            return_request=return_request,
            by=by,
        )


def _method_for(return_request: ReturnRequest) -> str:
    if return_request.resolution == Resolution.STORE_CREDIT:
        return RefundMethod.STORE_CREDIT
    if return_request.order.payment_method == "invoice":
        return RefundMethod.BANK_TRANSFER  # there is no card to pay back to
    return RefundMethod.ORIGINAL_PAYMENT
