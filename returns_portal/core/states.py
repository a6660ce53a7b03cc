"""State machines: how a row changes state, and the history row each change leaves behind.

A return and a refund move through their own transition tables (next to their models), but they
change state the same way, here, so that both refuse an illegal move with the same error type,
write the same history row and announce the change with their app's signal.

Locking rule: `change_state` works on a row the caller has locked (`select_for_update()` inside
the caller's transaction) and checks the table against that locked state; it joins the caller's
transaction and takes no lock of its own. An app's own transition function decides who locks:
`return_transition` locks the return itself, `refund_transition` runs inside its callers' lock on
the refund (taken after the order's, where money may move).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol

from django.conf import settings
from django.db import models, transaction
from django.dispatch import Signal
from django.utils import timezone

if TYPE_CHECKING:
    import datetime as dt

    from django.contrib.auth.models import User


class InvalidTransition(Exception):
    """A state change the transition table does not allow. Each app raises its own subclass, with its
    own words; a caller that does not care which machine refused may catch this one."""

    def __init__(self, message: str, *, from_state: str, to_state: str) -> None:
        super().__init__(message)
        self.from_state, self.to_state = from_state, to_state


class StateHistory(models.Model):
    """One row per state change: who, when, from, to, and why. Written only by `change_state` (and by
    the service that creates the row, for its first state).

    A concrete history adds its foreign key (`related_name="history"`) and declares `from_state` and
    `to_state` again with its own states as choices.
    """

    from_state = models.CharField(max_length=16, blank=True)
    to_state = models.CharField(max_length=16)
    by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    actor = models.CharField(max_length=150, help_text="'customer', 'system', or the staff member's username.")
    note = models.TextField(blank=True)
    at = models.DateTimeField(default=timezone.now)

    class Meta:
        abstract = True
        ordering = ["at", "id"]

    def __str__(self) -> str:
        return f"{self.from_state or '-'} -> {self.to_state}"


class Stateful(Protocol):
    """What `change_state` needs of a row: a state to read and write, and a way to save it."""

    state: str

    def save(self, *, update_fields: list[str]) -> None: ...


@dataclass(frozen=True)
class StateMachine:
    """What differs from one state machine to the next; the rest is `change_state`."""

    transitions: Mapping[str, frozenset[str]]
    history: type[StateHistory]
    # The history row's foreign key to the changed row, and the signal's keyword for it.
    subject: str
    # Sent after every change with the changed row, from_state, to_state and by.
    signal: Signal
    # The app's own InvalidTransition, built from the row (still in its old state) and the refused state.
    refused: Callable[[Any, str], InvalidTransition]


def actor_name(by: User | None, actor: str) -> str:
    """The name a history row keeps: the user's, or what acted for nobody ('customer', 'system')."""
    return by.get_username() if by is not None else actor


def change_state(
    machine: StateMachine,
    *,
    row: Stateful,
    to: str,
    by: User | None = None,
    actor: str = "system",
    note: str = "",
    at: dt.datetime | None = None,
    also: Mapping[str, Any] | None = None,
) -> str:
    """Move a locked row to `to`, or raise the machine's `refused` error and change nothing.

    Saves the state and the `also` fields, writes the history row and sends the machine's signal,
    all in the caller's transaction (see the module's locking rule). Returns the state it left.
    """
    from_state = row.state
    if to not in machine.transitions[from_state]:
        raise machine.refused(row, to)
    at = at or timezone.now()
    with transaction.atomic(savepoint=False):
        row.state = to
        for field, value in (also or {}).items():
            setattr(row, field, value)
        row.save(update_fields=["state", *(also or {})])
        machine.history._default_manager.create(
            **{machine.subject: row},
            from_state=from_state,
            to_state=to,
            by=by,
            actor=actor_name(by, actor),
            note=note,
            at=at,
        )
        machine.signal.send(sender=type(row), **{machine.subject: row}, from_state=from_state, to_state=to, by=by)
    return from_state
