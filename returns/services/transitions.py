"""The one way a return changes state, and the actions that are only a state change."""

from __future__ import annotations

import datetime as dt

from django.contrib.auth.models import User
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from returns import deadlines, signals
from returns.models import TRANSITIONS, VOID_STATES, ReturnEvent, ReturnRequest, ReturnState
from returns.services.errors import ReturnRefused
from returns.services.stock import exchange_release


class InvalidTransition(Exception):
    """A state change the return's state machine does not allow."""

    def __init__(self, return_request: ReturnRequest, to_state: str) -> None:
        current = ReturnState(return_request.state)
        allowed = sorted(str(ReturnState(state).label) for state in TRANSITIONS[current])
        self.from_state, self.to_state = current, to_state
        super().__init__(
            f"Return {return_request.number} cannot go from {current.label} to {ReturnState(to_state).label}; "
            + (f"it can go to: {', '.join(allowed)}." if allowed else "it is final.")
        )


def actor_name(by: User | None, actor: str) -> str:
    return by.get_username() if by is not None else actor


def return_transition(
    *,
    return_request: ReturnRequest,
    to: str,
    by: User | None = None,
    actor: str = "system",
    note: str = "",
    now: dt.datetime | None = None,
) -> ReturnRequest:
    """Move a return to `to`, or raise `InvalidTransition` and change nothing.

    The only place a return's state changes: it locks the row, checks the
    transition table, writes the history row and sends `return_state_changed`,
    all in one transaction.
    """
    now = now or timezone.now()
    with transaction.atomic():
        locked = ReturnRequest.objects.select_for_update().get(pk=return_request.pk)
        if to not in TRANSITIONS[locked.state]:
            raise InvalidTransition(locked, to)
        from_state = locked.state
        locked.state, locked.state_changed_at = to, now
        locked.save(update_fields=["state", "state_changed_at"])
        ReturnEvent.objects.create(
            return_request=locked,
            from_state=from_state,
            to_state=to,
            by=by,
            actor=actor_name(by, actor),
            note=note,
            at=now,
        )
        if to in VOID_STATES:
            exchange_release(locked)  # the wanted size is not coming: back on the shelf
        signals.return_state_changed.send(
            sender=ReturnRequest, return_request=locked, from_state=from_state, to_state=to, by=by
        )
    return_request.state, return_request.state_changed_at = locked.state, locked.state_changed_at
    return locked


def return_reject(*, return_request: ReturnRequest, by: User, reason: str) -> ReturnRequest:
    """Reject a requested return; the reason is shown to the customer, so it is required."""
    if not reason.strip():
        raise ReturnRefused({None: [_("Say why the return is rejected; the customer will see it.")]})
    with transaction.atomic():
        ReturnRequest.objects.filter(pk=return_request.pk).update(rejection_reason=reason.strip())
        return_request.rejection_reason = reason.strip()
        return return_transition(return_request=return_request, to=ReturnState.REJECTED, by=by, note=reason.strip())


def returns_expire_unsent(*, now: dt.datetime | None = None) -> int:
    """Expire approved returns whose whole send-by day has passed (see returns.deadlines). Safe to run twice."""
    now = now or timezone.now()
    cutoff = deadlines.approved_before_expiry_cutoff(now=now)
    overdue = ReturnRequest.objects.filter(state=ReturnState.APPROVED, state_changed_at__lt=cutoff)
    expired = 0
    for return_request in overdue.only("pk", "number", "state"):
        try:
            return_transition(return_request=return_request, to=ReturnState.EXPIRED, note="Not sent in time.", now=now)
        except InvalidTransition:
            continue  # it moved on (a parcel was scanned) between the query and the lock
        expired += 1
    return expired
