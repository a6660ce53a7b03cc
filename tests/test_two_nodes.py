"""Two web machines and a worker machine that share only PostgreSQL, Redis and the object store.

Three processes, each in a working directory of its own and with a MEDIA_ROOT that does not exist, as
three machines without a shared disk would be: gunicorn as web 1 and web 2, and `celery worker`. An
S3-compatible server (moto's) runs on localhost, Redis on a port of its own, the mail server in this
process. A customer returns a faulty item with a photo through web 1; staff open the photo through
web 2; the worker e-mails the confirmation with the label PDF. No process wrote a file of its own.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
from collections.abc import Iterator
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import pytest
import requests
from django.contrib.auth.models import Group, User
from django.db import connection
from django.urls import reverse

from returns import access
from returns.models import ReturnPhoto, ReturnRequest
from tests.conftest import ObjectStore
from tests.factories import OrderLineFactory
from tests.processes import Redis, free_port, smtp_server, wait_for
from tests.returns.photo_data import jpeg

pytestmark = [
    pytest.mark.real_clock,  # the other processes run on the real clock
    pytest.mark.postgres,
    pytest.mark.redis,
    pytest.mark.django_db(transaction=True),  # they read what this test commits
    pytest.mark.usefixtures("migration_data"),
]
ROOT = Path(__file__).resolve().parent.parent
CSRF = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')


class Mailbox:
    """An SMTP server's handler that keeps every message whole."""

    def __init__(self) -> None:
        self.messages: list[EmailMessage] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        raw = envelope.original_content or envelope.content
        self.messages.append(message_from_bytes(raw, policy=policy.default))  # type: ignore[arg-type]
        return "250 Message accepted"


class Machine:
    """One process of the portal, as one machine runs it: its own folder, its own (absent) MEDIA_ROOT."""

    def __init__(self, name: str, command: list[str], tmp: Path, variables: dict[str, str], url: str = "") -> None:
        self.name, self.url, self.home, self.log_path = name, url, tmp / name, tmp / f"{name}.log"
        self.home.mkdir()
        self.media_root = self.home / "media"
        self.env = {**os.environ, **variables, "MEDIA_ROOT": str(self.media_root), "PYTHONPATH": str(ROOT)}
        self.command = command
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        log = self.log_path.open("ab")
        self.process = subprocess.Popen(
            self.command, cwd=self.home, env=self.env, stdout=log, stderr=log, start_new_session=True
        )

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            os.killpg(self.process.pid, 9)
            self.process.wait()

    def log(self) -> str:
        return f"--- {self.name}\n" + self.log_path.read_text(errors="replace")[-3000:]

    def files(self) -> list[Path]:
        """What the process left in its folder: nothing, on a machine that keeps nothing locally."""
        return sorted(self.home.rglob("*"))


@pytest.fixture
def mailbox() -> Iterator[tuple[Mailbox, int]]:
    handler = Mailbox()
    with smtp_server(handler) as port:
        yield handler, port


@pytest.fixture
def broker() -> Iterator[Redis]:
    server = Redis()
    server.start()
    yield server
    server.stop()


@pytest.fixture
def machines(
    tmp_path: Path, object_store: ObjectStore, broker: Redis, mailbox: tuple[Mailbox, int]
) -> Iterator[dict[str, Machine]]:
    db = connection.settings_dict
    shared = {
        "DATABASE_URL": f"postgres://{db['USER']}@{db['HOST']}:{db['PORT']}/{db['NAME']}",
        "REDIS_URL": broker.url,
        "EMAIL_URL": f"smtp://127.0.0.1:{mailbox[1]}",
        "LOG_LEVEL": "WARNING",
        **object_store.environment(),
    }
    ports = {"web1": free_port(), "web2": free_port()}
    started = {
        name: Machine(name, [sys.executable, "-m", "gunicorn", "--bind", f"127.0.0.1:{port}", "--workers", "2",
                             "returns_portal.wsgi:application"], tmp_path, shared, f"http://127.0.0.1:{port}")
        for name, port in ports.items()
    }  # fmt: skip
    started["worker"] = Machine(
        "worker",
        [sys.executable, "-m", "celery", "-A", "returns_portal", "worker", "--concurrency", "1",
         "--loglevel", "WARNING", "--without-mingle", "--without-gossip"],
        tmp_path,
        shared,
    )  # fmt: skip
    for machine in started.values():
        machine.start()
    for name in ports:
        web = started[name]
        wait_for(lambda web=web: answers(web.url + "/healthz"), 60, f"{name} to answer\n{web.log()}")
    yield started
    for machine in started.values():
        machine.stop()


def answers(url: str) -> bool:
    try:
        return requests.get(url, timeout=5).status_code == 200
    except requests.RequestException:  # not listening yet, or still loading Django on the first request
        return False


def post_form(session: requests.Session, url: str, data: dict[str, Any], **kwargs: Any) -> requests.Response:
    """GET the page for its CSRF token, then POST the form as a browser would."""
    page = session.get(url, timeout=30)
    token = CSRF.search(page.text)
    assert token, f"no form on {url}: {page.status_code}\n{page.text[:2000]}"
    return session.post(url, data={**data, "csrfmiddlewaretoken": token.group(1)}, timeout=60, **kwargs)


def mail_with_label(mailbox: Mailbox, number: str) -> EmailMessage | None:
    for message in mailbox.messages:
        names = [part.get_filename() for part in message.iter_attachments()]
        if f"return-label-{number}.pdf" in names:
            return message
    return None


def test_a_photo_uploaded_through_one_web_machine_is_seen_through_the_other_and_the_worker_mails_the_label(
    machines: dict[str, Machine], object_store: ObjectStore, mailbox: tuple[Mailbox, int]
) -> None:
    web1, web2 = machines["web1"].url, machines["web2"].url
    line = OrderLineFactory()
    staff = User.objects.create_user("warehouse", password="a long password 42", is_staff=True)
    staff.groups.add(Group.objects.get(name="Warehouse"))

    # The customer, on web 1: a faulty item, a photo of it, a refund, a printed label.
    customer = requests.Session()
    token = access.order_token(line.order)
    items = post_form(
        customer,
        web1 + reverse("returns:items", args=[token]),
        {f"qty_{line.id}": 1, f"reason_{line.id}": "defective", f"comment_{line.id}": "The seam came open."},
        files={f"photos_{line.id}": ("seam.jpg", jpeg(), "image/jpeg")},
        allow_redirects=False,
    )
    assert items.status_code == 302, items.text[:3000]
    choice = post_form(
        customer,
        web1 + reverse("returns:choice", args=[token]),
        {"resolution": "refund", "method": "label", "pickup_date": ""},
        allow_redirects=False,
    )
    assert choice.status_code == 302, choice.text[:3000]
    confirmed = post_form(customer, web1 + reverse("returns:confirm", args=[token]), {}, allow_redirects=False)
    assert confirmed.status_code == 302, confirmed.text[:3000]
    return_request = ReturnRequest.objects.get()
    photo = ReturnPhoto.objects.get(return_line__return_request=return_request)
    stored = object_store.client.get_object(Bucket=object_store.bucket, Key=photo.image.name)["Body"].read()
    assert object_store.keys() == [photo.image.name]

    # Staff, on web 2: the photo as the bucket holds it, through the portal and its permission check.
    staff_session = requests.Session()
    login = post_form(
        staff_session,
        web2 + "/admin/login/?next=/admin/",
        {"username": "warehouse", "password": "a long password 42"},
        allow_redirects=False,
    )
    assert login.status_code == 302, login.text[:3000]
    photo_url = web2 + reverse("admin:returns_returnrequest_photo", args=[photo.pk])
    started = time.monotonic()
    seen = staff_session.get(photo_url, timeout=30)
    took = time.monotonic() - started
    assert seen.status_code == 200, seen.text[:2000]
    assert seen.content == stored
    assert seen.headers["Content-Type"] == "image/jpeg"
    assert requests.get(photo_url, timeout=30, allow_redirects=False).status_code in (302, 403)  # nobody else
    assert took < 10

    # Nobody reaches the object by its address in the store.
    plain = f"{object_store.endpoint}/{object_store.bucket}/{photo.image.name}"
    assert requests.get(plain, timeout=10).status_code == 403

    # The worker, a third machine: the confirmation with the label PDF, made where it runs.
    everything = lambda: "\n".join(machine.log() for machine in machines.values())  # noqa: E731
    wait_for(lambda: mail_with_label(mailbox[0], return_request.number) is not None, 90, f"the mail\n{everything()}")
    message = mail_with_label(mailbox[0], return_request.number)
    assert message is not None
    label = next(part for part in message.iter_attachments() if part.get_filename().startswith("return-label-"))
    assert label.get_content_type() == "application/pdf"
    assert label.get_content().startswith(b"%PDF")

    # No machine kept a file of its own: no MEDIA_ROOT appeared, nothing was written in any working folder.
    for machine in machines.values():
        assert not machine.media_root.exists(), machine.name
        assert machine.files() == [], machine.name
