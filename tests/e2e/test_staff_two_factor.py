"""A staff member sets up two-factor authentication in a real browser, then logs in with the app's code."""

from __future__ import annotations

import base64
import datetime as dt
import io
import re

import pytest
import zxingcpp
from django.contrib.auth.models import User
from django_otp.oath import totp
from PIL import Image
from playwright.sync_api import expect

pytestmark = pytest.mark.django_db(transaction=True)

PASSWORD = "a long staff passphrase"


def code_now(secret: str) -> str:
    return f"{totp(base64.b32decode(secret.replace(' ', ''))):06d}"


def log_in(page, url: str) -> None:
    page.goto(url + "/admin/login/?next=/support/")
    page.fill("#id_username", "chief")
    page.fill("#id_password", PASSWORD)
    page.click("input[type=submit]")


def test_staff_enrol_with_the_qr_page_and_then_log_in_with_the_code(
    live_server, page, shots, migration_data, settings, clock
) -> None:
    settings.STAFF_TWO_FACTOR = "required"
    User.objects.create_superuser("chief", password=PASSWORD)

    log_in(page, live_server.url)
    expect(page).to_have_url(re.compile(r"/admin/two-factor/enrol/\?next=/support/$"))
    expect(page.locator("h1")).to_have_text("Set up two-factor authentication")
    expect(page.locator(".two-factor-qr svg")).to_be_visible()
    shots(page, "enrol")
    secret = page.inner_text("#two-factor-secret")
    scanned = zxingcpp.read_barcodes(Image.open(io.BytesIO(page.locator(".two-factor-qr svg").screenshot())))
    assert [code.text for code in scanned] == [
        f"otpauth://totp/Nordv%C3%A4st%20Outfitters%3Achief?secret={secret.replace(' ', '')}"
        "&algorithm=SHA1&digits=6&period=30&issuer=Nordv%C3%A4st%20Outfitters"
    ]

    page.fill("#id_code", "000000" if code_now(secret) != "000000" else "111111")
    page.click("input[type=submit][value=Confirm]")
    expect(page.locator(".errornote")).to_contain_text("That code is not right.")
    clock.shift(dt.timedelta(seconds=1))  # django-otp pauses a second after a wrong code
    page.fill("#id_code", code_now(secret))
    page.click("input[type=submit][value=Confirm]")
    expect(page.locator("h1")).to_have_text("Your recovery codes")
    expect(page.locator(".two-factor-codes li")).to_have_count(10)
    shots(page, "recovery-codes")
    page.click("text=Continue to the admin")
    expect(page).to_have_url(re.compile(r"/support/$"))
    expect(page.locator("#q")).to_be_visible()

    page.click("#logout-form button")
    clock.shift(dt.timedelta(seconds=30))  # the app's next code: a code works once
    log_in(page, live_server.url)
    expect(page).to_have_url(re.compile(r"/admin/two-factor/\?next=/support/$"))
    expect(page.locator("label[for=id_code]")).to_contain_text("Code from your authenticator app")
    shots(page, "verify")
    page.fill("#id_code", code_now(secret))
    page.click("input[type=submit][value=Verify]")
    expect(page).to_have_url(re.compile(r"/support/$"))
    expect(page.locator("#q")).to_be_visible()
