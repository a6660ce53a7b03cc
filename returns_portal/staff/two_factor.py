"""Staff's second factor: an authenticator app (TOTP) and ten single-use recovery codes (django-otp).

A password login gives a session that is not yet *verified*; the code from the app
(or a recovery code) verifies it, per session (django-otp keeps the device in the
session). STAFF_TWO_FACTOR says whom that is asked of: "required" — everyone, and
who has no app yet must enrol first; "optional" — only who has enrolled.
Views, the gate middleware, the admin action and the management command all
come here; nothing else creates, confirms or deletes a device.
"""

from __future__ import annotations

import base64
import datetime as dt
import logging
import math
import re
from typing import Literal

import segno
from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.base_user import AbstractBaseUser
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django_otp.models import Device
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

log = logging.getLogger(__name__)

RECOVERY_CODES = 10
APP_DEVICE_NAME = "Authenticator app"
RECOVERY_DEVICE_NAME = "Recovery codes"
# What the app shows is six digits; a recovery code is eight letters and digits 2-7 (base32), never six digits.
APP_CODE = re.compile(r"[0-9]{6}")

Step = Literal["verify", "enrol"]


class CodeRefused(Exception):
    """The code did not verify; the message tells the person at the login why (wrong, or tries paused)."""


class AlreadyEnrolled(Exception):
    """The user has an authenticator app: a second one is added only after an administrator's reset."""


# --- Selectors -------------------------------------------------------------------


def two_factor_required() -> bool:
    return bool(settings.STAFF_TWO_FACTOR == "required")


def two_factor_verified(*, user: object) -> bool:
    """Whether this session entered a second factor (OTPMiddleware put the device that verified it on the user)."""
    return getattr(user, "otp_device", None) is not None


def two_factor_enrolled(*, user: AbstractBaseUser) -> bool:
    return TOTPDevice.objects.filter(user_id=user.pk, confirmed=True).exists()


def two_factor_next_step(*, user: AbstractBaseUser) -> Step | None:
    """What a logged-in but unverified session must do before anything else, if anything."""
    if two_factor_enrolled(user=user):
        return "verify"
    return "enrol" if two_factor_required() else None


def recovery_codes_left(*, user: AbstractBaseUser) -> int:
    return StaticToken.objects.filter(device__user_id=user.pk, device__confirmed=True).count()


# --- Enrolment -------------------------------------------------------------------


def two_factor_enrolment_start(*, user: AbstractBaseUser) -> TOTPDevice:
    """The unconfirmed app device being set up: the same one on every reload, so a scanned QR code stays good."""
    with transaction.atomic():
        _lock(user)
        if two_factor_enrolled(user=user):
            raise AlreadyEnrolled
        device = TOTPDevice.objects.filter(user_id=user.pk, confirmed=False).order_by("pk").first()
        if device is None:
            device = TOTPDevice.objects.create(user=user, name=APP_DEVICE_NAME, confirmed=False)
    return device


def two_factor_enrolment_confirm(*, user: AbstractBaseUser, code: str) -> tuple[TOTPDevice, list[str]]:
    """The first code from the app confirms it; returns the device and the new recovery codes (shown once).

    Raises CodeRefused for a wrong code (the device's throttle counts it: the
    refusal is raised after the transaction, so the count is kept).
    """
    with transaction.atomic():
        _lock(user)
        if two_factor_enrolled(user=user):
            raise AlreadyEnrolled
        device = TOTPDevice.objects.select_for_update().filter(user_id=user.pk, confirmed=False).order_by("pk").first()
        if device is None:  # reset by an administrator while the page was open
            refusal: str | None = _("This set-up was cancelled meanwhile: scan the new QR code below.")
        else:
            refusal = _refusal(device, _normalized(code))
        if device is not None and refusal is None:
            device.confirmed = True
            device.save(update_fields=["confirmed"])
            TOTPDevice.objects.filter(user_id=user.pk, confirmed=False).delete()
            codes = _new_recovery_codes(user)
    if device is None or refusal is not None:
        raise CodeRefused(refusal)
    log.info("Staff user %r set up two-factor authentication", user.get_username())
    return device, codes


def totp_secret(device: TOTPDevice) -> str:
    """The key as the apps take it typed in: base32, in groups of four."""
    secret = base64.b32encode(device.bin_key).decode()
    return " ".join(secret[i : i + 4] for i in range(0, len(secret), 4))


def totp_qr_svg(device: TOTPDevice) -> str:
    """The otpauth:// link as inline SVG markup: no style attribute (the CSP allows none), no XML declaration."""
    qr = segno.make(device.config_url, error="m")
    return str(qr.svg_inline(scale=4, border=2, dark="#000", light="#fff", svgclass="two-factor-qr"))


# --- Verification ----------------------------------------------------------------


def two_factor_verify(*, user: AbstractBaseUser, code: str) -> Device:
    """The device that accepts this code from the app, or this recovery code (which is then used up).

    Six digits go to the app's device, anything else to the recovery codes, so
    a wrong try counts against one device only. The device row is locked:
    one code verifies once, however many requests bring it at the same time.
    """
    code = _normalized(code)
    model: type[TOTPDevice] | type[StaticDevice] = TOTPDevice if APP_CODE.fullmatch(code) else StaticDevice
    with transaction.atomic():
        device = model.objects.select_for_update().filter(user_id=user.pk, confirmed=True).order_by("pk").first()
        refusal = _refusal(device, code) if device is not None else wrong_code()
    if refusal is not None:
        raise CodeRefused(refusal)
    assert device is not None
    return device


def wrong_code() -> str:
    return _("That code is not right. Enter the 6-digit code your app shows now, or one of your recovery codes.")


def _refusal(device: TOTPDevice | StaticDevice, code: str) -> str | None:
    allowed, details = device.verify_is_allowed()
    if not allowed:
        until: dt.datetime = (details or {}).get("locked_until") or timezone.now()
        seconds = max(1, math.ceil((until - timezone.now()).total_seconds()))
        return ngettext(
            "Too many wrong codes in a row: wait %(seconds)d second, then try again.",
            "Too many wrong codes in a row: wait %(seconds)d seconds, then try again.",
            seconds,
        ) % {"seconds": seconds}
    if not device.verify_token(code):
        return wrong_code()
    return None


def _normalized(code: str) -> str:
    """As people type them: with spaces or dashes, in capitals (recovery codes are stored in small letters)."""
    return re.sub(r"[\s-]", "", code).lower()[:32]


def _new_recovery_codes(user: AbstractBaseUser) -> list[str]:
    StaticDevice.objects.filter(user_id=user.pk).delete()
    device = StaticDevice.objects.create(user=user, name=RECOVERY_DEVICE_NAME, confirmed=True)
    codes = [StaticToken.random_token() for _ in range(RECOVERY_CODES)]
    StaticToken.objects.bulk_create(StaticToken(device=device, token=code) for code in codes)
    return codes


# --- Reset -----------------------------------------------------------------------


def two_factor_reset(*, user: AbstractBaseUser, by: str) -> int:
    """Removes the user's app and recovery codes (lost phone); they enrol again at their next login.

    Sessions verified with the removed app are no longer verified (django-otp
    finds no device), so they are asked to enrol, or go on without, by the mode.
    Returns how many devices were removed; `by` names who did it in the log.
    """
    with transaction.atomic():
        _lock(user)
        removed = TOTPDevice.objects.filter(user_id=user.pk).delete()[1].get(TOTPDevice._meta.label, 0)
        removed += StaticDevice.objects.filter(user_id=user.pk).delete()[1].get(StaticDevice._meta.label, 0)
    log.warning("Two-factor authentication of staff user %r reset by %s", user.get_username(), by)
    return removed


def _lock(user: AbstractBaseUser) -> None:
    """Enrolment, confirmation and reset of one user take turns: no two app devices, no lost recovery codes."""
    list(get_user_model().objects.select_for_update().filter(pk=user.pk).values_list("pk"))
