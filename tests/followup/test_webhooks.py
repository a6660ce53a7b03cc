"""Outbound webhooks: signed events POSTed to a real HTTP receiver on localhost, retried on failure."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, HTTPServer
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from followup.models import OutboxMessage, WebhookSubscriber
from followup.sending import outbox_send
from followup.webhooks import sign, verify_signature
from returns.services import LineRequest, ReceivedLine, return_create, return_receive
from tests.factories import OrderLineFactory

pytestmark = pytest.mark.django_db


class Receiver:
    """A tiny HTTP server that keeps every delivery and answers with `status`."""

    def __init__(self) -> None:
        self.deliveries: list[tuple[dict[str, str], bytes]] = []
        self.status = 200
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["Content-Length"]))
                receiver.deliveries.append((dict(self.headers.items()), body))
                self.send_response(receiver.status)
                self.end_headers()
                self.wfile.write(b"ok" if receiver.status == 200 else b"boom")

            def log_message(self, *args: Any) -> None:
                pass

        self.server = HTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}/hooks"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    server = Receiver()
    yield server
    server.server.shutdown()
    server.server.server_close()


def subscribe(receiver: Receiver, events: list[str]) -> WebhookSubscriber:
    return WebhookSubscriber.objects.create(name="Helpdesk", url=receiver.url, events=events)


def a_return() -> Any:
    line = OrderLineFactory()
    return return_create(
        order=line.order, lines=[LineRequest(line.id, 1, "too_big")], resolution="refund", method="label"
    )


def test_an_event_arrives_once_signed_with_the_subscribers_secret(
    receiver: Receiver, django_capture_on_commit_callbacks
) -> None:
    subscriber = subscribe(receiver, ["return.created"])
    with django_capture_on_commit_callbacks(execute=True):
        return_request = a_return()
    [(headers, body)] = receiver.deliveries
    assert headers["Portal-Event"] == "return.created"
    assert verify_signature(subscriber.secret, headers["Portal-Signature"], body)
    event = json.loads(body)
    assert (event["event"], event["data"]["number"], event["data"]["state"]) == (
        "return.created", return_request.number, "requested"
    )  # fmt: skip
    assert headers["Portal-Delivery"] == event["id"]
    assert not verify_signature("whsec_wrong", headers["Portal-Signature"], body)
    assert not verify_signature(subscriber.secret, headers["Portal-Signature"], body.replace(b"requested", b"approved"))
    assert not verify_signature(subscriber.secret, headers["Portal-Signature"], body, now=time.time() + 3600)


def test_only_the_events_subscribed_to_are_sent(receiver: Receiver) -> None:
    subscribe(receiver, ["refund.succeeded"])
    a_return()
    assert not OutboxMessage.objects.filter(kind="webhook").exists()


def test_a_failing_receiver_is_retried_and_the_log_shows_why(receiver: Receiver, admin_client: Client) -> None:
    subscriber = subscribe(receiver, ["return.received", "return.approved"])
    return_request = a_return()  # approved automatically: one event
    receiver.status = 500
    message = OutboxMessage.objects.get(kind="webhook")
    assert outbox_send(message.pk) == "failed"
    message.refresh_from_db()
    assert (message.state, message.attempts, message.last_error) == ("pending", 1, "DeliveryFailed: HTTP 500: boom")
    receiver.status = 200
    assert outbox_send(message.pk, now=message.send_after) == "sent"
    assert len(receiver.deliveries) == 2
    first, second = (json.loads(body)["id"] for _headers, body in receiver.deliveries)
    assert first == second  # the same delivery id: the receiver can drop a repeat
    log = admin_client.get(reverse("admin:followup_outboxmessage_changelist"), {"subscriber__id__exact": subscriber.pk})
    assert "HTTP 500" not in log.content.decode()  # it was sent in the end; the error is cleared
    assert return_request.number in json.loads(receiver.deliveries[0][1])["data"]["number"]


def test_receiving_publishes_return_received_with_the_lines(receiver: Receiver) -> None:
    subscribe(receiver, ["return.received"])
    return_request = a_return()
    line = return_request.lines.get()
    staff = User.objects.create_user("lager", is_staff=True)
    return_receive(return_request=return_request, lines=[ReceivedLine(line.id, 1, "resellable", True)], by=staff)
    message = OutboxMessage.objects.get(kind="webhook")
    assert message.payload["event"] == "return.received"
    assert message.payload["data"]["lines"][0]["sku"] == line.order_line.variant.sku


def test_the_signature_is_hmac_sha256_over_timestamp_and_body() -> None:
    import hashlib
    import hmac

    body, secret, moment = b'{"a":1}', "whsec_x", int(timezone.now().timestamp())
    expected = hmac.new(secret.encode(), f"{moment}.".encode() + body, hashlib.sha256).hexdigest()
    assert sign(secret, body, moment) == f"t={moment},v1={expected}"


def test_staff_add_a_subscriber_by_ticking_events(admin_client: Client) -> None:
    response = admin_client.post(
        reverse("admin:followup_webhooksubscriber_add"),
        {"name": "Books", "url": "https://books.example/hooks", "events": ["refund.succeeded", "refund.failed"],
         "active": "on", "secret": "whsec_abc"},
    )  # fmt: skip
    assert response.status_code == 302
    assert WebhookSubscriber.objects.get().events == ["refund.succeeded", "refund.failed"]
