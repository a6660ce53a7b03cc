"""Actions on refunds. The money rules (`refunds.caps`): a returned unit is paid back once, for no
more than was paid for it, and an order never gives back more than it was paid.

Every refund is created (and every failed one retried) under a lock on its order's
row, after checking the caps, so two staff members (or API requests with different
keys racing a click) cannot both spend the same units or money. Providers are called
outside any transaction, always with the refund's idempotency key.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Sequence

from celery import current_app
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
    RefundMethod,
    RefundState,
)
from refunds.payouts import payout_request
from refunds.proposal import refund_proposal
from refunds.providers import (
    ConnectedProvider,
    Outcome,
    PayoutRequest,
    PayoutResult,
    ProviderTimeout,
    ProviderUnavailable,
    connected_key,
    get_connected_provider,
    get_provider,
)
from returns import deadlines
from returns.models import INSPECTED_STATES, Order, Resolution, ReturnRequest, ReturnState
from returns.pricing import vat_included
from returns.services import return_transition
from returns_portal.core import states
from returns_portal.core.money import ZERO, round_money
from returns_portal.core.states import actor_name

log = logging.getLogger(__name__)


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
    note: str = "",
    replaces: Refund | None = None,
) -> Refund:
    """A pending refund, or the one already made with this key; RefundRefused saves nothing. `note`
    goes into its first history row; `replaces` is the failed refund it pays instead."""
    refund, _made = _create(
        order=order,
        lines=lines,
        method=method,
        idempotency_key=idempotency_key,
        return_request=return_request,
        reason=reason,
        by=by,
        now=now,
        note=note,
        replaces=replaces,
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
    note: str = "",
    replaces: Refund | None = None,
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
                    provider=provider_name(method, order.payment_provider),
                    idempotency_key=idempotency_key,
                    reason=reason.strip(),
                    due_on=deadlines.refund_due_on(requested_at=requested_at),
                    requested_at=requested_at,
                    created_at=now,
                    created_by=by,
                    replaces=replaces,
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
            refund=refund, to_state=RefundState.PENDING, by=by, actor=actor_name(by, "system"), at=now, note=note
        )
    return refund, True


def provider_name(method: str, payment_provider: str) -> str:
    """What a refund records as its provider: the payment provider's key (klarna, adyen, stripe) when
    it pays through the one that took the payment, else the name of REFUND_PROVIDERS' choice."""
    return connected_key(method, payment_provider) or get_provider(method).name


def refund_note(*, refund: Refund, note: str, by: User | None = None, actor: str = "system") -> None:
    """A line in the refund's history that changes no state: what a provider said while it stays where it is."""
    RefundEvent.objects.create(
        refund=refund, from_state=refund.state, to_state=refund.state, by=by, actor=actor_name(by, actor), note=note
    )


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


# A provider that is down is asked again by a task, later each time (or after what it asked for),
# up to this many attempts; then reconciliation and staff take over (the refund stays processing).
PAY_TASK = "refunds.pay_refund"  # refunds.tasks.pay_refund, queued by name
RETRY_FIRST_SECONDS = 30
RETRY_MAX_SECONDS = 3600
RETRY_MAX_ATTEMPTS = 8
# How long a provider answers a repeated idempotency key with its first answer (Stripe and Klarna:
# 24 hours; Adyen: at least 7 days). Later the same key would pay again.
PROVIDER_KEY_LIFETIME = dt.timedelta(hours=24)


def refund_execute(*, refund: Refund, by: User | None = None) -> Refund:
    """Pay a pending refund, or try a failed or unanswered one again with the same key.

    Claim it (processing) in one transaction, ask the provider outside any
    transaction, record the answer in another. A time-out leaves it processing:
    trying again is safe because the provider knows the key. A provider that is
    down leaves it processing too, and a task asks again later (`RETRY_*`).
    One already processing at a connected provider is asked about first (`_already_made`).
    """
    claimed, resumed = _claim(refund, by)
    if claimed.state != RefundState.PROCESSING:
        return claimed
    payout = payout_request(claimed)
    key = connected_key(claimed.method, claimed.order.payment_provider)
    try:
        known = _already_made(claimed, get_connected_provider(key), payout) if resumed and key else None
        result = known or get_provider(claimed.method, claimed.order.payment_provider).refund(payout)
    except ProviderTimeout as timeout:
        return _unanswered(claimed, str(timeout))
    except ProviderUnavailable as unavailable:
        _unanswered(claimed, unavailable.message)
        _retry_later(claimed, unavailable.retry_after, by)
        return claimed
    return _record(claimed, result, by)


def _already_made(refund: Refund, provider: ConnectedProvider, payout: PayoutRequest) -> PayoutResult | None:
    """What became of a refund sent before, or None when it may be sent (again). One the provider
    accepted (its id is known) is asked about, never sent again. One whose answer was lost is sent
    again with the same key while the provider still knows the key; after that it is looked up by
    our key first, as the provider would pay an expired key again."""
    if refund.provider_reference:
        return provider.refund_status(reference=refund.provider_reference, request=payout)
    if refund.processing_since is None or refund.processing_since > timezone.now() - PROVIDER_KEY_LIFETIME:
        return None
    found = provider.refund_status(reference="", request=payout)
    never_made = found.outcome == Outcome.FAILED and not found.reference  # the adapters' "none with our key"
    return None if never_made else found


def _unanswered(refund: Refund, error: str) -> Refund:
    Refund.objects.filter(pk=refund.pk).update(last_error=error)
    refund.last_error = error
    return refund


def _retry_later(refund: Refund, retry_after: float | None, by: User | None) -> None:
    if refund.attempts >= RETRY_MAX_ATTEMPTS:
        return
    backoff = min(RETRY_FIRST_SECONDS * 2 ** (refund.attempts - 1), RETRY_MAX_SECONDS)
    countdown = max(backoff, retry_after or 0)
    refund_id, by_id = refund.pk, by.pk if by is not None else None

    def queue() -> None:
        try:
            # By the task's name: refunds.tasks imports this module.
            current_app.tasks[PAY_TASK].apply_async((refund_id, by_id), countdown=countdown)
        except Exception:  # the broker is down too: reconciliation sends it again (the same key) later
            log.warning("The retry of refund %s was not queued", refund_id, exc_info=True)

    transaction.on_commit(queue)


def _claim(refund: Refund, by: User | None) -> tuple[Refund, bool]:
    """The refund locked and counted as sent, and whether it was already processing (sent before)."""
    with transaction.atomic():
        # The order first, as when refunds are made: a failed refund tried again spends money again.
        order = Order.objects.select_for_update().get(pk=refund.order_id)
        locked = (
            Refund.objects.select_for_update(of=("self",)).select_related("order", "return_request").get(pk=refund.pk)
        )
        if locked.state == RefundState.SUCCEEDED:
            return locked, False
        if locked.state == RefundState.FAILED and Refund.objects.filter(replaces=locked).exists():
            raise RefundRefused(
                _("Refund %(id)s was paid another way instead.") % {"id": locked.pk}, refund=locked.replacement
            )
        if locked.state == RefundState.FAILED and _reversed(locked):
            # The same key again would get the provider's first answer (its old refund), not a new payout.
            raise RefundRefused(
                _(
                    "Refund %(id)s was paid and then reversed by the provider: trying it again would not pay "
                    "the customer. Switch it to bank transfer or store credit instead."
                )
                % {"id": locked.pk},
                refund=locked,
            )
        if locked.state == RefundState.FAILED:
            lines = [
                RefundLineIn(line.kind, line.amount, line.vat_rate, line.return_line_id, line.quantity)
                for line in locked.lines.all()
            ]
            refund_within_caps(order=order, lines=lines, amount=locked.amount, return_request=locked.return_request)
        resumed = locked.state == RefundState.PROCESSING
        if not resumed:
            refund_transition(refund=locked, to=RefundState.PROCESSING, by=by)
            locked.processing_since = timezone.now()  # a try again of an unanswered payout keeps its first moment
        locked.attempts += 1
        locked.save(update_fields=["attempts", "processing_since"])
    return locked, resumed


def _reversed(refund: Refund) -> bool:
    """A paid refund the provider took back (`refunds.settlement`): succeeded, then failed."""
    return refund.history.filter(from_state=RefundState.SUCCEEDED, to_state=RefundState.FAILED).exists()


def refund_lock(refund: Refund) -> Refund:
    """The refund's row locked, after its order's: the order in which every change of a refund locks, as
    completing its return may touch what the order's lock guards (call inside a transaction)."""
    Order.objects.select_for_update().get(pk=refund.order_id)
    return Refund.objects.select_for_update(of=("self",)).select_related("order").get(pk=refund.pk)


def _record(refund: Refund, result: PayoutResult, by: User | None) -> Refund:
    with transaction.atomic():
        locked = refund_lock(refund)
        if locked.state != RefundState.PROCESSING:
            # Another attempt, or the provider's webhook, settled it first; keep the provider's id if it had none.
            if result.reference and not locked.provider_reference:
                locked.provider_reference = result.reference
                locked.save(update_fields=["provider_reference"])
            return locked
        refund_record_answer(refund=locked, result=result, by=by)
    return locked


def refund_record_answer(
    *, refund: Refund, result: PayoutResult, by: User | None = None, actor: str = "system"
) -> None:
    """Record a provider's answer about a processing refund, locked by the caller: its refund id, its
    fee, and the outcome (succeeded or failed); a refund still under way stays processing, noted
    once per provider id, with what the provider said kept as its last error."""
    new_reference = bool(result.reference) and result.reference != refund.provider_reference
    refund.provider_reference = result.reference or refund.provider_reference
    refund.provider_fee = result.fee if result.fee is not None else refund.provider_fee
    if result.outcome == Outcome.SUCCEEDED:
        refund.paid_at, refund.last_error = timezone.now(), ""
        refund.save(update_fields=["provider_reference", "provider_fee", "paid_at", "last_error"])
        refund_transition(refund=refund, to=RefundState.SUCCEEDED, by=by, actor=actor, note=result.reference)
    elif result.outcome == Outcome.FAILED:
        refund.last_error = result.error
        refund.save(update_fields=["provider_reference", "provider_fee", "last_error"])
        refund_transition(refund=refund, to=RefundState.FAILED, by=by, actor=actor, note=result.error)
    else:
        refund.last_error = result.error
        refund.save(update_fields=["provider_reference", "provider_fee", "last_error"])
        if connected_key(refund.method, refund.order.payment_provider) and new_reference:
            refund_note(
                refund=refund,
                by=by,
                actor=actor,
                note=f"{refund.provider.title()} accepted the refund as {result.reference}; "
                "waiting for its confirmation.",
            )


def refund_confirm(*, refund: Refund, by: User, reference: str = "") -> Refund:
    """Staff paid a manual refund (e.g. a bank transfer) and say so."""
    with transaction.atomic():
        locked = refund_lock(refund)
        locked.paid_at = timezone.now()
        locked.provider_reference = reference.strip() or locked.provider_reference
        locked.save(update_fields=["paid_at", "provider_reference"])
        return refund_transition(refund=locked, to=RefundState.SUCCEEDED, by=by, note=reference.strip())


def refund_for_return(
    *, return_request: ReturnRequest, by: User | None = None, idempotency_key: str | None = None, note: str = ""
) -> Refund:
    """Propose and create the refund of an inspected return, once: by default its key is the
    return's number; an API client may bring its own key."""
    refund, _made = refund_for_return_keyed(
        return_request=return_request, by=by, idempotency_key=idempotency_key, note=note
    )
    return refund


def refund_for_return_keyed(
    *, return_request: ReturnRequest, by: User | None = None, idempotency_key: str | None = None, note: str = ""
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
            note=note,
        )


def _method_for(return_request: ReturnRequest) -> str:
    if return_request.resolution == Resolution.STORE_CREDIT:
        return RefundMethod.STORE_CREDIT
    order = return_request.order
    if order.payment_method == "invoice" and not order.payment_provider:
        return RefundMethod.BANK_TRANSFER  # there is no card to pay back to; a Klarna invoice goes back through Klarna
    return RefundMethod.ORIGINAL_PAYMENT
