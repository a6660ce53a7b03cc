"""The outbox with real parts: a Celery worker (with beat) against Redis, PostgreSQL, and an SMTP
server on localhost that counts every message it receives.

Each test starts its own redis-server on a free port, so it can restart it
without touching a Redis that anything else uses. The worker claims a row
(`sending`), talks to the mail server with no transaction open and no lock held,
then records it sent; a row whose worker died is taken again after the lease,
which these tests shorten to a few seconds.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import signal
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from decimal import Decimal
from email import message_from_bytes
from pathlib import Path
from typing import Any

import pytest
from django.db import connection, transaction

from followup.models import MessageState, OutboxMessage
from returns.services import LineRequest, return_create
from returns_portal.celery import app as celery_app
from tests.factories import OrderLineFactory
from tests.processes import Redis, smtp_server, wait_for

pytestmark = [
    pytest.mark.real_clock,  # the worker is another process, on the real clock
    pytest.mark.postgres,
    pytest.mark.redis,
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("migration_data"),
]
ROOT = Path(__file__).resolve().parents[2]
LEASE_SECONDS = 10


class Sink:
    """An SMTP server that keeps the Message-ID of everything it accepts.

    A pause before each recipient makes sending slow, and the sink knows which
    sessions are past it: from the end of the pause until the client quits (the
    portal quits only after recording the message as sent). A worker killed while
    no session is in that stretch cannot have a message accepted but unrecorded.
    """

    def __init__(self, pause: float = 0.0) -> None:
        self.pause = pause
        self.ids: list[str] = []
        self.pausing: dict[int, float] = {}
        self.past_pause: set[int] = set()
        self.lock = threading.Lock()

    async def handle_RCPT(self, server: Any, session: Any, envelope: Any, address: str, options: Any) -> str:
        with self.lock:
            self.pausing[id(session)] = time.monotonic()
        await asyncio.sleep(self.pause)
        with self.lock:
            del self.pausing[id(session)]
            self.past_pause.add(id(session))
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        message = message_from_bytes(envelope.original_content or envelope.content)
        with self.lock:
            self.ids.append(str(message["Message-ID"]))
        return "250 Message accepted"

    async def handle_QUIT(self, server: Any, session: Any, envelope: Any) -> str:
        with self.lock:
            self.past_pause.discard(id(session))
        return "221 Bye"

    def count(self) -> int:
        with self.lock:
            return len(self.ids)

    def sending(self) -> bool:
        """A client is in the middle of a session, waiting for the server's reply."""
        with self.lock:
            return bool(self.pausing)

    def safe_to_kill(self, margin: float) -> bool:
        """No session past its pause, and every pause has at least `margin` seconds to go."""
        with self.lock:
            now = time.monotonic()
            return not self.past_pause and all(now - start < self.pause - margin for start in self.pausing.values())


@pytest.fixture
def sink() -> Iterator[tuple[Sink, int]]:
    handler = Sink()
    with smtp_server(handler) as port:
        yield handler, port


def forget_broker_connections() -> None:
    """Celery keeps a pool of broker connections per app; after the broker URL changes, drop it
    (not close it: kombu shares the pool with everyone using the same URL)."""
    celery_app._pool = None
    amqp = celery_app.__dict__.get("amqp")
    if amqp is not None:
        amqp._producer_pool = None


@pytest.fixture
def redis(queued_tasks: None) -> Iterator[Redis]:
    if shutil.which("redis-server") is None:
        pytest.fail("redis-server is needed to restart a broker in this test (apt-get install redis-server)")
    server = Redis()
    server.start()
    # This process queues its tasks (after commit) on this broker.
    previous = celery_app.conf.broker_url
    celery_app.conf.broker_url = server.url
    forget_broker_connections()
    yield server
    celery_app.conf.broker_url = previous
    forget_broker_connections()
    server.stop()


class Worker:
    """`celery -A returns_portal worker -B`, the production command, with beat sweeping every second."""

    def __init__(self, redis: Redis, smtp_port: int, tmp: Path) -> None:
        db = connection.settings_dict
        self.env = {
            **os.environ,
            "DATABASE_URL": f"postgres://{db['USER']}@{db['HOST']}:{db['PORT']}/{db['NAME']}",
            "REDIS_URL": redis.url,
            "EMAIL_URL": f"smtp://127.0.0.1:{smtp_port}",
            "OUTBOX_SWEEP_SECONDS": "1",
            # A killed worker's claims are taken again after this; still far above one send (0.3 s here).
            "OUTBOX_LEASE_SECONDS": str(LEASE_SECONDS),
        }
        self.tmp = tmp
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        command = [
            sys.executable, "-m", "celery", "-A", "returns_portal", "worker", "-B", "--concurrency", "2",
            "--schedule", str(self.tmp / "beat-schedule"), "--loglevel", "WARNING", "--without-mingle",
            "--without-gossip",
        ]  # fmt: skip
        log = (self.tmp / "worker.log").open("ab")
        self.process = subprocess.Popen(command, cwd=ROOT, env=self.env, stdout=log, stderr=log, start_new_session=True)

    def kill(self) -> None:
        """SIGKILL the worker and its pool processes: no chance to finish or clean up."""
        if self.process is not None and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait()

    def log(self) -> str:
        return (self.tmp / "worker.log").read_text(errors="replace")[-3000:]


@pytest.fixture
def worker_for(redis: Redis, tmp_path: Path) -> Iterator[Callable[[int], Worker]]:
    workers: list[Worker] = []

    def make(smtp_port: int) -> Worker:
        workers.append(Worker(redis, smtp_port, tmp_path))
        return workers[-1]

    yield make
    for worker in workers:
        worker.kill()


def a_return() -> int:
    line = OrderLineFactory(unit_price=Decimal("250.00"))
    return_request = return_create(
        order=line.order, lines=[LineRequest(line.id, 1, "too_big")], resolution="refund", method="label"
    )
    return return_request.pk


def sent() -> int:
    return OutboxMessage.objects.filter(state=MessageState.SENT).count()


def test_a_returns_confirmation_is_sent_once(sink: tuple[Sink, int], worker_for: Callable[[int], Worker]) -> None:
    handler, port = sink
    worker = worker_for(port)
    worker.start()
    a_return()  # the outbox row commits with the return; the task is queued after commit
    wait_for(lambda: handler.count() == 1, 60, f"the confirmation\n{worker.log()}")
    message = OutboxMessage.objects.get()
    from followup.tasks import send_messages

    send_messages.delay([message.pk])  # the same task again, as a broker redelivery would
    time.sleep(3)  # three sweeps by beat
    assert handler.count() == 1
    assert handler.ids[0].startswith(f"<confirmation.{message.return_request.number}@")


def test_a_killed_worker_and_a_restarted_broker_lose_no_message_and_send_none_twice(
    sink: tuple[Sink, int], worker_for: Callable[[int], Worker], redis: Redis
) -> None:
    handler, port = sink
    handler.pause = 0.3  # each message takes a while, so the kill lands mid-batch
    total = 40
    for _ in range(total):
        a_return()  # each queues its task on Redis; no worker runs yet
    redis.stop()  # the broker restarts before any worker came: the queued tasks are lost
    redis.start()
    worker = worker_for(port)
    worker.start()  # beat's sweep finds the 40 pending messages and queues them as a batch
    wait_for(lambda: handler.count() >= 10, 120, f"the first messages\n{worker.log()}")
    wait_for(lambda: handler.safe_to_kill(margin=0.15), 10, "a moment with every send before the server's reply")
    worker.kill()
    assert 10 <= handler.count() < total, "the worker finished before it could be killed"
    redis.stop()  # and the broker restarts again: the batch in progress is lost too
    redis.start()
    restarted = worker_for(port)
    restarted.start()  # the rows the killed worker was sending wait out their lease, then go again
    wait_for(lambda: sent() == total, 180, f"every message sent\n{restarted.log()}")
    time.sleep(2)  # three more sweeps: any late duplicate would arrive now
    counts = Counter(handler.ids)
    assert len(counts) == total
    assert [message_id for message_id, n in counts.items() if n > 1] == []


def test_while_the_mail_server_answers_the_row_is_claimed_and_not_locked(
    sink: tuple[Sink, int], worker_for: Callable[[int], Worker]
) -> None:
    handler, port = sink
    handler.pause = 3.0  # a slow mail server
    worker = worker_for(port)
    worker.start()
    a_return()
    wait_for(lambda: handler.sending(), 60, f"the worker talking to the mail server\n{worker.log()}")
    with transaction.atomic():  # another worker, or staff in the admin, gets the row at once
        message = OutboxMessage.objects.select_for_update(nowait=True).get()
    assert (message.state, message.attempts) == (MessageState.SENDING, 1)
    wait_for(lambda: sent() == 1, 30, f"the message recorded as sent\n{worker.log()}")
    assert handler.count() == 1
