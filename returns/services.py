"""Actions that change returns. Views, admin, API and tasks all call these."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

from django.contrib.auth.models import User
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from returns import signals
from returns.models import (
    TRANSITIONS,
    Order,
    ReturnEvent,
    ReturnLine,
    ReturnPolicy,
    ReturnReason,
    ReturnRequest,
    ReturnState,
)
from returns.numbers import new_return_number
from returns.policy import eligibility, ineligibility_text
from returns.selectors import order_facts, policy_rules


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


class ReturnRefused(Exception):
    """The return cannot be created as asked. `errors` maps an order line id (or None) to messages."""

    def __init__(self, errors: dict[int | None, list[str]]) -> None:
        self.errors = errors
        super().__init__("; ".join(message for messages in errors.values() for message in messages))


@dataclass(frozen=True)
class LineRequest:
    order_line_id: int
    quantity: int
    reason_code: str
    comment: str = ""


def _actor(by: User | None, actor: str) -> str:
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
            return_request=locked, from_state=from_state, to_state=to, by=by, actor=_actor(by, actor), note=note, at=now
        )
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


def return_create(
    *,
    order: Order,
    lines: Sequence[LineRequest],
    resolution: str,
    method: str,
    by: User | None = None,
    override_reason: str = "",
    now: dt.datetime | None = None,
) -> ReturnRequest:
    """Create a return for some units of `order`, or raise `ReturnRefused` and save nothing.

    Customers are bound by the policy's eligibility. Staff (`by` set) may go
    beyond it with an `override_reason`, which is recorded, but never beyond
    what was bought and not yet returned.
    """
    now = now or timezone.now()
    override_reason = override_reason.strip()
    with transaction.atomic():
        # One return at a time per order: two browser tabs cannot both claim the last unit.
        order = Order.objects.select_for_update().get(pk=order.pk)
        policy = ReturnPolicy.current()
        reasons = _check_return(order, policy, lines, method, by, override_reason, now)
        return_request = _insert_return(order, resolution, method, by, override_reason, now)
        ReturnLine.objects.bulk_create(
            ReturnLine(
                return_request=return_request,
                order_line_id=line.order_line_id,
                quantity=line.quantity,
                reason=reasons[line.reason_code],
                comment=line.comment.strip(),
            )
            for line in lines
        )
        note = _("Staff override: %(reason)s") % {"reason": override_reason} if override_reason else ""
        ReturnEvent.objects.create(
            return_request=return_request,
            to_state=ReturnState.REQUESTED,
            by=by,
            actor=_actor(by, "customer"),
            note=note,
            at=now,
        )
        signals.return_created.send(sender=ReturnRequest, return_request=return_request)
        if policy.auto_approve and not override_reason:
            return_transition(
                return_request=return_request,
                to=ReturnState.APPROVED,
                note="Within policy: approved automatically.",
                now=now,
            )
    return return_request


def _check_return(
    order: Order,
    policy: ReturnPolicy,
    lines: Sequence[LineRequest],
    method: str,
    by: User | None,
    override_reason: str,
    now: dt.datetime,
) -> dict[str, ReturnReason]:
    errors: dict[int | None, list[str]] = {}

    def refuse(line_id: int | None, message: str) -> None:
        errors.setdefault(line_id, []).append(message)

    if override_reason and by is None:
        refuse(None, _("Only staff can override the return policy."))
    if not lines:
        refuse(None, _("Choose at least one item to return."))
    if not policy.methods.filter(method=method, offered=True).exists() and not override_reason:
        refuse(None, _("This return method is not offered."))
    reasons = ReturnReason.objects.filter(active=True).in_bulk([line.reason_code for line in lines], field_name="code")
    order_lines = order_facts(order)
    results = eligibility(order_lines, policy_rules(policy), timezone.localdate(now))
    facts = {line.line_id: line for line in order_lines.lines}
    seen: set[int] = set()
    for line in lines:
        result, fact = results.get(line.order_line_id), facts.get(line.order_line_id)
        if result is None or fact is None or line.order_line_id in seen:
            refuse(None, _("One of the chosen items is not part of this order."))
            continue
        seen.add(line.order_line_id)
        if line.reason_code not in reasons:
            refuse(line.order_line_id, _("Choose a reason for returning this item."))
        if line.quantity < 1:
            refuse(line.order_line_id, _("The quantity must be at least 1."))
        elif line.quantity > fact.quantity - fact.already_returned:
            refuse(
                line.order_line_id,
                _("You can return at most %(count)d of this item.") % {"count": fact.quantity - fact.already_returned},
            )
        elif line.quantity > result.returnable_quantity and not override_reason:
            refuse(line.order_line_id, ineligibility_text(result) if result.reason else _("Too many units chosen."))
    if errors:
        raise ReturnRefused(errors)
    return reasons


def _insert_return(
    order: Order, resolution: str, method: str, by: User | None, override_reason: str, now: dt.datetime
) -> ReturnRequest:
    """Insert with a fresh number; on the rare collision, draw again (inside a savepoint)."""
    for _attempt in range(5):
        try:
            with transaction.atomic():
                return ReturnRequest.objects.create(
                    number=new_return_number(),
                    order=order,
                    resolution=resolution,
                    method=method,
                    override_reason=override_reason,
                    created_by=by if by is not None and by.is_authenticated else None,
                    created_at=now,
                    state_changed_at=now,
                )
        except IntegrityError:
            continue
    raise RuntimeError("Could not draw a free return number in 5 attempts.")


def returns_expire_unsent(*, now: dt.datetime | None = None) -> int:
    """Expire approved returns that were not sent within the policy's days. Safe to run twice."""
    now = now or timezone.now()
    cutoff = now - dt.timedelta(days=ReturnPolicy.current().send_within_days)
    overdue = ReturnRequest.objects.filter(state=ReturnState.APPROVED, state_changed_at__lt=cutoff)
    expired = 0
    for return_request in overdue.only("pk", "number", "state"):
        try:
            return_transition(return_request=return_request, to=ReturnState.EXPIRED, note="Not sent in time.", now=now)
        except InvalidTransition:
            continue  # it moved on (a parcel was scanned) between the query and the lock
        expired += 1
    return expired
