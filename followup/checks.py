"""Start-up checks of what follow-ups need to reach people: the send task, the portal's address, e-mail.

A wrong setting here would show first as an e-mail that never leaves, or one whose links lead
nowhere; `manage.py check` names it before any customer confirms a return.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from celery import current_app
from django.conf import settings
from django.core import checks
from django.core.exceptions import ValidationError
from django.core.validators import validate_email

from followup.outbox import SEND_TASK

# Backends that keep mail on this machine or drop it: fine to try the portal, wrong for customers.
NOT_DELIVERING = {
    "django.core.mail.backends.console.EmailBackend",
    "django.core.mail.backends.dummy.EmailBackend",
    "django.core.mail.backends.filebased.EmailBackend",
    "django.core.mail.backends.locmem.EmailBackend",
}


@checks.register()
def send_task_registered(app_configs: Any, **kwargs: Any) -> list[checks.CheckMessage]:
    """The outbox queues its send task by name; without the task every message would wait for nothing."""
    if SEND_TASK in current_app.tasks:
        return []
    return [
        checks.Error(
            f"The Celery task {SEND_TASK!r} that sends the outbox is not registered.",
            hint="FollowupConfig.ready() imports followup.tasks; keep that import and the task's name.",
            id="followup.E001",
        )
    ]


@checks.register()
def portal_url(app_configs: Any, **kwargs: Any) -> list[checks.CheckMessage]:
    """E-mails link to status pages, surveys and unsubscribe pages from PORTAL_URL."""
    url = getattr(settings, "PORTAL_URL", "")
    parts = urlsplit(url) if isinstance(url, str) else None
    if parts is None or parts.scheme not in ("http", "https") or not parts.hostname:
        return [
            checks.Error(
                f"PORTAL_URL = {url!r} is not an absolute http(s) address.",
                hint="Set PORTAL_URL to the portal's public address, like 'https://returns.shop.example'.",
                id="followup.E002",
            )
        ]
    if settings.PRODUCTION and parts.scheme != "https":
        return [
            checks.Error(
                f"PORTAL_URL = {url!r} is plain http in production: customers' links would travel unencrypted.",
                hint="Serve the portal over https and set PORTAL_URL to its https:// address.",
                id="followup.E003",
            )
        ]
    return []


@checks.register()
def email_settings(app_configs: Any, **kwargs: Any) -> list[checks.CheckMessage]:
    """Mail from a real address; in production through a backend that delivers it."""
    errors: list[checks.CheckMessage] = []
    if settings.PRODUCTION and settings.EMAIL_BACKEND in NOT_DELIVERING:
        errors.append(
            checks.Error(
                f"EMAIL_BACKEND is {settings.EMAIL_BACKEND!r} in production: no customer would get an e-mail.",
                hint="Set EMAIL_URL to the mail server, like 'smtp+tls://user:password@smtp.example.com:587'.",
                id="followup.E004",
            )
        )
    try:
        validate_email(settings.DEFAULT_FROM_EMAIL)
    except ValidationError:
        errors.append(
            checks.Error(
                f"DEFAULT_FROM_EMAIL = {settings.DEFAULT_FROM_EMAIL!r} is not an e-mail address.",
                hint="Set DEFAULT_FROM_EMAIL to the bare address e-mails come from, like 'returns@shop.example'; "
                "the shop's name is added to it.",
                id="followup.E005",
            )
        )
    return errors
