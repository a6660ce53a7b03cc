"""Staff logins under attack, from the outside: wrong passwords lock a user name or an address for a while."""

from __future__ import annotations

import datetime as dt
import io
import logging

import pytest
from axes.models import AccessAttempt
from django.contrib.auth.models import User
from django.core.management import call_command
from django.http import HttpResponse
from django.test import Client

from tests.factories import OrderFactory
from tests.test_settings import PRODUCTION, manage

pytestmark = pytest.mark.django_db

PASSWORD = "a long staff passphrase"
LOCKED = "Too many wrong passwords or codes were tried"


@pytest.fixture
def staff(django_user_model: type[User]) -> User:
    return django_user_model.objects.create_user("warehouse", password=PASSWORD, is_staff=True)


def log_in(client: Client, username: str, password: str, **request: str) -> HttpResponse:
    return client.post("/admin/login/", {"username": username, "password": password, "next": "/admin/"}, **request)


def lock_out(client: Client, username: str = "warehouse", **request: str) -> None:
    for _ in range(4):
        assert log_in(client, username, "wrong", **request).status_code == 200  # the form again, with its error
    assert log_in(client, username, "wrong", **request).status_code == 429


def test_wrong_passwords_for_one_user_lock_it_even_with_the_right_password_from_elsewhere(
    client: Client, staff: User
) -> None:
    lock_out(client)
    refused = log_in(client, "warehouse", PASSWORD, REMOTE_ADDR="192.0.2.50")
    assert refused.status_code == 429
    assert LOCKED in refused.content.decode()
    assert client.get("/admin/").status_code == 302  # not logged in


def test_the_lockout_page_says_when_to_try_again_in_the_admins_look(client: Client, staff: User) -> None:
    lock_out(client)  # the last failure at 12:00, the tests' frozen noon
    page = log_in(client, "warehouse", PASSWORD)
    html = page.content.decode()
    assert page.status_code == 429
    assert page["Retry-After"] == "900"
    assert "paused for 15 minutes" in html
    assert "Try again after <strong>12:15</strong>" in html
    assert "admin/css/login.css" in html and "Returns portal" in html  # the admin's login look and header
    assert 'href="/admin/login/?next=/admin/"' in html


def test_one_address_trying_many_user_names_is_locked_out(client: Client, staff: User) -> None:
    for guess in ["admin", "root", "support", "shop", "warehouse1"]:
        log_in(client, guess, "wrong", REMOTE_ADDR="203.0.113.9")
    assert log_in(client, "warehouse", PASSWORD, REMOTE_ADDR="203.0.113.9").status_code == 429
    assert log_in(client, "warehouse", PASSWORD, REMOTE_ADDR="203.0.113.10").status_code == 302


def test_behind_a_proxy_each_client_is_counted_not_the_proxy(client: Client, staff: User, settings) -> None:
    settings.TRUSTED_PROXIES = 1
    proxy = {"REMOTE_ADDR": "10.0.0.2"}
    for guess in range(5):  # what the client writes before the proxy's entry changes nothing
        log_in(client, f"guess{guess}", "wrong", HTTP_X_FORWARDED_FOR=f"192.0.2.{guess}, 198.51.100.7", **proxy)
    assert log_in(client, "warehouse", PASSWORD, HTTP_X_FORWARDED_FOR="198.51.100.7", **proxy).status_code == 429
    assert log_in(client, "warehouse", PASSWORD, HTTP_X_FORWARDED_FOR="198.51.100.8", **proxy).status_code == 302


def test_a_forwarded_value_that_is_no_address_is_counted_as_the_proxy(client: Client, settings) -> None:
    settings.TRUSTED_PROXIES = 1
    assert (
        log_in(client, "nobody", "wrong", HTTP_X_FORWARDED_FOR="not-an-address", REMOTE_ADDR="10.0.0.2").status_code
        == 200
    )
    assert AccessAttempt.objects.get().ip_address == "10.0.0.2"


def test_after_the_cool_off_the_user_may_log_in_again(client: Client, staff: User, clock) -> None:
    lock_out(client)
    clock.shift(dt.timedelta(minutes=14))
    assert log_in(client, "warehouse", PASSWORD).status_code == 429  # refused, and the lock is not prolonged
    clock.shift(dt.timedelta(minutes=1, seconds=1))
    assert log_in(client, "warehouse", PASSWORD).status_code == 302
    assert client.get("/admin/").status_code == 200


def test_the_reset_command_lets_the_user_in(client: Client, staff: User) -> None:
    lock_out(client)
    call_command("axes_reset_username", "warehouse", stdout=io.StringIO())
    assert log_in(client, "warehouse", PASSWORD).status_code == 302


def test_an_admin_sees_the_lockout_and_deleting_it_lets_the_user_in(
    client: Client, admin_client: Client, staff: User
) -> None:
    lock_out(client)
    attempts = admin_client.get("/admin/axes/accessattempt/").content.decode()
    assert "warehouse" in attempts
    attempt = AccessAttempt.objects.get(username="warehouse")
    response = admin_client.post(
        "/admin/axes/accessattempt/",
        {"action": "delete_selected", "_selected_action": [attempt.pk], "post": "yes"},
    )
    assert response.status_code == 302
    assert log_in(client, "warehouse", PASSWORD).status_code == 302


def test_a_lockout_is_logged_as_a_warning_naming_user_and_address(
    client: Client, staff: User, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.WARNING):
        lock_out(client, REMOTE_ADDR="203.0.113.9")
        log_in(client, "warehouse", PASSWORD, REMOTE_ADDR="203.0.113.9")
    refusals = [r for r in caplog.records if r.name == "returns_portal.staff.lockout"]
    assert len(refusals) == 2 and all(r.levelno == logging.WARNING for r in refusals)
    assert "'warehouse'" in refusals[-1].getMessage() and "203.0.113.9" in refusals[-1].getMessage()
    assert PASSWORD not in caplog.text


def test_the_api_token_and_the_customer_lookup_are_unaffected_by_a_lockout(client: Client, staff: User) -> None:
    output = io.StringIO()
    call_command("api_token", "desk", role="warehouse", stdout=output)
    key = output.getvalue().split(": ", 1)[1].split()[0]
    lock_out(client, "api-desk")  # its user name and this address (127.0.0.1) are locked

    api = Client()
    assert api.get("/api/v1/returns/", HTTP_AUTHORIZATION=f"Token {key}").status_code == 200
    order = OrderFactory()
    found = Client().post("/", {"order_number": order.number, "contact": order.customer.email})
    assert found.status_code == 302


def test_the_limits_come_from_the_environment_and_a_bad_one_is_named() -> None:
    names = ["STAFF_LOGIN_FAILURES", "STAFF_LOGIN_COOLOFF_MINUTES", "STAFF_SESSION_IDLE_MINUTES"]
    show = (
        "from django.conf import settings as s; "
        "print(s.AXES_FAILURE_LIMIT, s.AXES_COOLOFF_TIME, s.STAFF_SESSION_IDLE_MINUTES)"
    )
    assert (
        manage("shell", "-v", "0", "-c", show, **dict(zip(names, ["3", "30", "20"], strict=True))).stdout
        == "3 0:30:00 20\n"
    )
    result = manage("check", **PRODUCTION, **dict.fromkeys(names, "many"))
    assert result.stderr.splitlines() == [
        f"Configuration error: {name} must be a whole number, not 'many'." for name in names
    ]
