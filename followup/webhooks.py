"""Outbound webhooks: events about returns and refunds, POSTed to subscribers, signed.

An event becomes one outbox row per subscriber in the transaction of the change,
so deliveries have the e-mails' guarantees: sent after commit, claimed by one worker and
POSTed with no transaction open and no lock held, retried with back-off, swept up after a
lost task or a dead worker, failed visibly in the end.

Each delivery carries:

    Portal-Event: return.created
    Portal-Delivery: <unique id; the same on a retry, so a receiver can drop repeats>
    Portal-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<body>" with the secret>

A receiver recomputes the HMAC over the timestamp and the raw body with the
subscriber's secret, compares in constant time, and refuses old timestamps
(`verify_signature` does all three).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from collections.abc import Callable
from typing import Any

import requests
from django.core.serializers.json import DjangoJSONEncoder
from django.utils import timezone

from followup.models import Kind, OutboxMessage, WebhookSubscriber
from followup.outbox import outbox_add

TIMEOUT_SECONDS = 10  # per connect and per read; far below the outbox's lease (OUTBOX_LEASE_SECONDS)
TOLERANCE_SECONDS = 300


class DeliveryFailed(Exception):
    pass


def sign(secret: str, body: bytes, timestamp: int) -> str:
    digest = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={digest}"


def verify_signature(secret: str, header: str, body: bytes, *, now: float | None = None) -> bool:
    """True when `header` is a signature of `body` by `secret`, made within TOLERANCE_SECONDS."""
    try:
        parts = dict(item.split("=", 1) for item in header.split(","))
        timestamp = int(parts["t"])
    except (KeyError, ValueError):
        return False
    if abs((now or time.time()) - timestamp) > TOLERANCE_SECONDS:
        return False
    return hmac.compare_digest(sign(secret, body, timestamp), f"t={timestamp},v1={parts.get('v1', '')}")


def webhooks_publish(event: str, key: str, data: Callable[[], dict[str, Any]]) -> int:
    """One outbox row per active subscriber to `event`; `key` names the occurrence (e.g. the return's
    number and state), so the same event published twice is delivered once. `data` is only built
    when someone subscribes: most shops have no subscriber for most events."""
    subscribers = [sub for sub in WebhookSubscriber.objects.filter(active=True) if event in sub.events]
    body = data() if subscribers else {}
    for subscriber in subscribers:
        delivery = f"webhook:{subscriber.pk}:{event}:{key}"
        outbox_add(
            key=delivery,
            kind=Kind.WEBHOOK,
            to=subscriber.url,
            subscriber=subscriber,
            payload={"id": delivery, "event": event, "created_at": timezone.now().isoformat(), "data": body},
        )
    return len(subscribers)


def deliver(message: OutboxMessage) -> None:
    """POST the event; anything but a 2xx answer in time is a failure, tried again later."""
    subscriber = message.subscriber
    if subscriber is None:
        raise DeliveryFailed("The subscriber was removed.")
    body = json.dumps(message.payload, cls=DjangoJSONEncoder, separators=(",", ":")).encode()
    headers = {
        "Content-Type": "application/json",
        "User-Agent": "returns-portal-webhooks/1",
        "Portal-Event": str(message.payload.get("event", "")),
        "Portal-Delivery": message.key,
        "Portal-Signature": sign(subscriber.secret, body, int(time.time())),
    }
    try:
        response = requests.post(message.to, data=body, headers=headers, timeout=TIMEOUT_SECONDS)
    except requests.RequestException as error:
        raise DeliveryFailed(f"{type(error).__name__}: {error}") from error
    if not 200 <= response.status_code < 300:
        raise DeliveryFailed(f"HTTP {response.status_code}: {response.text[:200]}")
