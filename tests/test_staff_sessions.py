"""Staff sessions: they end after a while without activity, and a password change logs out every other one."""

from __future__ import annotations

import datetime as dt

import pytest
from django.contrib.auth.models import User
from django.test import Client

from tests.returns.test_customer_flow import choose, order_with

pytestmark = pytest.mark.django_db

PASSWORD = "a long staff passphrase"
NEW_PASSWORD = "another long passphrase"


@pytest.fixture
def staff(django_user_model: type[User]) -> User:
    return django_user_model.objects.create_superuser("chief", password=PASSWORD)


def logged_in(username: str = "chief", password: str = PASSWORD) -> Client:
    client = Client()
    assert client.post("/admin/login/", {"username": username, "password": password}).status_code == 302
    return client


def test_an_idle_staff_session_ends_after_the_configured_minutes(staff: User, clock) -> None:
    client = logged_in()
    assert client.get("/admin/").status_code == 200
    clock.shift(dt.timedelta(minutes=60, seconds=1))
    response = client.get("/admin/", follow=True)
    assert response.redirect_chain == [("/admin/login/?next=/admin/", 302)]
    assert "You were logged out after 60 minutes without activity." in response.content.decode()
    assert client.get("/admin/").status_code == 302  # for good, not for one request


def test_an_active_staff_session_lives_on(staff: User, clock) -> None:
    client = logged_in()
    for _ in range(5):  # four hours, never an hour without a request
        clock.shift(dt.timedelta(minutes=50))
        assert client.get("/admin/").status_code == 200


def test_the_idle_time_is_a_setting_and_also_ends_the_api_session(staff: User, clock, settings) -> None:
    settings.STAFF_SESSION_IDLE_MINUTES = 5
    client = logged_in()
    assert client.get("/api/v1/returns/").status_code == 200
    clock.shift(dt.timedelta(minutes=6))
    assert client.get("/api/v1/returns/").status_code in (401, 403)


def test_a_customers_return_in_the_making_outlives_the_staff_idle_time(client: Client, clock) -> None:
    order = order_with("499")
    line = order.lines.get()
    assert choose(client, order, {line.id: (1, "too_small")}).status_code == 302  # kept in the session
    clock.shift(dt.timedelta(hours=5))
    assert choose(client, order, {line.id: (1, "too_small")}).status_code == 302  # the session is still there


def test_a_cached_customer_page_reads_no_session(client: Client, django_assert_num_queries) -> None:
    client.get("/")
    with django_assert_num_queries(0):
        response = client.get("/")
    assert response.status_code == 200
    assert "sessionid" not in response.cookies


def test_changing_the_password_logs_out_every_other_session_and_keeps_this_one(staff: User) -> None:
    here, elsewhere = logged_in(), logged_in()
    changed = here.post(
        "/admin/password_change/",
        {"old_password": PASSWORD, "new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD},
    )
    assert changed.status_code == 302
    assert here.get("/admin/").status_code == 200
    assert elsewhere.get("/admin/").status_code == 302
    assert logged_in(password=NEW_PASSWORD).get("/admin/").status_code == 200


def test_an_admin_setting_someones_password_logs_them_out_everywhere(
    staff: User, django_user_model: type[User]
) -> None:
    django_user_model.objects.create_user("warehouse", password=PASSWORD, is_staff=True)
    theirs, mine = logged_in("warehouse"), logged_in()
    user = django_user_model.objects.get(username="warehouse")
    changed = mine.post(f"/admin/auth/user/{user.pk}/password/", {"password1": NEW_PASSWORD, "password2": NEW_PASSWORD})
    assert changed.status_code == 302
    assert theirs.get("/admin/").status_code == 302
    assert mine.get("/admin/").status_code == 200

    own = mine.post(
        f"/admin/auth/user/{staff.pk}/password/", {"password1": PASSWORD + "!", "password2": PASSWORD + "!"}
    )
    assert own.status_code == 302
    assert mine.get("/admin/").status_code == 200  # the admin's own session is kept (update_session_auth_hash)
