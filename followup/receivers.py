"""Follow-ups react to what the returns and refunds apps publish: each event writes its
message to the outbox, in the event's own transaction."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.contrib.auth.models import User
from django.utils import timezone

from followup.models import FollowupSettings, Kind
from followup.outbox import outbox_add
from followup.webhooks import webhooks_publish
from refunds.api import RefundOut, refunds_for_api
from refunds.models import Refund, RefundMethod, RefundState
from returns.api import ReturnOut, return_by_number
from returns.models import Resolution, ReturnRequest, ReturnState

RETURN_EVENTS = {
    ReturnState.APPROVED: "return.approved",
    ReturnState.RECEIVED: "return.received",
    ReturnState.COMPLETED: "return.completed",
}
REFUND_EVENTS = {RefundState.SUCCEEDED: "refund.succeeded", RefundState.FAILED: "refund.failed"}


def _return_data(return_request: ReturnRequest) -> dict[str, Any]:
    return dict(ReturnOut(return_by_number(return_request.number)).data)


def _to_customer(return_request: ReturnRequest) -> dict[str, Any]:
    customer = return_request.order.customer
    return {
        "to": customer.email,
        "language": return_request.language or return_request.order.language,
        "return_request": return_request,
        "customer": customer,
    }


def _refund_data(refund: Refund) -> dict[str, Any]:
    return dict(RefundOut(refunds_for_api().get(pk=refund.pk)).data)


def on_return_created(sender: object, return_request: ReturnRequest, **kwargs: Any) -> None:
    outbox_add(key=f"confirmation:{return_request.number}", kind=Kind.CONFIRMATION, **_to_customer(return_request))
    webhooks_publish("return.created", return_request.number, lambda: _return_data(return_request))


def on_return_state_changed(
    sender: object, return_request: ReturnRequest, to_state: str, by: User | None = None, **kwargs: Any
) -> None:
    number = return_request.number
    if event := RETURN_EVENTS.get(ReturnState(to_state)):
        webhooks_publish(event, f"{number}:{to_state}", lambda: _return_data(return_request))
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


def on_refund_state_changed(sender: object, refund: Refund, to_state: str, **kwargs: Any) -> None:
    if event := REFUND_EVENTS.get(RefundState(to_state)):
        webhooks_publish(event, f"{refund.pk}:{to_state}:{refund.attempts}", lambda: _refund_data(refund))
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
