"""Staff logins under attack: who is counted, and what a locked-out login is told.

django-axes counts failed logins in the database (so every web process agrees),
per user name and per client address, and refuses logins for the cool-off after
too many (settings, "Staff logins"). These are the two hooks it calls.
"""

from __future__ import annotations

import datetime as dt
import ipaddress
import logging
import math

from axes.helpers import get_client_parameters, get_client_username, get_cool_off
from axes.models import AccessAttempt
from django.contrib import admin
from django.db.models import Max, Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone

from returns.views.common import client_address

log = logging.getLogger(__name__)


def client_ip(request: HttpRequest) -> str:
    """The address the customer look-up limit counts (TRUSTED_PROXIES), if it is one; else the nearest peer.

    Axes stores it in an IP address column: a forwarded value that is no address
    (a misconfigured proxy count lets the client write it) must not fail the login.
    """
    address = client_address(request)
    try:
        return str(ipaddress.ip_address(address))
    except ValueError:
        return str(request.META.get("REMOTE_ADDR", ""))


def locked_out(
    request: HttpRequest, original_response: HttpResponse | None = None, credentials: dict[str, object] | None = None
) -> HttpResponse:
    """The admin's login look, saying until when logins are refused; 429 with Retry-After."""
    username = get_client_username(request, credentials)
    until = locked_until(request, credentials)
    log.warning(
        "Staff login refused: user %r or address %s is locked out until %s",
        username,
        request.axes_ip_address,  # type: ignore[attr-defined]
        timezone.localtime(until).isoformat(),
    )
    cool_off = get_cool_off(request)
    context = {
        **admin.site.each_context(request),
        "title": "Login paused",
        "until": until,
        "cool_off_minutes": round(cool_off.total_seconds() / 60) if cool_off else None,
        "next": request.POST.get("next", "") or request.GET.get("next", ""),
    }
    response = render(request, "admin/staff_locked_out.html", context, status=429)
    response["Retry-After"] = str(max(1, math.ceil((until - timezone.now()).total_seconds())))
    return response


def locked_until(request: HttpRequest, credentials: dict[str, object] | None) -> dt.datetime:
    """When every failure counted against this user name and this address is past the cool-off.

    The latest counted failure plus the cool-off: the lock may lift a little
    earlier (older failures leave the window first), never later.
    """
    cool_off = get_cool_off(request) or dt.timedelta(0)
    counted = Q()
    for parameters in get_client_parameters(
        get_client_username(request, credentials),
        request.axes_ip_address,  # type: ignore[attr-defined]
        request.axes_user_agent,  # type: ignore[attr-defined]
        request,
        credentials,
    ):
        counted |= Q(**parameters)
    latest = AccessAttempt.objects.filter(counted).aggregate(latest=Max("attempt_time"))["latest"]
    until: dt.datetime = (latest or timezone.now()) + cool_off
    if until.second or until.microsecond:  # told to the minute: round up, so "after 12:16" is never too early
        until = until.replace(second=0, microsecond=0) + dt.timedelta(minutes=1)
    return until
