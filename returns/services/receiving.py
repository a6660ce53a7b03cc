"""Receiving a parcel: what arrived, in what condition, accepted or not, and back on the shelf."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

from django.contrib.auth.models import User
from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from returns.models import (
    RECEIVABLE_STATES,
    Condition,
    Outcome,
    Resolution,
    ReturnLine,
    ReturnRequest,
    ReturnState,
    Variant,
)
from returns.services.errors import ReturnRefused, ReturnStateConflict
from returns.services.exchange import exchange_fulfil
from returns.services.transitions import return_transition


@dataclass(frozen=True)
class ReceivedLine:
    return_line_id: int
    received_quantity: int
    condition: str
    accept: bool
    reason: str = ""
    restock: bool = False


def return_receive(
    *,
    return_request: ReturnRequest,
    lines: Sequence[ReceivedLine],
    by: User,
    note: str = "",
    now: dt.datetime | None = None,
) -> ReturnRequest:
    """Record the inspection of every line, put resellable units back in stock, and move the
    return to inspected; or raise ReturnRefused and change nothing.

    Inspecting a return happens once: an inspected return is refused, so stock
    never goes up twice for the same parcel.
    """
    now = now or timezone.now()
    with transaction.atomic():
        locked = ReturnRequest.objects.select_for_update().get(pk=return_request.pk)
        if locked.state not in RECEIVABLE_STATES:
            raise ReturnStateConflict({None: [_("This return cannot be received now: it is %(state)s.") % {
                "state": ReturnState(locked.state).label.lower()}]})  # fmt: skip
        return_lines = {line.pk: line for line in locked.lines.select_related("order_line")}
        _check(return_lines, lines)
        if locked.state != ReturnState.RECEIVED:
            return_transition(return_request=locked, to=ReturnState.RECEIVED, by=by, now=now)
        for received in lines:
            _record(return_lines[received.return_line_id], received)
        if locked.resolution == Resolution.EXCHANGE:
            exchange_fulfil(return_request=locked, now=now)
        return_transition(return_request=locked, to=ReturnState.INSPECTED, by=by, note=note.strip(), now=now)
    locked.refresh_from_db(fields=["state", "state_changed_at"])  # a receiver may have completed it
    return_request.state = locked.state
    return locked


def _check(return_lines: dict[int, ReturnLine], lines: Sequence[ReceivedLine]) -> None:
    errors: dict[int | None, list[str]] = {}
    if {line.return_line_id for line in lines} != set(return_lines) or len(lines) != len(return_lines):
        errors[None] = [_("Inspect every line of the return once.")]
    for line in lines:
        problems = []
        expected = return_lines.get(line.return_line_id)
        if expected is not None and not 0 <= line.received_quantity <= expected.quantity:
            problems.append(_("Received quantity must be between 0 and %(count)d.") % {"count": expected.quantity})
        if line.condition not in Condition.values:
            problems.append(_("Choose the condition."))
        if not line.accept and not line.reason.strip():
            problems.append(_("Say why the line is rejected; the customer will see it."))
        if line.restock and (not line.accept or line.condition != Condition.RESELLABLE):
            problems.append(_("Only accepted, resellable items go back in stock."))
        if problems:
            errors[line.return_line_id] = problems
    if errors:
        raise ReturnRefused(errors)


def _record(return_line: ReturnLine, received: ReceivedLine) -> None:
    return_line.received_quantity = received.received_quantity
    return_line.condition = received.condition
    return_line.outcome = Outcome.ACCEPTED if received.accept else Outcome.REJECTED
    return_line.outcome_reason = received.reason.strip()
    return_line.save(update_fields=["received_quantity", "condition", "outcome", "outcome_reason"])
    if received.restock and received.received_quantity:
        Variant.objects.filter(pk=return_line.order_line.variant_id).update(
            stock=F("stock") + received.received_quantity
        )
