"""What the portal tells other systems about a return: the event types and their versioned payload.

A webhook subscriber's contract is its own, so the payload is built here from plain reads and
never from the REST API's serializers: the API may change without one webhook changing.
Version 1 is the payload the webhooks sent before it carried a version (the API's return as it
was then), with `version` added. Adding a field keeps the version; removing or renaming a field,
or changing what one means, makes a new version.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from django.db.models import Prefetch
from django.urls import reverse
from django.utils import timezone

from returns.access import status_token
from returns.models import ReturnEvent, ReturnLine, ReturnPhoto, ReturnRequest, ReturnState
from returns.selectors import staff_return_lines

RETURN_PAYLOAD_VERSION = 1

RETURN_CREATED = "return.created"
RETURN_APPROVED = "return.approved"
RETURN_RECEIVED = "return.received"
RETURN_COMPLETED = "return.completed"
RETURN_EVENTS = (RETURN_CREATED, RETURN_APPROVED, RETURN_RECEIVED, RETURN_COMPLETED)

# The moves a subscriber hears of; the others (in transit, inspected, the ends) publish nothing.
_EVENT_ON_ENTERING = {
    ReturnState.APPROVED: RETURN_APPROVED,
    ReturnState.RECEIVED: RETURN_RECEIVED,
    ReturnState.COMPLETED: RETURN_COMPLETED,
}


def return_event_on_entering(state: str) -> str | None:
    """The event published when a return moves into `state`, if any."""
    return _EVENT_ON_ENTERING.get(ReturnState(state))


# Formats of version 1, the same for every event: subscribers parse them already.


def event_money(value: Decimal, places: int = 2) -> str:
    """A decimal as a string with a fixed number of places ("49.00"), never a float."""
    return f"{Decimal(value).quantize(Decimal(1).scaleb(-places)):f}"


def event_datetime(value: dt.datetime | None) -> str | None:
    """ISO 8601 in the portal's time zone, UTC written as "Z"."""
    if value is None:
        return None
    text = timezone.localtime(value).isoformat()
    return text[:-6] + "Z" if text.endswith("+00:00") else text


def event_date(value: dt.date | None) -> str | None:
    return value.isoformat() if value is not None else None


def return_event_payload(return_request: ReturnRequest) -> dict[str, Any]:
    """The return as stored now, in four queries. The instance a signal carries may hold stale
    prefetches, so it is read again; one no longer stored (deleted in the same transaction, or
    never saved) is described as the instance in hand, without lines or history, rather than
    failing the change that published it."""
    stored = _return_with_lines(return_request.pk) if return_request.pk is not None else None
    subject = stored or return_request
    lines = list(stored.lines.all()) if stored else []
    history = list(stored.history.all()) if stored else []
    order = subject.order
    return {
        "version": RETURN_PAYLOAD_VERSION,
        "number": subject.number,
        "order": order.number,
        "customer_email": order.customer.email,
        "currency": order.currency,
        "state": subject.state,
        "resolution": subject.resolution,
        "method": subject.method,
        "created_at": event_datetime(subject.created_at),
        "state_changed_at": event_datetime(subject.state_changed_at),
        "carrier": subject.carrier,
        "tracking_number": subject.tracking_number,
        "pickup_date": event_date(subject.pickup_date),
        "pickup_window": subject.pickup_window,
        "pickup_reference": subject.pickup_reference,
        "pickup_problem": subject.pickup_problem,
        "expected_refund": event_money(subject.expected_refund),
        "refund_due_on": event_date(subject.refund_due_on),
        "rejection_reason": subject.rejection_reason,
        "status_url": reverse("returns:status", args=[status_token(subject)]),
        "lines": [_line(line) for line in lines],
        "history": [_history_row(row) for row in history],
    }


def _return_with_lines(pk: int) -> ReturnRequest | None:
    lines = Prefetch("lines", queryset=staff_return_lines())
    found = ReturnRequest.objects.select_related("order__customer").prefetch_related(lines, "history").filter(pk=pk)
    return found.first()


def _line(line: ReturnLine) -> dict[str, Any]:
    variant = line.order_line.variant
    return {
        "id": line.id,
        "order_line": line.order_line_id,
        "sku": variant.sku,
        "name": variant.product.name,
        "quantity": line.quantity,
        "reason": line.reason.code,
        "comment": line.comment,
        "exchange_sku": line.exchange_variant.sku if line.exchange_variant else None,
        "amount": event_money(line.amount),
        "received_quantity": line.received_quantity,
        "condition": line.condition,
        "outcome": line.outcome,
        "outcome_reason": line.outcome_reason,
        "photos": [_photo(photo) for photo in line.photos.all()],
    }


def _photo(photo: ReturnPhoto) -> dict[str, Any]:
    """The address is the admin's: only staff logged in to the portal can open it."""
    return {
        "id": photo.id,
        "content_type": photo.content_type,
        "uploaded_at": event_datetime(photo.uploaded_at),
        "url": reverse("admin:returns_returnrequest_photo", args=[photo.pk]),
    }


def _history_row(row: ReturnEvent) -> dict[str, Any]:
    return {
        "at": event_datetime(row.at),
        "actor": row.actor,
        "from_state": row.from_state,
        "to_state": row.to_state,
        "note": row.note,
    }
