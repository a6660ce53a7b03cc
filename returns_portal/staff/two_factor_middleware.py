"""Holds a logged-in session that still owes its second factor at the door of every page.

A password login alone is half a login when STAFF_TWO_FACTOR requires a second
factor, or when the user has enrolled one: until the session is verified, every
page (the admin, the support page, the insight dashboard, the API through the
session, and whatever is added later) sends it to enter the code, or to enrol.
Only the two-factor pages themselves and the admin's login and logout stay open.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.contrib.auth.base_user import AbstractBaseUser
from django.contrib.auth.views import redirect_to_login
from django.http import HttpRequest, HttpResponseBase
from django.urls import reverse

from returns_portal.staff.two_factor import two_factor_next_step, two_factor_verified

OPEN_NAMESPACE = "two_factor"
OPEN_VIEWS = {"admin:login", "admin:logout"}


class StaffTwoFactor:
    """After OTPMiddleware (which marks a verified session's user) and the idle timeout (an idle session is gone)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponseBase]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        return self.get_response(request)

    def process_view(
        self, request: HttpRequest, view: Callable[..., Any], args: tuple[Any, ...], kwargs: dict[str, Any]
    ) -> HttpResponseBase | None:
        if settings.SESSION_COOKIE_NAME not in request.COOKIES:  # no session, no login: read nothing
            return None
        match = request.resolver_match
        if match is None or match.namespace == OPEN_NAMESPACE or match.view_name in OPEN_VIEWS:
            return None
        user = request.user
        if not isinstance(user, AbstractBaseUser) or two_factor_verified(user=user):  # anonymous, or verified
            return None
        step = two_factor_next_step(user=user)
        if step is None:
            return None
        return redirect_to_login(request.get_full_path(), reverse(f"{OPEN_NAMESPACE}:{step}"))
