"""Staff's second factor, from the outside: enrolment, the code at login, recovery codes, reset, and what it blocks."""

from __future__ import annotations

import base64
import datetime as dt
import html
import io
import logging
import re
import threading

import pytest
from axes.models import AccessAttempt
from django.contrib.admin.models import LogEntry
from django.contrib.auth.models import User
from django.core.management import CommandError, call_command
from django.db import connection
from django.http import HttpResponse
from django.test import Client
from django_otp.oath import totp
from django_otp.plugins.otp_static.models import StaticDevice
from django_otp.plugins.otp_totp.models import TOTPDevice

from tests.test_settings import PRODUCTION, manage

pytestmark = pytest.mark.django_db

PASSWORD = "a long staff passphrase"
NEW_PASSWORD = "another long passphrase"
ENROL = "/admin/two-factor/enrol/"
VERIFY = "/admin/two-factor/"
WRONG = "That code is not right."
STAFF_PAGES = ["/admin/", "/admin/returns/returnrequest/", "/support/", "/admin/insight/", "/api/v1/returns/"]


@pytest.fixture
def required(settings) -> None:
    settings.STAFF_TWO_FACTOR = "required"


@pytest.fixture
def chief(django_user_model: type[User]) -> User:
    return django_user_model.objects.create_superuser("chief", password=PASSWORD)


def logged_in(username: str = "chief", password: str = PASSWORD, next_url: str = "/admin/") -> Client:
    """A client past the password step (not yet past the second one)."""
    client = Client()
    response = client.post("/admin/login/", {"username": username, "password": password, "next": next_url})
    assert response.status_code == 302, response.content.decode()
    return client


def code_now(secret: str) -> str:
    return f"{totp(base64.b32decode(secret.replace(' ', ''))):06d}"


def secret_on(page: HttpResponse) -> str:
    found = re.search(r'<code id="two-factor-secret">([A-Z2-7 ]+)</code>', page.content.decode())
    assert found, page.content.decode()
    return found.group(1)


def enrolled(client: Client) -> tuple[str, list[str]]:
    """Enrols this client's user through the pages; returns the app's secret and the recovery codes."""
    secret = secret_on(client.get(ENROL))
    shown = client.post(ENROL, {"code": code_now(secret), "next": "/admin/"}, follow=True)
    codes = re.findall(r"<li><code>([a-z2-7]{8})</code></li>", shown.content.decode())
    assert len(codes) == 10
    return secret, codes


def verify(client: Client, code: str, next_url: str = "/admin/") -> HttpResponse:
    return client.post(VERIFY, {"code": code, "next": next_url})


def errors(page: HttpResponse) -> str:
    return " ".join(
        html.unescape(e) for e in re.findall(r'<p class="errornote">(.*?)</p>', page.content.decode(), re.S)
    )


# --- Required ----------------------------------------------------------------------


def test_required_a_staff_user_without_an_app_is_sent_to_enrol_from_every_staff_page(chief: User, required) -> None:
    client = logged_in()
    for page in STAFF_PAGES:
        response = client.get(page)
        assert response.status_code == 302, page
        assert response["Location"].startswith(f"{ENROL}?next="), page
    changed = client.post(
        "/admin/password_change/",
        {"old_password": PASSWORD, "new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD},
    )
    assert changed["Location"].startswith(ENROL)  # a password alone changes nothing, not even the password
    chief.refresh_from_db()
    assert chief.check_password(PASSWORD)


def test_the_enrolment_page_shows_a_qr_code_as_inline_svg_and_the_key_to_type(chief: User, required) -> None:
    page = logged_in().get(ENROL)
    content = page.content.decode()
    assert page.status_code == 200
    assert '<svg width="' in content and 'class="two-factor-qr"' in content
    assert "data:" not in content
    assert "no-store" in page["Cache-Control"]
    device = TOTPDevice.objects.get(user=chief)
    assert secret_on(page).replace(" ", "") == base64.b32encode(device.bin_key).decode()
    assert not device.confirmed
    assert "admin/css/login.css" in content and "Returns portal" in content  # the admin's look


def test_enrolment_with_a_wrong_code_is_refused_and_leaves_the_user_unenrolled(chief: User, required, clock) -> None:
    client = logged_in()
    secret = secret_on(client.get(ENROL))
    refused = client.post(ENROL, {"code": "000000" if code_now(secret) != "000000" else "111111"})
    assert refused.status_code == 200
    assert WRONG in errors(refused)
    assert secret_on(refused) == secret  # the same key: the app already scanned stays good
    assert not TOTPDevice.objects.filter(user=chief, confirmed=True).exists()
    assert client.get("/admin/")["Location"].startswith(ENROL)

    too_fast = client.post(ENROL, {"code": code_now(secret)})
    assert "Too many wrong codes in a row: wait 1 second, then try again." in errors(too_fast)
    clock.shift(dt.timedelta(seconds=1))
    assert client.post(ENROL, {"code": code_now(secret)}).status_code == 302


def test_enrolment_with_the_right_code_shows_ten_recovery_codes_once_and_opens_the_admin(chief: User, required) -> None:
    client = logged_in(next_url="/support/")
    secret = secret_on(client.get(f"{ENROL}?next=/support/"))
    confirmed = client.post(ENROL, {"code": code_now(secret), "next": "/support/"})
    assert confirmed.status_code == 302
    shown = client.get(confirmed["Location"])
    codes = re.findall(r"<li><code>([a-z2-7]{8})</code></li>", shown.content.decode())
    assert len(set(codes)) == 10
    assert 'href="/support/"' in shown.content.decode()  # on to where the login was headed
    again = client.get(confirmed["Location"]).content.decode()
    assert not any(code in again for code in codes)
    assert "were shown once" in again
    for page in STAFF_PAGES:
        assert client.get(page).status_code == 200, page
    assert client.get(ENROL)["Location"] == "/admin/"  # enrolled: no second app without a reset


def test_at_the_next_login_the_code_is_asked_and_a_wrong_one_gets_a_clear_message(chief: User, required, clock) -> None:
    secret, _codes = enrolled(logged_in())
    clock.shift(dt.timedelta(seconds=30))  # the app's next code: one code never works twice
    client = logged_in(next_url="/admin/insight/")
    asked = client.get("/admin/insight/")
    assert asked["Location"] == f"{VERIFY}?next=/admin/insight/"
    assert "Code from your authenticator app" in client.get(asked["Location"]).content.decode()
    assert client.get(ENROL)["Location"] == "/admin/"  # the password alone cannot enrol another app...
    assert TOTPDevice.objects.filter(user=chief).count() == 1
    assert client.get("/admin/")["Location"].startswith(VERIFY)  # ...nor open anything

    refused = verify(client, "123456" if code_now(secret) != "123456" else "654321", "/admin/insight/")
    assert refused.status_code == 200
    assert WRONG in errors(refused)
    clock.shift(dt.timedelta(seconds=1))
    accepted = verify(client, code_now(secret), "/admin/insight/")
    assert accepted["Location"] == "/admin/insight/"
    assert client.get("/admin/insight/").status_code == 200


def test_a_code_from_the_app_works_once(chief: User, required, clock) -> None:
    secret, _codes = enrolled(logged_in())
    clock.shift(dt.timedelta(seconds=30))
    code = code_now(secret)
    assert verify(logged_in(), code)["Location"] == "/admin/"
    replayed = verify(logged_in(), code)
    assert WRONG in errors(replayed)


def test_a_recovery_code_works_once(chief: User, required, clock) -> None:
    _secret, codes = enrolled(logged_in())
    client = logged_in()
    used = verify(client, f" {codes[3].upper()[:4]}-{codes[3].upper()[4:]} ")  # as people type them
    assert used["Location"] == "/admin/"
    assert "You used a recovery code; 9 are left." in client.get("/admin/").content.decode()
    again = logged_in()
    assert WRONG in errors(verify(again, codes[3]))
    clock.shift(dt.timedelta(seconds=1))
    assert verify(again, codes[4])["Location"] == "/admin/"


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_one_recovery_code_brought_by_two_logins_at_once_lets_one_in(
    django_user_model: type[User], required, migration_data
) -> None:
    django_user_model.objects.create_superuser("chief", password=PASSWORD)
    _secret, codes = enrolled(logged_in())
    clients = [logged_in(), logged_in()]
    start = threading.Barrier(len(clients))
    answers: list[str] = []

    def bring(client: Client) -> None:
        start.wait()
        try:
            answers.append(verify(client, codes[0]).get("Location", "refused"))
        finally:
            connection.close()

    threads = [threading.Thread(target=bring, args=(client,)) for client in clients]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(answers) == ["/admin/", "refused"]
    assert [client.get("/admin/").status_code for client in clients].count(200) == 1
    assert StaticDevice.objects.get().token_set.count() == 9


def test_wrong_codes_count_toward_the_login_lockout(chief: User, required, clock) -> None:
    enrolled(logged_in())
    client = logged_in()
    for tries in range(1, 5):
        clock.shift(dt.timedelta(seconds=2**tries))  # past django-otp's own pause after each wrong code
        assert WRONG in errors(verify(client, "abcdefgh"))
    clock.shift(dt.timedelta(seconds=32))
    locked = verify(client, "abcdefgh")
    assert locked.status_code == 429
    assert "Try again after" in locked.content.decode()
    assert client.get("/admin/")["Location"].startswith("/admin/login/")  # logged out: the password again
    assert Client().post("/admin/login/", {"username": "chief", "password": PASSWORD}).status_code == 429
    assert "abcdefgh" not in AccessAttempt.objects.get(username="chief").post_data  # a code may be a recovery code


def test_the_idle_timeout_ends_a_verified_session_and_the_next_login_asks_for_the_code(
    chief: User, required, clock
) -> None:
    client = logged_in()
    enrolled(client)
    assert client.get("/admin/").status_code == 200
    clock.shift(dt.timedelta(minutes=60, seconds=1))
    assert client.get("/admin/")["Location"] == "/admin/login/?next=/admin/"
    client.post("/admin/login/", {"username": "chief", "password": PASSWORD})
    assert client.get("/admin/")["Location"].startswith(VERIFY)


def test_a_next_address_elsewhere_is_not_followed(chief: User, required, clock) -> None:
    secret, _codes = enrolled(logged_in())
    clock.shift(dt.timedelta(seconds=30))
    assert verify(logged_in(), code_now(secret), "https://evil.example/")["Location"] == "/admin/"


def test_changing_the_password_logs_out_every_other_verified_session_and_keeps_this_one(
    chief: User, required, clock
) -> None:
    secret, _codes = enrolled(here := logged_in())
    clock.shift(dt.timedelta(seconds=30))
    elsewhere = logged_in()
    verify(elsewhere, code_now(secret))
    assert elsewhere.get("/admin/").status_code == 200
    changed = here.post(
        "/admin/password_change/",
        {"old_password": PASSWORD, "new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD},
    )
    assert changed["Location"] == "/admin/password_change/done/"
    assert here.get("/admin/").status_code == 200  # still logged in, still verified
    assert elsewhere.get("/admin/")["Location"] == "/admin/login/?next=/admin/"


# --- Optional ----------------------------------------------------------------------


def test_optional_a_user_without_an_app_goes_in_and_may_enrol_from_the_user_tools(chief: User, clock) -> None:
    client = logged_in()
    admin_page = client.get("/admin/").content.decode()
    assert f'<a href="{ENROL}">Set up two-factor authentication</a>' in admin_page
    assert client.get("/support/").status_code == 200
    secret, _codes = enrolled(client)
    assert "Set up two-factor authentication" not in client.get("/admin/").content.decode()

    clock.shift(dt.timedelta(seconds=30))
    later = logged_in()
    assert later.get("/admin/")["Location"].startswith(VERIFY)  # once enrolled, the code is asked
    assert verify(later, code_now(secret))["Location"] == "/admin/"


def test_optional_the_enrolment_can_be_left_for_later(chief: User) -> None:
    client = logged_in()
    page = client.get(ENROL).content.decode()
    assert "Not now: back to the admin" in page
    assert client.get("/admin/").status_code == 200


# --- Reset -------------------------------------------------------------------------


def test_the_reset_command_removes_the_app_and_the_codes_and_is_logged(
    chief: User, required, caplog: pytest.LogCaptureFixture
) -> None:
    verified = logged_in()
    enrolled(verified)
    output = io.StringIO()
    with caplog.at_level(logging.WARNING):
        call_command("reset_two_factor", "chief", stdout=output)
    assert "reset" in output.getvalue()
    assert not TOTPDevice.objects.filter(user=chief).exists()
    assert not StaticDevice.objects.filter(user=chief).exists()
    assert "Two-factor authentication of staff user 'chief' reset by manage.py reset_two_factor" in caplog.text
    assert verified.get("/admin/")["Location"].startswith(ENROL)  # the session verified by the old app is not
    assert logged_in().get("/admin/")["Location"].startswith(ENROL)
    with pytest.raises(CommandError, match="There is no user 'nobody'"):
        call_command("reset_two_factor", "nobody", stdout=io.StringIO())


def test_an_admin_resets_a_users_second_factor_from_the_users_list(
    chief: User, django_user_model: type[User], required, clock, caplog: pytest.LogCaptureFixture
) -> None:
    django_user_model.objects.create_user("warehouse", password=PASSWORD, is_staff=True)
    enrolled(logged_in("warehouse"))
    clock.shift(dt.timedelta(seconds=30))
    admin = logged_in()
    enrolled(admin)
    warehouse = django_user_model.objects.get(username="warehouse")
    column = re.findall(r'class="field-two_factor"><img [^>]*alt="(True|False)"', admin.get("/admin/auth/user/").text)
    assert column == ["True", "True"]
    with caplog.at_level(logging.WARNING):
        done = admin.post(
            "/admin/auth/user/", {"action": "reset_two_factor", "_selected_action": [warehouse.pk]}, follow=True
        )
    assert "Two-factor authentication reset for 1 user" in done.content.decode()
    assert not TOTPDevice.objects.filter(user=warehouse).exists()
    assert TOTPDevice.objects.filter(user=chief, confirmed=True).exists()
    assert "reset by admin 'chief'" in caplog.text
    assert LogEntry.objects.get(object_id=str(warehouse.pk)).change_message.startswith("Reset two-factor")


# --- Production ------------------------------------------------------------------------


def test_production_requires_two_factor_and_warns_when_it_is_made_optional() -> None:
    show = "from django.conf import settings as s; print(s.STAFF_TWO_FACTOR)"
    assert manage("shell", "-v", "0", "-c", show, **PRODUCTION).stdout == "required\n"
    assert manage("shell", "-v", "0", "-c", show).stdout == "optional\n"  # development: the demo users log in
    optional = manage("check", "--deploy", **PRODUCTION, STAFF_TWO_FACTOR="optional")
    assert "staff.W001" in optional.stderr and "STAFF_TWO_FACTOR is 'optional' in production" in optional.stderr
    wrong = manage("check", **PRODUCTION, STAFF_TWO_FACTOR="sometimes")
    assert wrong.stderr.strip() == (
        "Configuration error: STAFF_TWO_FACTOR must be one of required, optional, not 'sometimes'."
    )
