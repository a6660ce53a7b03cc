"""The transactional outbox, its sending half: claim, call, record; and the sweep. Exactly once.

- `outbox_send` claims the row in a short transaction (`SELECT ... FOR UPDATE
  SKIP LOCKED`, then state `sending`, one more attempt, `claimed_at`) and
  commits; sends the e-mail or POSTs the webhook with no transaction open and
  no lock held; then records sent, or failed with a retry, in a second short
  transaction. A second task for the same row finds it sending or sent and
  skips it. A worker killed while sending leaves the row `sending`: after the
  lease (`OUTBOX_LEASE_SECONDS`) the sweep takes it again.
- `outbox_sweep` (Celery beat) sends what is due and was not sent: rows whose
  task got lost with a broker restart, rows whose worker died, retries after a
  failure, and messages scheduled for later (the thank-you after N days).

A confirmation carries the return's label, so it waits until the carrier has
issued it (`returns.services.return_awaits_carrier`); building an e-mail only
reads.

A failed send is tried again with growing pauses; after MAX_ATTEMPTS the row
is "failed", visible in the admin, where staff can send it again (`followup.outbox`).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import logging
from collections.abc import Iterable
from typing import Any

from django.conf import settings
from django.core import mail
from django.core.mail.backends.base import BaseEmailBackend
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from followup.emails import build_email
from followup.models import MARKETING_KINDS, Kind, MarketingObjection, MessageState, OutboxMessage
from followup.outbox import outbox_enqueue
from followup.webhooks import deliver
from returns.models import ReturnRequest
from returns.services import return_awaits_carrier

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 5
BATCH = 100
SMTP_TIMEOUT_SECONDS = 20  # per step of the SMTP conversation, unless EMAIL_TIMEOUT says otherwise
# A confirmation whose label the carrier has not issued yet is looked at again this much later.
CARRIER_WAIT = dt.timedelta(seconds=30)


def retry_pause(attempts: int) -> dt.timedelta:
    """1, 4, 16, 64 minutes: a mail server that is down for an hour still gets every message."""
    return dt.timedelta(minutes=4 ** (attempts - 1))


def outbox_send(message_id: int, *, now: dt.datetime | None = None) -> str:
    """Send one message if it is due and nobody else is sending it; returns what happened.

    Claim, call, record: a short transaction takes the row (`sending`, one more
    attempt) and commits; the e-mail is built and handed to the mail server, or
    the webhook POSTed, with no transaction open and no lock held; a second short
    transaction records the answer, if the claim is still this one's. The mail
    server's connection is closed only after that record: the one moment a crash
    can still cause a second copy is between the server accepting the message
    and the record, a few milliseconds, and the copy has the same Message-ID.
    """
    now = now or timezone.now()
    claimed = _claim(message_id, now)
    if isinstance(claimed, str):
        return claimed
    connection = mail.get_connection(timeout=settings.EMAIL_TIMEOUT or SMTP_TIMEOUT_SECONDS)
    try:
        error = _call(claimed, connection)
        return _record(claimed, error, now)
    finally:
        with contextlib.suppress(Exception):  # the message is recorded either way; QUIT is a courtesy
            connection.close()


def lease() -> dt.timedelta:
    """How long a claim holds. A worker still sending after it is taken for dead, and the row is sent again."""
    return dt.timedelta(seconds=settings.OUTBOX_LEASE_SECONDS)


def _due(now: dt.datetime) -> Q:
    return Q(state=MessageState.PENDING, send_after__lte=now) | Q(
        state=MessageState.SENDING, claimed_at__lte=now - lease()
    )


def _claim(message_id: int, now: dt.datetime) -> OutboxMessage | str:
    """The row, now `sending` for this worker; or what became of it instead."""
    with transaction.atomic():
        message = OutboxMessage.objects.select_for_update(skip_locked=True).filter(_due(now), pk=message_id).first()
        if message is None:
            return "skipped"  # sent, failed, not due, or being sent right now by another worker
        if message.state == MessageState.SENDING and message.attempts >= MAX_ATTEMPTS:
            message.state = MessageState.FAILED  # its last try died with its worker: staff decide
            message.last_error = f"The worker stopped while sending (attempt {message.attempts}); it may have gone out."
            message.save(update_fields=["state", "last_error"])
            return "failed"
        if message.kind in MARKETING_KINDS and MarketingObjection.objects.filter(email=message.to.lower()).exists():
            message.state = MessageState.WITHHELD  # they said no after the offer was made
            message.save(update_fields=["state"])
            return "withheld"
        if _awaits_carrier(message):
            message.state, message.send_after = MessageState.PENDING, now + CARRIER_WAIT
            message.last_error = "Waiting for the carrier's booking (the label) before sending."
            message.save(update_fields=["state", "send_after", "last_error"])
            return "waiting"
        message.state, message.claimed_at = MessageState.SENDING, now
        message.attempts += 1
        message.save(update_fields=["state", "claimed_at", "attempts"])
    return message


def _awaits_carrier(message: OutboxMessage) -> bool:
    """A confirmation carries the label (or the pickup's booking): it waits until the carrier has answered."""
    if message.kind != Kind.CONFIRMATION or message.return_request_id is None:
        return False
    return_request = ReturnRequest.objects.filter(pk=message.return_request_id).first()
    return return_request is not None and return_awaits_carrier(return_request)


def _call(message: OutboxMessage, connection: BaseEmailBackend) -> Exception | None:
    """Build and send the e-mail, or POST the webhook; the failure, if any. Runs with no transaction open."""
    try:
        if message.kind == Kind.WEBHOOK:
            deliver(message)
        else:
            email = build_email(message)
            connection.open()  # opened here, so sending leaves it open until after the record
            email.connection = connection
            email.send()
    except Exception as error:  # any failure of rendering, SMTP or HTTP: retry later, then give up visibly
        return error
    return None


def _record(message: OutboxMessage, error: Exception | None, now: dt.datetime) -> str:
    """Write the answer, only over this worker's own claim: one that outlived its lease and was
    taken again leaves the row to the worker that took it."""
    changes: dict[str, Any]
    if error is None:
        outcome, changes = "sent", {"state": MessageState.SENT, "sent_at": now, "last_error": ""}
    else:
        outcome, changes = "failed", {"last_error": f"{type(error).__name__}: {error}"[:2000]}
        if message.attempts >= MAX_ATTEMPTS:
            changes["state"] = MessageState.FAILED
        else:
            changes |= {"state": MessageState.PENDING, "send_after": now + retry_pause(message.attempts)}
        log.warning("Outbox message %s failed (attempt %s): %s", message.pk, message.attempts, error)
    claim = {"state": MessageState.SENDING, "attempts": message.attempts, "claimed_at": message.claimed_at}
    if not OutboxMessage.objects.filter(pk=message.pk, **claim).update(**changes):
        log.warning("Outbox message %s was taken again after its lease; that attempt records the answer", message.pk)
    return outcome


def outbox_send_many(ids: Iterable[int]) -> dict[str, int]:
    counts: dict[str, int] = {}
    for message_id in ids:
        outcome = outbox_send(message_id)
        counts[outcome] = counts.get(outcome, 0) + 1
    return counts


def outbox_due(*, now: dt.datetime | None = None) -> list[int]:
    """Pending rows whose time has come, and rows whose sender died (still sending after the lease)."""
    due = OutboxMessage.objects.filter(_due(now or timezone.now()))
    return list(due.order_by("send_after", "pk").values_list("pk", flat=True))


def outbox_sweep(*, now: dt.datetime | None = None) -> int:
    """Queue every due message, in batches; returns how many. Safe to run any number of times."""
    ids = outbox_due(now=now)
    for start in range(0, len(ids), BATCH):
        outbox_enqueue(ids[start : start + BATCH])
    return len(ids)
