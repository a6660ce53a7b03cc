"""/healthz: what operators and load balancers ask."""

from __future__ import annotations

import pytest
from django.conf import settings
from django.test import Client


@pytest.mark.django_db
def test_healthz_reports_database_and_broker_as_json(client: Client) -> None:
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    expected_broker = "ok" if settings.REDIS_URL else "eager"
    assert response.json() == {"status": "ok", "database": "ok", "broker": expected_broker}


@pytest.mark.django_db
def test_healthz_says_503_when_the_broker_is_unreachable(client: Client, settings) -> None:
    settings.REDIS_URL = "redis://127.0.0.1:1/0"  # nothing listens on port 1
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json()["broker"] == "error: ConnectionError"
