"""The one way a return changes state, and the actions that are only a state change."""

from __future__ import annotations

import datetime as dt

from django.contrib.auth.models import User
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from returns import deadlines, rollups, signals
from returns.models import TRANSITIONS, VOID_STATES, ReturnEvent, ReturnRequest, ReturnState
from returns.services.errors import ReturnRefused
from returns.services.stock import exchange_release
from returns_portal.core import states
from returns_portal.core.states import actor_name

__all__ = ["InvalidTransition", "actor_name", "return_reject", "return_transition", "returns_expire_unsent"]


class InvalidTransition(states.InvalidTransition):
    """A state change the return's state machine does not allow."""

    def __init__(self, return_request: ReturnRequest, to_state: str) -> None:
        current = ReturnState(return_request.state)
        allowed = sorted(str(ReturnState(state).label) for state in TRANSITIONS[current])
        super().__init__(
            f"Return {return_request.number} cannot go from {current.label} to {ReturnState(to_state).label}; "
            + (f"it can go to: {', '.join(allowed)}." if allowed else "it is final."),
            from_state=current,
            to_state=to_state,
        )


RETURN_STATES = states.StateMachine(
    transitions=TRANSITIONS,
    history=ReturnEvent,
    subject="return_request",
    signal=signals.return_state_changed,
    refused=InvalidTransition,
)


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

    The only place a return's state changes. Unlike a refund's, it takes its own lock on the
    return, so callers need not hold one; `states.change_state` then checks the table, writes
    the history row and sends `return_state_changed`, all in this one transaction.
    """
    now = now or timezone.now()
    with transaction.atomic():
        locked = ReturnRequest.objects.select_for_update().get(pk=return_request.pk)
        states.change_state(
            RETURN_STATES, row=locked, to=to, by=by, actor=actor, note=note, at=now, also={"state_changed_at": now}
        )
        if to in VOID_STATES:
            exchange_release(locked)  # the wanted size is not coming: back on the shelf
            rollups.return_voided(locked)
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
