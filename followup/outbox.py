"""The transactional outbox, its storing half: a message is written with the event and queued once that commits.

- `outbox_add` runs inside the transaction of the event (a return created, a
  refund paid). The row commits or rolls back with the event; once it commits,
  the send task is asked to send it.
- `outbox_resend` and `confirmation_resend` put a message back in line (staff, support).

Sending it (claim, call, record, the sweep) is `followup.sending`. This module imports
nothing of that side: it queues the send task by its stable name, so what stores
messages (webhooks, win-back, the receivers) sits below what sends them, and imports
run one way (the layers contract in `pyproject.toml` fails the build if they do not).
"""

from __future__ import annotations

import datetime as dt
import logging
from typing import Any

from celery import current_app
from django.db import IntegrityError, transaction
from django.utils import timezone

from followup.models import Kind, MessageState, OutboxMessage
from returns.models import ReturnRequest

log = logging.getLogger(__name__)

SEND_TASK = "followup.send_messages"  # registered by `followup.tasks`, which `FollowupConfig.ready()` imports


def outbox_add(*, key: str, send_after: dt.datetime | None = None, **fields: Any) -> OutboxMessage:
    """The message for `key`, written once; must run inside the event's transaction."""
    existing = OutboxMessage.objects.filter(key=key).first()
    if existing is not None:
        return existing
    try:
        with transaction.atomic():
            message = OutboxMessage.objects.create(key=key, send_after=send_after or timezone.now(), **fields)
    except IntegrityError:
        return OutboxMessage.objects.get(key=key)  # the same event, handled at the same moment elsewhere
    if message.send_after <= timezone.now():
        transaction.on_commit(lambda: outbox_enqueue([message.pk]))
    return message


def outbox_enqueue(ids: list[int]) -> None:
    """Ask the send task for these messages; eager in the embedded default, a broker message otherwise.

    A missing task is a wiring mistake and raises (`followup.E001` reports it at start-up);
    a broker that is down is not: the sweep sends the messages once it is back.
    """
    send_messages = current_app.tasks[SEND_TASK]
    try:
        send_messages.delay(ids)
    except Exception:
        log.warning("Could not queue outbox messages %s; the sweep will send them", ids, exc_info=True)


class NotFailed(Exception):
    pass


def outbox_resend(message: OutboxMessage) -> OutboxMessage:
    """Staff send a failed message again, with a fresh set of attempts."""
    with transaction.atomic():
        locked = OutboxMessage.objects.select_for_update().get(pk=message.pk)
        if locked.state != MessageState.FAILED:
            raise NotFailed(f"it is {locked.get_state_display().lower()}, not failed")
        locked.state, locked.attempts, locked.send_after = MessageState.PENDING, 0, timezone.now()
        locked.save(update_fields=["state", "attempts", "send_after"])
        transaction.on_commit(lambda: outbox_enqueue([locked.pk]))
    return locked


def confirmation_resend(*, return_request: ReturnRequest, now: dt.datetime | None = None) -> OutboxMessage:
    """Support sends the customer their status link (and label, while the parcel is still to go)
    again. Clicks within the same five minutes make one e-mail, not several."""
    now = now or timezone.now()
    window = int(now.timestamp()) // 300
    customer = return_request.order.customer
    with transaction.atomic():
        return outbox_add(
            key=f"confirmation:{return_request.number}:again:{window}",
            kind=Kind.CONFIRMATION,
            to=customer.email,
            language=return_request.language or return_request.order.language,
            return_request=return_request,
            customer=customer,
        )
