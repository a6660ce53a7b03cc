"""What customers and operators see while the database or Redis is down (issue 15).

bench/faults.py restarts real servers under load; these pin each piece on its own: the error
pages (friendly, translated, no traceback, no database needed to draw them), /healthz naming
what failed, and pages that need no Redis still served while it is away.
"""

from __future__ import annotations

import runpy
from collections.abc import Iterator
from decimal import Decimal
from typing import Any
from unittest import mock

import pytest
from django.contrib.sessions.backends.db import SessionStore
from django.db import DEFAULT_DB_ALIAS, OperationalError, connection, connections
from django.db.backends.utils import CursorWrapper
from django.test import Client
from django.utils import translation
from django.utils.translation import gettext

from returns import access
from returns.models import Order
from returns_portal import health
from returns_portal import settings as portal_settings
from tests.factories import OrderFactory, OrderLineFactory

pytestmark = pytest.mark.django_db
CLOSED_REDIS = "redis://127.0.0.1:1/0"  # nothing listens on port 1


@pytest.fixture
def visitor() -> Client:
    """A customer's browser: it gets the error page the portal answers with, not the exception."""
    return Client(raise_request_exception=False)


@pytest.fixture
def database_down() -> Iterator[None]:
    """Every query fails as during a PostgreSQL restart (the driver's connection error)."""
    refused = OperationalError("connection failed: Connection refused")
    with (
        mock.patch.object(CursorWrapper, "execute", side_effect=refused),
        mock.patch.object(CursorWrapper, "executemany", side_effect=refused),
    ):
        yield


@pytest.fixture
def order() -> Order:
    order = OrderFactory.create(language="fi", shipping_amount=Decimal("49.00"))
    OrderLineFactory.create(order=order)
    return order


def translated(language: str, text: str) -> str:
    with translation.override(language):
        result = gettext(text)
    assert result != text, f"{text!r} has no {language} translation"
    return result


def assert_friendly(page: str, language: str, heading: str) -> None:
    assert f'<html lang="{language}">' in page
    assert f"<h1>{translated(language, heading)}</h1>" in page
    assert "css/portal.css" in page and "Nordväst Outfitters" in page  # the portal's look and name
    assert "Traceback" not in page and "OperationalError" not in page and "RuntimeError" not in page


def test_while_the_database_is_down_a_customer_gets_a_503_in_their_language(
    visitor: Client, order: Order, database_down: None
) -> None:
    response = visitor.get(f"/order/{access.order_token(order)}/", HTTP_ACCEPT_LANGUAGE="sv")
    assert response.status_code == 503
    assert response["Retry-After"] == "10"
    assert_friendly(response.content.decode(), "sv", "Back in a moment")


def test_the_503_page_needs_no_session_or_messages_from_the_database(
    visitor: Client, order: Order, database_down: None
) -> None:
    visitor.cookies["sessionid"] = "a" * 32  # a customer in the middle of a return: their draft is in the session
    visitor.cookies["django_language"] = "da"
    response = visitor.post(f"/order/{access.order_token(order)}/confirm/", HTTP_ACCEPT_LANGUAGE="sv")
    assert response.status_code == 503
    assert_friendly(response.content.decode(), "da", "Back in a moment")  # the language they chose wins


def test_a_session_the_database_could_not_save_is_the_same_503(visitor: Client, order: Order) -> None:
    """Django calls a session it could not save "interrupted" and answers 400; here the database went away."""
    items, line = f"/order/{access.order_token(order)}/", order.lines.get()
    chosen = {f"qty_{line.pk}": "1", f"reason_{line.pk}": "too_small", f"comment_{line.pk}": ""}
    assert visitor.post(items, chosen).status_code == 302  # the draft is in the customer's session now
    gone = OperationalError("server closed the connection unexpectedly")
    with mock.patch.object(SessionStore, "create_model_instance", side_effect=gone):
        response = visitor.post(items, chosen, HTTP_ACCEPT_LANGUAGE="nb")
    assert response.status_code == 503
    assert_friendly(response.content.decode(), "fi", "Back in a moment")  # the order's language, as the pages before


def test_any_other_failure_is_a_friendly_500_without_traceback(visitor: Client) -> None:
    with mock.patch("returns.views.flow.ReturnPolicy.current", side_effect=RuntimeError("bug")):
        response = visitor.get("/policy/", HTTP_ACCEPT_LANGUAGE="fi")
    assert response.status_code == 500
    assert "Retry-After" not in response
    assert_friendly(response.content.decode(), "fi", "Something went wrong")


def test_the_api_says_503_in_json_while_the_database_is_down(visitor: Client, database_down: None) -> None:
    response = visitor.get("/api/v1/returns/", HTTP_AUTHORIZATION="Token " + "0" * 40)
    assert response.status_code == 503
    assert response.json() == {"detail": "Temporarily unavailable; try again shortly."}


@pytest.mark.postgres
def test_healthz_names_the_database_when_it_cannot_be_reached(client: Client, monkeypatch: Any) -> None:
    wrapper = type(connections[DEFAULT_DB_ALIAS])
    closed = wrapper({**connection.settings_dict, "PORT": "1"}, alias=DEFAULT_DB_ALIAS)  # nothing listens on port 1
    monkeypatch.setattr(health, "connection", closed)
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json()["failing"] == ["database"]
    assert response.json()["database"] == "error: OperationalError"


def test_healthz_names_the_broker_when_redis_cannot_be_reached(client: Client, settings: Any) -> None:
    settings.REDIS_URL = CLOSED_REDIS
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json()["failing"] == ["broker"]


@pytest.fixture
def redis_down(settings: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    """The cache as settings.py makes it for a Redis, on a Redis that is not there."""
    monkeypatch.setenv("REDIS_URL", CLOSED_REDIS)
    settings.CACHES = runpy.run_path(portal_settings.__file__)["CACHES"]


def test_while_redis_is_down_customers_still_find_their_order_and_read_the_pages(
    client: Client, order: Order, redis_down: None
) -> None:
    assert client.get("/").status_code == 200
    assert client.get("/policy/").status_code == 200
    found = client.post("/", {"order_number": order.number, "contact": order.customer.email})
    assert found.status_code == 302
    assert client.get(found["Location"]).status_code == 200
    wrong = client.post("/", {"order_number": order.number, "contact": "someone@else.example"})
    assert wrong.status_code == 200  # the failed look-up is not counted while Redis is away, and not a 500
