"""Shared test set-up.

Tests that need a real service carry a marker (`postgres`, `redis`). Without
the service they are skipped with the reason; with REQUIRE_SERVICES=1 (set by
.ci/run) a missing service fails them instead, so CI never skips silently.
"""

from __future__ import annotations

import datetime as dt
import importlib
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import hypothesis
import pytest
import time_machine
from django.conf import settings
from django.db import connection
from django.test import override_settings
from django.utils import timezone

REQUIRE_SERVICES = os.environ.get("REQUIRE_SERVICES") == "1"

# Property tests judge results, not speed: on a busy 2-core machine a slow example is no failure.
hypothesis.settings.register_profile("portal", deadline=None)
hypothesis.settings.load_profile("portal")


def _missing(what: str) -> None:
    if REQUIRE_SERVICES:
        pytest.fail(f"{what} is required (REQUIRE_SERVICES=1) but not configured")
    pytest.skip(f"{what} not configured; set it to run this test (see README, 'Tests')")


@pytest.fixture(autouse=True)
def _required_services(request: pytest.FixtureRequest) -> None:
    if request.node.get_closest_marker("postgres") and connection.vendor != "postgresql":
        _missing("PostgreSQL (DATABASE_URL=postgres://...)")
    if request.node.get_closest_marker("redis") and not settings.REDIS_URL:
        _missing("Redis (REDIS_URL=redis://...)")


@pytest.fixture(autouse=True)
def clock(request: pytest.FixtureRequest) -> Iterator[time_machine.Traveller | None]:
    """Every test runs at noon of today in the shop's time zone, with the clock standing still.

    A test never crosses midnight (a date computed twice is the same date) and two
    signed links made in one test are the same link, however busy the machine is.
    A test moves time on purpose with `clock.shift(...)` or `clock.move_to(...)`.
    `time.monotonic()` is left alone, so waiting for a condition still works;
    tests that run other processes (a Celery worker) mark themselves `real_clock`.
    """
    if request.node.get_closest_marker("real_clock"):
        yield None
        return
    noon = dt.datetime.combine(timezone.localdate(), dt.time(12), tzinfo=ZoneInfo(settings.TIME_ZONE))
    with time_machine.travel(noon, tick=False) as traveller:
        yield traveller


@pytest.fixture(scope="session", autouse=True)
def _cache_of_its_own() -> Iterator[None]:
    """Tests cache in memory: clearing it between tests must not flush a Redis that others use."""
    with override_settings(CACHES={"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}):
        yield


@pytest.fixture(autouse=True)
def _media_of_its_own(settings: Any, tmp_path: Path) -> None:
    """Uploaded photos go to the test's own folder, never into the demo's var/media."""
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture(scope="session")
def s3_server() -> Iterator[str]:
    """An S3-compatible server on localhost (moto's server mode, in a thread): its endpoint URL."""
    try:
        from moto.server import ThreadedMotoServer
    except ImportError:
        _missing("moto's S3 server (pip install 'moto[server]')")
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = int(sock.getsockname()[1])
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    yield f"http://127.0.0.1:{port}"
    server.stop()


S3_KEYS = {"AWS_ACCESS_KEY_ID": "portal-test", "AWS_SECRET_ACCESS_KEY": "portal-test-secret"}


class ObjectStore:
    """A fresh bucket on the test's S3 server, and a client to look into it as its owner."""

    def __init__(self, endpoint: str) -> None:
        import uuid

        import boto3

        self.endpoint, self.region, self.bucket = endpoint, "eu-north-1", f"photos-{uuid.uuid4().hex[:12]}"
        self.client = boto3.client(
            "s3",
            endpoint_url=endpoint,
            region_name=self.region,
            aws_access_key_id=S3_KEYS["AWS_ACCESS_KEY_ID"],
            aws_secret_access_key=S3_KEYS["AWS_SECRET_ACCESS_KEY"],
        )
        self.client.create_bucket(Bucket=self.bucket, CreateBucketConfiguration={"LocationConstraint": self.region})

    def keys(self) -> list[str]:
        return [item["Key"] for item in self.client.list_objects_v2(Bucket=self.bucket).get("Contents", [])]

    def environment(self) -> dict[str, str]:
        """The variables a web or worker process needs to keep its files here."""
        return {
            "AWS_STORAGE_BUCKET_NAME": self.bucket,
            "AWS_S3_ENDPOINT_URL": self.endpoint,
            "AWS_S3_REGION_NAME": self.region,
            "AWS_S3_ADDRESSING_STYLE": "path",
            **S3_KEYS,
        }


@pytest.fixture
def object_store(s3_server: str, settings: Any) -> ObjectStore:
    """A fresh private bucket, and this process keeping its files there (STORAGES as a production setup has it)."""
    from returns_portal.storage import object_storage

    store = ObjectStore(s3_server)
    settings.STORAGES = {
        **settings.STORAGES,
        "default": object_storage(
            bucket=store.bucket,
            endpoint_url=store.endpoint,
            region=store.region,
            addressing_style="path",
            access_key=S3_KEYS["AWS_ACCESS_KEY_ID"],
            secret_key=S3_KEYS["AWS_SECRET_ACCESS_KEY"],
        ),
    }
    return store


@pytest.fixture(scope="session", autouse=True)
def _tasks_run_at_once() -> None:
    """Tasks run eagerly in tests, even when REDIS_URL is set; the worker tests queue them for real."""
    from returns_portal.celery import app

    app.conf.task_always_eager = True


@pytest.fixture
def queued_tasks() -> Iterator[None]:
    """For tests with a real worker: tasks go to the broker instead of running at once."""
    from returns_portal.celery import app

    app.conf.task_always_eager = False
    yield
    app.conf.task_always_eager = True


@pytest.fixture(autouse=True)
def _english_to_begin_with() -> Iterator[None]:
    """LocaleMiddleware activates a request's language in the test's thread and leaves it; start clean."""
    from django.utils import translation

    translation.activate(settings.LANGUAGE_CODE)
    yield
    translation.deactivate()


@pytest.fixture(autouse=True)
def _fresh_fake_card() -> None:
    """The fake payment providers keep their scripts and payouts in the class: every test starts clean."""
    from refunds.providers.fake import FakeCardProvider, FakeConnectedProvider

    FakeCardProvider.reset()
    FakeConnectedProvider.reset()


@pytest.fixture(autouse=True)
def _empty_cache() -> None:
    """Each test starts with an empty cache: no policy or look-up counts left by another."""
    from django.core.cache import cache

    from returns_portal.core import pagecache

    cache.clear()
    pagecache.forget_local()


def pytest_sessionstart(session: pytest.Session) -> None:
    if REQUIRE_SERVICES and connection.vendor != "postgresql":
        raise pytest.UsageError("REQUIRE_SERVICES=1 but DATABASE_URL does not point at PostgreSQL")


def _runs_in_a_transaction_of_its_own(item: pytest.Item) -> bool:
    marker = item.get_closest_marker("django_db")
    fixtures = getattr(item, "fixturenames", [])
    return bool(marker and marker.kwargs.get("transaction")) or "live_server" in fixtures


@pytest.hookimpl(trylast=True)
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Transactional tests last, after every other plugin's ordering (pytest-playwright regroups by browser).

    They empty the tables when they end, data from migrations included, so a
    test wrapped in a plain transaction must never run after one of them.
    """
    items.sort(key=_runs_in_a_transaction_of_its_own)


@pytest.fixture
def migration_data(transactional_db: None) -> None:
    """Transactional tests end by emptying every table; put back what the data migrations wrote.

    (Django's serialized_rollback would do this, but the serialized copy goes
    missing once a plain `db` test has run in the same session on PostgreSQL.)
    """
    from django.apps import apps

    from returns.models import ReturnReason

    if ReturnReason.objects.exists():
        return
    from followup.roles import ROLES
    from returns_portal.core.roles import roles_apply

    importlib.import_module("returns.migrations.0002_defaults_and_roles").defaults(apps, None)
    importlib.import_module("returns.migrations.0003_customer_flow").defect_claims_allow_repair(apps, None)
    roles_apply(apps, ROLES)
