"""What the portal tells other systems about a refund: the event types and their versioned payload.

Built from plain reads, never from the REST API's serializers, in the formats of
`returns.events`; the same versioning rule holds: a new field keeps the version, a removed or
renamed one makes a new version.
"""

from __future__ import annotations

from typing import Any

from refunds.models import Refund, RefundLine, RefundState, StoreCredit
from refunds.selectors import refund_is_late
from returns.events import event_date, event_datetime, event_money

REFUND_PAYLOAD_VERSION = 1

REFUND_SUCCEEDED = "refund.succeeded"
REFUND_FAILED = "refund.failed"
REFUND_EVENTS = (REFUND_SUCCEEDED, REFUND_FAILED)

# Subscribers hear how a payout ended; pending and processing publish nothing.
_EVENT_ON_ENTERING = {RefundState.SUCCEEDED: REFUND_SUCCEEDED, RefundState.FAILED: REFUND_FAILED}


def refund_event_on_entering(state: str) -> str | None:
    """The event published when a refund moves into `state`, if any."""
    return _EVENT_ON_ENTERING.get(RefundState(state))


def refund_event_payload(refund: Refund) -> dict[str, Any]:
    """The refund as stored now, in two queries; one no longer stored is described as the
    instance in hand, without lines or store credit, rather than failing the change."""
    stored = _refund_with_lines(refund.pk) if refund.pk is not None else None
    subject = stored or refund
    credit: StoreCredit | None = getattr(stored, "store_credit", None)
    return {
        "version": REFUND_PAYLOAD_VERSION,
        "id": subject.pk,
        "order": subject.order.number,
        "return_number": subject.return_request.number if subject.return_request else None,
        "amount": event_money(subject.amount),
        "currency": subject.currency,
        "method": subject.method,
        "provider": subject.provider,
        "provider_reference": subject.provider_reference,
        "provider_fee": event_money(subject.provider_fee) if subject.provider_fee is not None else None,
        "state": subject.state,
        "reason": subject.reason,
        "due_on": event_date(subject.due_on),
        "late": refund_is_late(subject),
        "created_at": event_datetime(subject.created_at),
        "paid_at": event_datetime(subject.paid_at),
        "attempts": subject.attempts,
        "last_error": subject.last_error,
        "lines": [_line(line) for line in stored.lines.all()] if stored else [],
        "store_credit": _store_credit(credit) if credit is not None else None,
    }


def _refund_with_lines(pk: int) -> Refund | None:
    found = Refund.objects.select_related("order", "return_request", "store_credit").prefetch_related("lines")
    return found.filter(pk=pk).first()


def _line(line: RefundLine) -> dict[str, Any]:
    return {
        "kind": line.kind,
        "amount": event_money(line.amount),
        "vat_rate": event_money(line.vat_rate),
        "vat_amount": event_money(line.vat_amount),
    }


def _store_credit(credit: StoreCredit) -> dict[str, Any]:
    return {
        "code": credit.code,
        "amount": event_money(credit.amount),
        "currency": credit.currency,
        "expires_on": event_date(credit.expires_on),
        "redeemed_at": event_datetime(credit.redeemed_at),
    }
