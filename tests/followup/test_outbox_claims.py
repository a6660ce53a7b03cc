"""The outbox claims, calls, records: the mail server and webhook receivers are talked to with no
transaction open and no lock on the row, a row whose worker died is taken again after its lease,
and building a confirmation never books the carrier."""

from __future__ import annotations

import datetime as dt
import smtplib
import threading
from collections.abc import Callable, Iterator, Sequence
from decimal import Decimal
from http.server import BaseHTTPRequestHandler, HTTPServer
from typing import Any, ClassVar
from unittest import mock

import pytest
import requests
from django.core import mail
from django.core.mail import EmailMessage
from django.core.mail.backends.locmem import EmailBackend
from django.db import connection
from django.utils import timezone
from pytest_django.fixtures import Settings

from followup.models import MessageState, OutboxMessage, WebhookSubscriber
from followup.sending import MAX_ATTEMPTS, lease, outbox_due, outbox_send, outbox_sweep
from returns.carriers import BuiltinCarrier, Shipment, ShipmentRequest
from returns.models import Order, ReturnRequest
from returns.services import LineRequest, return_create
from returns.tasks import book_missing_carriers
from tests.factories import OrderLineFactory, carrier_booked
from tests.remote_calls import OUTSIDE, Moment, moment, rows_free

# Proving "no transaction, no lock" needs committed rows and a second connection: these tests are
# transactional, on PostgreSQL. The others run in the usual test transaction.
real_transactions = [
    pytest.mark.postgres,
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("migration_data"),
]


def with_real_transactions(test: Callable[..., None]) -> Callable[..., None]:
    for mark in reversed(real_transactions):
        test = mark(test)
    return test


def a_return(method: str = "label") -> ReturnRequest:
    line = OrderLineFactory(unit_price=Decimal("250.00"))
    return carrier_booked(
        return_create(order=line.order, lines=[LineRequest(line.id, 1, "too_big")], resolution="refund", method=method)
    )


class SpyBackend(EmailBackend):
    """The mail server of these tests: notes the moment of each send, then keeps the message as
    locmem does. `during` runs while the server holds the message, to act in the middle of a send;
    `error` makes the server refuse it afterwards."""

    moments: ClassVar[list[Moment]] = []
    during: ClassVar[Callable[[], None] | None] = None
    error: ClassVar[Exception | None] = None

    def send_messages(self, messages: Sequence[EmailMessage]) -> int:
        SpyBackend.moments.append(moment(OutboxMessage.objects.all()))
        during, error, SpyBackend.during, SpyBackend.error = SpyBackend.during, SpyBackend.error, None, None
        if during is not None:
            during()
        if error is not None:
            raise error
        return super().send_messages(messages)


@pytest.fixture
def spy_mail(settings: Settings) -> Iterator[type[SpyBackend]]:
    settings.EMAIL_BACKEND = f"{__name__}.SpyBackend"
    SpyBackend.moments, SpyBackend.during, SpyBackend.error = [], None, None
    yield SpyBackend
    SpyBackend.during = SpyBackend.error = None


# --- The remote call: SMTP, webhooks -----------------------------------------------------------------


@with_real_transactions
def test_the_mail_server_is_talked_to_with_no_transaction_open_and_no_row_locked(spy_mail: type[SpyBackend]) -> None:
    return_request = a_return()  # the confirmation goes out after the commit (tasks run at once here)
    message = OutboxMessage.objects.get(return_request=return_request)
    assert (message.state, message.attempts) == (MessageState.SENT, 1)
    assert spy_mail.moments == [OUTSIDE]
    [email] = mail.outbox
    assert email.attachments[0][0] == f"return-label-{return_request.number}.pdf"


class Receiver:
    """A webhook receiver on localhost that, while it holds the request, tries to lock the outbox's
    rows from a connection of its own."""

    def __init__(self) -> None:
        self.rows_free: list[bool] = []
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                self.rfile.read(int(self.headers["Content-Length"]))
                receiver.rows_free.append(rows_free(OutboxMessage.objects.all()))
                self.send_response(200)
                self.end_headers()

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


@with_real_transactions
def test_a_webhook_is_posted_with_no_transaction_open_and_no_row_locked(receiver: Receiver) -> None:
    WebhookSubscriber.objects.create(name="Helpdesk", url=receiver.url, events=["return.created"])
    in_transaction: list[bool] = []
    post = requests.post

    def noting_post(*args: Any, **kwargs: Any) -> requests.Response:
        in_transaction.append(connection.in_atomic_block)
        return post(*args, **kwargs)

    with mock.patch("followup.webhooks.requests.post", noting_post):
        a_return()
    assert OutboxMessage.objects.get(kind="webhook").state == MessageState.SENT
    assert in_transaction == [False]
    assert receiver.rows_free == [True]


# --- Claims: one sender at a time, the dead worker's row taken again after its lease ------------------


@pytest.mark.django_db
def test_a_message_being_sent_is_claimed_so_a_second_task_skips_it(spy_mail: type[SpyBackend]) -> None:
    a_return()
    message = OutboxMessage.objects.get()
    seen: list[tuple[str, str]] = []

    def second_task() -> None:
        claimed = OutboxMessage.objects.get(pk=message.pk)
        seen.append((claimed.state, outbox_send(message.pk)))

    spy_mail.during = second_task
    assert outbox_send(message.pk) == "sent"
    assert seen == [(MessageState.SENDING, "skipped")]
    assert outbox_due() == []
    assert len(mail.outbox) == 1


@pytest.mark.django_db
def test_a_row_left_sending_by_a_dead_worker_is_sent_again_after_its_lease(clock: Any) -> None:
    a_return()
    message = OutboxMessage.objects.get()
    OutboxMessage.objects.filter(pk=message.pk).update(
        state=MessageState.SENDING, attempts=1, claimed_at=timezone.now()
    )
    assert outbox_send(message.pk) == "skipped"  # the worker may still be at it
    assert outbox_sweep() == 0
    clock.shift(lease() + dt.timedelta(seconds=1))
    assert outbox_due() == [message.pk]
    assert outbox_send(message.pk) == "sent"
    message.refresh_from_db()
    assert (message.state, message.attempts, message.last_error) == (MessageState.SENT, 2, "")
    assert len(mail.outbox) == 1


@pytest.mark.django_db
def test_a_dead_workers_last_attempt_fails_visibly_rather_than_looping(clock: Any) -> None:
    a_return()
    message = OutboxMessage.objects.get()
    OutboxMessage.objects.filter(pk=message.pk).update(
        state=MessageState.SENDING, attempts=MAX_ATTEMPTS, claimed_at=timezone.now()
    )
    clock.shift(lease() + dt.timedelta(seconds=1))
    assert outbox_send(message.pk) == "failed"
    message.refresh_from_db()
    assert message.state == MessageState.FAILED
    assert "stopped while sending" in message.last_error
    assert mail.outbox == []


@pytest.mark.django_db
def test_a_late_answer_from_a_claim_that_outlived_its_lease_does_not_overwrite_the_record(
    spy_mail: type[SpyBackend], clock: Any
) -> None:
    a_return()
    message = OutboxMessage.objects.get()

    def lease_runs_out_and_another_worker_sends() -> None:
        clock.shift(lease() + dt.timedelta(seconds=1))
        assert outbox_send(message.pk) == "sent"

    spy_mail.during = lease_runs_out_and_another_worker_sends
    spy_mail.error = smtplib.SMTPServerDisconnected("the slow first attempt gives up")
    assert outbox_send(message.pk) == "failed"  # the first attempt's own answer...
    message.refresh_from_db()
    assert (message.state, message.attempts, message.last_error) == (MessageState.SENT, 2, "")  # ...is not recorded
    assert len(mail.outbox) == 1


@pytest.mark.django_db
def test_staff_see_a_message_being_sent_and_when_it_was_taken(admin_client: Any) -> None:
    a_return()
    OutboxMessage.objects.update(state=MessageState.SENDING, attempts=1, claimed_at=timezone.now())
    page = admin_client.get("/admin/followup/outboxmessage/", {"state__exact": "sending"}).content.decode()
    assert "Sending" in page and "Last attempt" in page
    assert "Return confirmation" in page


# --- The confirmation waits for the carrier; building it books nothing -----------------------------


class DownCarrier(BuiltinCarrier):
    """The built-in carrier, down until `up`; every call notes its moment."""

    up: ClassVar[bool] = False
    moments: ClassVar[list[Moment]] = []

    def create_shipment(self, request: ShipmentRequest) -> Shipment:
        DownCarrier.moments.append(moment(ReturnRequest.objects.filter(pk=request.return_id), Order.objects.all()))
        if not DownCarrier.up:
            raise requests.ConnectionError("the carrier's API is down")
        return super().create_shipment(request)


@pytest.fixture
def down_carrier(settings: Settings) -> type[DownCarrier]:
    settings.RETURN_CARRIER = f"{__name__}.DownCarrier"
    DownCarrier.up, DownCarrier.moments = False, []
    return DownCarrier


@with_real_transactions
def test_the_confirmation_says_the_label_follows_and_it_follows_once_and_building_them_never_books(
    down_carrier: type[DownCarrier], clock: Any
) -> None:
    return_request = a_return()  # made and committed although the carrier is down
    assert return_request.tracking_number == ""
    [confirmation] = mail.outbox  # the carrier was asked first, failed: the confirmation does not wait
    # In the customer's language (the factory's orders are Swedish).
    assert "Din returetikett kommer i ett separat e-postmeddelande" in confirmation.body
    assert [name for name, _data, _type in confirmation.attachments] == [f"packing-{return_request.number}.pdf"]
    assert len(down_carrier.moments) == 1  # only return_create asked, after its commit

    down_carrier.up = True
    clock.shift(dt.timedelta(minutes=2))
    assert book_missing_carriers() == 1  # the sweep books it (the task runs at once here)
    assert down_carrier.moments == [OUTSIDE, OUTSIDE]
    return_request.refresh_from_db()
    assert return_request.tracking_number.startswith("CR")
    assert book_missing_carriers() == 0

    outbox_sweep()
    [_confirmation, ready] = mail.outbox
    assert ready.subject == f"Din returetikett för retur {return_request.number} är klar"
    assert ready.attachments[0][0] == f"return-label-{return_request.number}.pdf"
    assert len(down_carrier.moments) == 2  # building the e-mails booked nothing
    assert outbox_sweep() == 0  # once
