"""Approved returns that are never sent expire: as a service, and through a real Celery worker."""

from __future__ import annotations

import datetime as dt
import os
import subprocess
import sys
import uuid
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from django.conf import settings
from django.db import connection
from django.utils import timezone

from returns.deadlines import refund_due_on, return_send_by
from returns.documents.for_return import packing_data
from returns.models import ReturnPolicy, ReturnRequest, ReturnState
from returns.services import LineRequest, return_create, return_transition, returns_expire_unsent
from returns.tasks import expire_unsent_returns
from tests.factories import OrderLineFactory

ROOT = Path(__file__).resolve().parents[2]
STOCKHOLM = ZoneInfo("Europe/Stockholm")


def approved_return(days_ago: int) -> ReturnRequest:
    line = OrderLineFactory()
    created = timezone.now() - dt.timedelta(days=days_ago)
    return return_create(
        order=line.order,
        lines=[LineRequest(order_line_id=line.id, quantity=1, reason_code="changed_mind")],
        resolution="refund",
        method="label",
        now=created,
    )


@pytest.mark.django_db
def test_only_returns_left_unsent_past_the_deadline_expire_and_running_twice_is_harmless() -> None:
    stale, fresh, sent = approved_return(days_ago=20), approved_return(days_ago=2), approved_return(days_ago=20)
    return_transition(return_request=sent, to=ReturnState.IN_TRANSIT)

    assert returns_expire_unsent() == 1
    assert returns_expire_unsent() == 0
    states = dict(ReturnRequest.objects.values_list("pk", "state"))
    assert states == {stale.pk: "expired", fresh.pk: "approved", sent.pk: "in_transit"}
    assert stale.history.last().actor == "system"


@pytest.mark.django_db
def test_a_return_expires_only_when_its_send_by_day_is_over_in_the_shops_time(clock: Any) -> None:
    """The label says "send by <day>": the parcel may go any time that day, shop time."""
    clock.move_to(dt.datetime(2026, 3, 2, 21, 30, tzinfo=STOCKHOLM))  # approved late on 2 March
    late_evening = approved_return(days_ago=0)
    days = ReturnPolicy.current().send_within_days
    last_day = dt.date(2026, 3, 2) + dt.timedelta(days=days)

    assert return_send_by(late_evening) == last_day
    assert packing_data(late_evening).send_by == last_day
    clock.move_to(dt.datetime.combine(last_day, dt.time(23, 59), tzinfo=STOCKHOLM))
    assert returns_expire_unsent() == 0  # still the day printed on the label
    clock.move_to(dt.datetime.combine(last_day + dt.timedelta(days=1), dt.time(0, 1), tzinfo=STOCKHOLM))
    assert returns_expire_unsent() == 1


@pytest.mark.django_db
def test_the_refund_promise_is_counted_in_the_shops_days_and_never_beyond_eu_law(clock: Any) -> None:
    clock.move_to(dt.datetime(2026, 3, 2, 23, 30, tzinfo=STOCKHOLM))  # 22:30 UTC: still 2 March in Stockholm
    ReturnPolicy.objects.filter(pk=ReturnPolicy.current().pk).update(refund_within_days=30)
    return_request = approved_return(days_ago=0)

    assert return_request.refund_due_on == dt.date(2026, 3, 16)
    assert refund_due_on(requested_at=return_request.created_at) == dt.date(2026, 3, 16)


def database_url_of_the_test_database() -> str:
    db = connection.settings_dict
    credentials = db["USER"] + (f":{db['PASSWORD']}" if db["PASSWORD"] else "")
    return f"postgres://{credentials}@{db['HOST'] or 'localhost'}:{db['PORT'] or 5432}/{db['NAME']}"


@pytest.mark.real_clock  # the worker is another process, on the real clock
@pytest.mark.redis
@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("migration_data", "queued_tasks")
def test_a_real_worker_runs_the_expiry_task_from_redis() -> None:
    stale = approved_return(days_ago=30)
    queue = f"test-{uuid.uuid4().hex[:8]}"  # our own queue: no other worker can take the task
    env = {**os.environ, "DATABASE_URL": database_url_of_the_test_database(), "REDIS_URL": settings.REDIS_URL}
    worker = subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "returns_portal", "worker", "--pool=solo", "-Q", queue, "-l", "INFO"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        result = expire_unsent_returns.apply_async(queue=queue, ignore_result=False)
        assert result.get(timeout=60) == 1
    finally:
        worker.terminate()
        output, _ = worker.communicate(timeout=30)
    assert "returns.expire_unsent_returns" in output and "succeeded" in output
    stale.refresh_from_db()
    assert stale.state == ReturnState.EXPIRED
