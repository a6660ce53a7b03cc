"""What a payment provider says later about a refund it accepted: its webhook events, and its answers
when reconciliation asks (`refunds.reconcile`). Both settle a processing refund the same way, here.

Each webhook event is stored once (`PaymentEvent`, unique per provider and event id), in the same
transaction as what it changes, under the order's lock and then the refund's, as every change of a
refund's money: the same event again finds its row and changes nothing, and two deliveries of it at
the same moment wait for each other on the unique row. A refund moves from processing to succeeded
or failed once. A paid refund the provider reverses later fails, for staff to pay another way. A
success reported for a failed refund (or for an earlier try of it) changes no state but is kept,
logged and shown to staff: it may have been paid another way since, and only a person can tell.
"""

from __future__ import annotations

import dataclasses
import logging
from typing import Any

from django.db import IntegrityError, transaction

from refunds.models import PaymentEvent, ProviderEventOutcome, Refund, RefundState
from refunds.providers import Outcome, PayoutResult, ProviderEvent
from refunds.services import refund_lock, refund_note, refund_record_answer, refund_transition

log = logging.getLogger(__name__)
EventOutcome = ProviderEventOutcome


@dataclasses.dataclass(frozen=True)
class Settled:
    outcome: str  # a ProviderEventOutcome
    note: str = ""


def provider_event_receive(*, provider: str, event: ProviderEvent, body: Any) -> tuple[PaymentEvent, bool]:
    """Store a verified webhook event once and settle the refund it is about; (the event's row, whether
    this call stored it). The row says what the event did, for staff."""
    seen = PaymentEvent.objects.filter(provider=provider, event_id=event.event_id).first()
    if seen is not None:
        return seen, False
    refund = _refund_for(provider, event)
    with transaction.atomic():
        locked = refund_lock(refund) if refund is not None else None
        try:
            with transaction.atomic():
                row = PaymentEvent.objects.create(
                    provider=provider,
                    event_id=event.event_id,
                    kind=event.kind,
                    refund=locked,
                    refund_reference=event.refund_reference,
                    outcome=EventOutcome.IGNORED,
                    payload={"event": _plain(event), "body": body},
                )
        except IntegrityError:  # the same event delivered twice at once: the other delivery stored it
            return PaymentEvent.objects.get(provider=provider, event_id=event.event_id), False
        settled = _apply(locked, event, provider) if locked is not None else _unmatched(event)
        row.outcome, row.note = settled.outcome, settled.note
        row.save(update_fields=["outcome", "note"])
    _log(provider, event, settled)
    return row, True


def refund_answer_later(*, refund: Refund, result: PayoutResult, actor: str) -> Settled:
    """Record what the provider answered about a refund asked for earlier (reconciliation)."""
    with transaction.atomic():
        locked = refund_lock(refund)
        return _settle(locked, result, actor=actor, source="its status")


def _refund_for(provider: str, event: ProviderEvent) -> Refund | None:
    """The refund an event is about: by the provider's refund id, else by our idempotency key (an event
    can come before our own call's answer, with the provider's id, was recorded)."""
    ours = Refund.objects.filter(provider=provider)
    found = ours.filter(provider_reference=event.refund_reference).first() if event.refund_reference else None
    if found is None and event.idempotency_key:
        found = ours.filter(idempotency_key=event.idempotency_key).first()
    return found


def _apply(refund: Refund, event: ProviderEvent, provider: str) -> Settled:
    if event.outcome is None:
        return Settled(EventOutcome.IGNORED, f"{event.kind} does not settle a refund.")
    if event.refund_reference and refund.provider_reference not in ("", event.refund_reference):
        # A refund tried again is a new refund at some providers: news of the earlier try changes nothing,
        # but an earlier try that paid may have paid the customer twice: a person must look.
        if event.outcome == Outcome.SUCCEEDED:
            return Settled(
                EventOutcome.CONFLICT,
                f"{event.refund_reference}, an earlier try of refund {refund.pk}, succeeded: check with the "
                "provider that the customer was not paid twice.",
            )
        return Settled(EventOutcome.NOTED, f"About {event.refund_reference}, an earlier try of this refund.")
    result = PayoutResult(event.outcome, reference=event.refund_reference, error=event.error, fee=event.fee)
    return _settle(refund, result, actor=provider, source=event.kind)


def _settle(refund: Refund, result: PayoutResult, *, actor: str, source: str) -> Settled:
    """Settle a locked refund by a provider's later answer: processing moves once; a settled refund
    keeps its state, and a contradiction is shown to staff."""
    if refund.state == RefundState.PROCESSING:
        refund_record_answer(refund=refund, result=result, actor=actor)
        if result.outcome == Outcome.WAITING:
            return Settled(EventOutcome.NOTED, "Still under way at the provider.")
        return Settled(EventOutcome.SETTLED, f"Refund {refund.pk} {refund.get_state_display().lower()}.")
    if result.outcome == Outcome.WAITING or _same_outcome(refund.state, result.outcome):
        _keep_details(refund, result)
        return Settled(EventOutcome.NOTED, f"Refund {refund.pk} was already {refund.get_state_display().lower()}.")
    if refund.state == RefundState.SUCCEEDED:
        return _reverse(refund, result, actor=actor, source=source)
    problem = (
        f"{actor.title()} reports ({source}) that refund {refund.pk}, recorded as "
        f"{refund.get_state_display().lower()}, {'succeeded' if result.outcome == Outcome.SUCCEEDED else 'failed'}"
        f"{': ' + result.error if result.error else ''}. Check with the provider before paying it again."
    )
    refund.last_error = problem
    refund.save(update_fields=["last_error"])
    refund_note(refund=refund, note=problem, actor=actor)
    return Settled(EventOutcome.CONFLICT, problem)


def _reverse(refund: Refund, result: PayoutResult, *, actor: str, source: str) -> Settled:
    """A paid refund the provider reverses: the money came back to the shop, the customer does not have
    it. It fails (with the reason) so that staff pay it another way (its old key again would only get
    the provider's first answer, so `refund_execute` refuses it); nobody is paid twice because a failed
    refund counts for nothing until it is paid again."""
    problem = (
        f"{actor.title()} reversed the paid refund ({source}){': ' + result.error if result.error else ''}. "
        "The customer did not get the money: pay it by bank transfer or store credit instead."
    )
    refund.last_error, refund.paid_at = problem, None
    refund.save(update_fields=["last_error", "paid_at"])
    refund_transition(refund=refund, to=RefundState.FAILED, actor=actor, note=problem)
    return Settled(EventOutcome.REVERSED, problem)


def _same_outcome(state: str, outcome: Outcome) -> bool:
    return (state, outcome) in {(RefundState.SUCCEEDED, Outcome.SUCCEEDED), (RefundState.FAILED, Outcome.FAILED)}


def _keep_details(refund: Refund, result: PayoutResult) -> None:
    """A repeated confirmation may bring what the first one lacked: the provider's id, or its fee."""
    changed = []
    if result.reference and not refund.provider_reference:
        refund.provider_reference = result.reference
        changed.append("provider_reference")
    if result.fee is not None and refund.provider_fee is None:
        refund.provider_fee = result.fee
        changed.append("provider_fee")
    if changed:
        refund.save(update_fields=changed)


def _unmatched(event: ProviderEvent) -> Settled:
    if event.outcome is None:
        return Settled(EventOutcome.IGNORED, f"{event.kind} does not settle a refund.")
    named = event.refund_reference or event.idempotency_key or "no reference"
    return Settled(EventOutcome.UNKNOWN_REFUND, f"No refund here has the reference {named}.")


def _log(provider: str, event: ProviderEvent, settled: Settled) -> None:
    level = {EventOutcome.CONFLICT: logging.ERROR, EventOutcome.UNKNOWN_REFUND: logging.WARNING}.get(
        EventOutcome(settled.outcome), logging.INFO
    )
    log.log(level, "%s event %s (%s): %s %s", provider, event.event_id, event.kind, settled.outcome, settled.note)


def _plain(event: ProviderEvent) -> dict[str, Any]:
    """The event as JSON can keep it."""
    return {
        name: (str(value) if value is not None and not isinstance(value, str) else value)
        for name, value in dataclasses.asdict(event).items()
    }
