"""Follow-ups react to what the returns and refunds apps publish: each event writes its
message to the outbox, in the event's own transaction. Webhooks carry the publishing app's
versioned event payload (`returns.events`, `refunds.events`), never the REST API's shape."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.contrib.auth.models import User
from django.utils import timezone

from followup.emails import CARRIER_READY, CARRIER_REFUSED
from followup.models import FollowupSettings, Kind, MessageState, OutboxMessage
from followup.outbox import outbox_add
from followup.webhooks import webhooks_publish
from refunds.events import refund_event_on_entering, refund_event_payload
from refunds.models import Refund, RefundMethod, RefundState
from returns.events import RETURN_CREATED, return_event_on_entering, return_event_payload
from returns.models import Resolution, ReturnRequest, ReturnState


def _to_customer(return_request: ReturnRequest) -> dict[str, Any]:
    customer = return_request.order.customer
    return {
        "to": customer.email,
        "language": return_request.language or return_request.order.language,
        "return_request": return_request,
        "customer": customer,
    }


def on_return_created(sender: object, return_request: ReturnRequest, **kwargs: Any) -> None:
    outbox_add(key=f"confirmation:{return_request.number}", kind=Kind.CONFIRMATION, **_to_customer(return_request))
    webhooks_publish(RETURN_CREATED, return_request.number, lambda: return_event_payload(return_request))


def on_return_state_changed(
    sender: object, return_request: ReturnRequest, to_state: str, by: User | None = None, **kwargs: Any
) -> None:
    number = return_request.number
    if event := return_event_on_entering(to_state):
        webhooks_publish(event, f"{number}:{to_state}", lambda: return_event_payload(return_request))
    if to_state == ReturnState.APPROVED and by is not None:
        # A person approved a return that waited for it; one approved at creation (by no one, within
        # the policy) is told so in its confirmation.
        outbox_add(key=f"approved:{number}", kind=Kind.APPROVED, **_to_customer(return_request))
    elif to_state == ReturnState.REJECTED:
        outbox_add(key=f"rejected:{number}", kind=Kind.REJECTED, **_to_customer(return_request))
    elif to_state == ReturnState.INSPECTED:
        outbox_add(key=f"receipt:{number}", kind=Kind.RECEIPT, **_to_customer(return_request))
    elif to_state == ReturnState.COMPLETED:
        if return_request.resolution == Resolution.EXCHANGE:
            outbox_add(key=f"exchange_shipped:{number}", kind=Kind.EXCHANGE_SHIPPED, **_to_customer(return_request))
        later = timezone.now() + dt.timedelta(days=FollowupSettings.current().thanks_after_days)
        outbox_add(key=f"thanks:{number}", kind=Kind.THANKS, send_after=later, **_to_customer(return_request))


def on_carrier_booked(sender: object, return_request: ReturnRequest, **kwargs: Any) -> None:
    """A booking that came after the confirmation went out (saying the label or code follows): send it now.
    A confirmation still to be sent carries it itself."""
    if _confirmation_out(return_request):
        outbox_add(
            key=f"carrier_ready:{return_request.number}",
            kind=Kind.CONFIRMATION,
            payload={"carrier": CARRIER_READY},
            **_to_customer(return_request),
        )


def on_carrier_refused(sender: object, return_request: ReturnRequest, **kwargs: Any) -> None:
    """The carrier refused the customer's address: ask them once to correct it (in the confirmation, when
    that is still to be sent). A refusal of the corrected address is shown where they corrected it."""
    if _confirmation_out(return_request):
        outbox_add(
            key=f"carrier_refused:{return_request.number}",
            kind=Kind.CONFIRMATION,
            payload={"carrier": CARRIER_REFUSED},
            **_to_customer(return_request),
        )


def _confirmation_out(return_request: ReturnRequest) -> bool:
    """Whether the confirmation has gone out, or is going out now (so it may not show what just changed)."""
    sent = (MessageState.SENDING, MessageState.SENT)
    return OutboxMessage.objects.filter(key=f"confirmation:{return_request.number}", state__in=sent).exists()


def on_refund_state_changed(sender: object, refund: Refund, to_state: str, **kwargs: Any) -> None:
    if event := refund_event_on_entering(to_state):
        webhooks_publish(event, f"{refund.pk}:{to_state}:{refund.attempts}", lambda: refund_event_payload(refund))
    if to_state != RefundState.SUCCEEDED:
        return
    order = refund.order
    kind = Kind.STORE_CREDIT if refund.method == RefundMethod.STORE_CREDIT else Kind.REFUND_SENT
    return_request = refund.return_request
    outbox_add(
        key=f"refund:{refund.pk}",
        kind=kind,
        to=order.customer.email,
        language=(return_request.language if return_request else "") or order.language,
        return_request=return_request,
        customer=order.customer,
        payload={"refund_id": refund.pk},
    )
