"""Staff sessions end after STAFF_SESSION_IDLE_MINUTES without a request.

Only logged-in sessions are looked at. A customer's session (the return being put
together, returns.views.flow) keeps Django's lifetime and is never written here,
and a request without a session cookie (the cached customer pages) passes
without reading any session at all.
"""

from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.base_user import AbstractBaseUser
from django.http import HttpRequest, HttpResponseBase
from django.urls import reverse
from django.utils import timezone

LAST_SEEN = "staff_last_seen"
# The last request's time is written at most this often: a session write a minute, not one per
# request (a page of photo thumbnails is a dozen). A session may so end up to this much early.
TOUCH_SECONDS = 60


def start_idle_clock(sender: object, request: HttpRequest, user: AbstractBaseUser, **kwargs: object) -> None:
    """Receiver of user_logged_in: the login saves the session anyway, so the first page after it need not."""
    request.session[LAST_SEEN] = _now()


class StaffIdleTimeout:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponseBase]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        idle_seconds = settings.STAFF_SESSION_IDLE_MINUTES * 60
        if idle_seconds > 0 and settings.SESSION_COOKIE_NAME in request.COOKIES and request.user.is_authenticated:
            now = _now()
            last_seen = request.session.get(LAST_SEEN)
            if last_seen is not None and now - last_seen > idle_seconds:
                logout(request)
                if _staff_page(request):
                    messages.info(
                        request,
                        f"You were logged out after {settings.STAFF_SESSION_IDLE_MINUTES} minutes without activity.",
                    )
            elif last_seen is None or now - last_seen >= TOUCH_SECONDS:  # None: a session from before this check
                request.session[LAST_SEEN] = now
        return self.get_response(request)


def _now() -> int:
    return int(timezone.now().timestamp())


def _staff_page(request: HttpRequest) -> bool:
    """Pages that send a logged-out user to the admin's login, where the note is shown (not customer pages)."""
    return request.path_info.startswith((reverse("admin:index"), reverse("support:search")))
