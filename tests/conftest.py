"""Shared test set-up.

Tests that need a real service carry a marker (`postgres`, `redis`). Without
the service they are skipped with the reason; with REQUIRE_SERVICES=1 (set by
.ci/run) a missing service fails them instead, so CI never skips silently.
"""

from __future__ import annotations

import os

import pytest
from django.conf import settings
from django.db import connection

REQUIRE_SERVICES = os.environ.get("REQUIRE_SERVICES") == "1"


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


def pytest_sessionstart(session: pytest.Session) -> None:
    if REQUIRE_SERVICES and connection.vendor != "postgresql":
        raise pytest.UsageError("REQUIRE_SERVICES=1 but DATABASE_URL does not point at PostgreSQL")
