"""The transactional outbox: write a message with the event, send it after commit, exactly once.

- `outbox_add` runs inside the transaction of the event (a return created, a
  refund paid). The row commits or rolls back with the event; once it commits,
  a Celery task is asked to send it.
- `outbox_send` claims the row with `SELECT ... FOR UPDATE SKIP LOCKED`, sends
  the e-mail and marks the row sent before the lock is released. A second task
  for the same row skips it (locked) or finds it sent. A worker killed while
  sending rolls the claim back, so the row is pending again.
- `outbox_sweep` (Celery beat) sends what is due and was not sent: rows whose
  task got lost with a broker restart, retries after a failure, and messages
  scheduled for later (the thank-you after N days).

A failed send is tried again with growing pauses; after MAX_ATTEMPTS the row
is "failed", visible in the admin, where staff can send it again.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import logging
from collections.abc import Iterable
from typing import Any

from django.core import mail
from django.core.mail.backends.base import BaseEmailBackend
from django.db import IntegrityError, transaction
from django.utils import timezone

from followup.models import MARKETING_KINDS, Kind, MarketingObjection, MessageState, OutboxMessage
from returns.models import ReturnRequest

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 5
BATCH = 100


def retry_pause(attempts: int) -> dt.timedelta:
    """1, 4, 16, 64 minutes: a mail server that is down for an hour still gets every message."""
    return dt.timedelta(minutes=4 ** (attempts - 1))


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
        transaction.on_commit(lambda: _enqueue([message.pk]))
    return message


def _enqueue(ids: list[int]) -> None:
    from followup.tasks import send_messages

    try:
        send_messages.delay(ids)
    except Exception:  # the broker is down: the sweep sends it when it is back
        log.warning("Could not queue outbox messages %s; the sweep will send them", ids, exc_info=True)


def outbox_send(message_id: int, *, now: dt.datetime | None = None) -> str:
    """Send one message if it is due and nobody else is sending it; returns what happened.

    The mail server's connection is closed only after the row is committed as
    sent: the one moment a crash can still cause a second copy is between the
    server accepting the message and that commit, a few milliseconds.
    """
    connection = mail.get_connection()
    try:
        return _send_locked(message_id, now or timezone.now(), connection)
    finally:
        with contextlib.suppress(Exception):  # the message is recorded either way; QUIT is a courtesy
            connection.close()


def _send_locked(message_id: int, now: dt.datetime, connection: BaseEmailBackend) -> str:
    from followup.emails import build_email  # these two build on the outbox: imported when sending
    from followup.webhooks import deliver

    with transaction.atomic():
        message = (
            OutboxMessage.objects.select_for_update(skip_locked=True)
            .filter(pk=message_id, state=MessageState.PENDING, send_after__lte=now)
            .first()
        )
        if message is None:
            return "skipped"  # sent, failed, not due, or being sent right now by another worker
        if message.kind in MARKETING_KINDS and MarketingObjection.objects.filter(email=message.to.lower()).exists():
            message.state = MessageState.WITHHELD  # they said no after the offer was made
            message.save(update_fields=["state"])
            return "withheld"
        message.attempts += 1
        try:
            if message.kind == Kind.WEBHOOK:
                deliver(message)
            else:
                email = build_email(message)
                connection.open()  # opened here, so sending leaves it open until after the commit
                email.connection = connection
                email.send()
        except Exception as error:  # any failure of rendering or SMTP: retry later, then give up visibly
            message.last_error = f"{type(error).__name__}: {error}"[:2000]
            if message.attempts >= MAX_ATTEMPTS:
                message.state = MessageState.FAILED
            else:
                message.send_after = now + retry_pause(message.attempts)
            message.save(update_fields=["attempts", "last_error", "state", "send_after"])
            log.warning("Outbox message %s failed (attempt %s): %s", message.pk, message.attempts, error)
            return "failed"
        message.state, message.sent_at, message.last_error = MessageState.SENT, now, ""
        message.save(update_fields=["attempts", "state", "sent_at", "last_error"])
    return "sent"


def outbox_send_many(ids: Iterable[int]) -> dict[str, int]:
    counts: dict[str, int] = {}
    for message_id in ids:
        outcome = outbox_send(message_id)
        counts[outcome] = counts.get(outcome, 0) + 1
    return counts


def outbox_due(*, now: dt.datetime | None = None) -> list[int]:
    now = now or timezone.now()
    due = OutboxMessage.objects.filter(state=MessageState.PENDING, send_after__lte=now)
    return list(due.order_by("send_after", "pk").values_list("pk", flat=True))


def outbox_sweep(*, now: dt.datetime | None = None) -> int:
    """Queue every due message, in batches; returns how many. Safe to run any number of times."""
    ids = outbox_due(now=now)
    for start in range(0, len(ids), BATCH):
        _enqueue(ids[start : start + BATCH])
    return len(ids)


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
        transaction.on_commit(lambda: _enqueue([locked.pk]))
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
