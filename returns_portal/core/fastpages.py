"""Cached customer pages answered before the middleware for sessions and signed-in users.

After a sale most requests are shareable GETs of a cached page (`pagecache`): no session, no user,
no flash messages. Such a request, when its view answered the same request from the cache lately
(`pagecache.shared_page`), is answered here, early in MIDDLEWARE: it passes through the middleware
after this one except those in `SESSION_AND_USER`, which have nothing to do without a session, in
the same order as the normal way. So the language, the CSRF cookie and every header come from the
very middleware that sets them there (those before this one, security and CSP, run for both).
Everything else, and a page the cache no longer holds, goes the normal way.
"""

from __future__ import annotations

from collections.abc import Callable
from contextlib import suppress

from django.conf import settings
from django.core.exceptions import MiddlewareNotUsed
from django.http import HttpRequest, HttpResponseBase
from django.utils.module_loading import import_string

from returns_portal.core import pagecache

Handler = Callable[[HttpRequest], HttpResponseBase]

SESSION_AND_USER = frozenset(
    {
        "django.contrib.sessions.middleware.SessionMiddleware",
        "django.contrib.auth.middleware.AuthenticationMiddleware",
        "django_otp.middleware.OTPMiddleware",
        "django.contrib.messages.middleware.MessageMiddleware",
        "returns_portal.staff.sessions.StaffIdleTimeout",
        "returns_portal.staff.two_factor_middleware.StaffTwoFactor",
        "axes.middleware.AxesMiddleware",
    }
)


class FastPages:
    """Place it right after WhiteNoise, before SessionMiddleware."""

    def __init__(self, get_response: Handler) -> None:
        self.get_response = get_response
        self.answer = _chain(_page_middleware(), _page_response)

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        html = pagecache.shared_page(request)
        if html is None:
            return self.get_response(request)
        request.shared_page = html  # type: ignore[attr-defined]
        return self.answer(request)


def _page_middleware() -> list[str]:
    """The middleware after this one that a shareable page goes through, in the settings' order."""
    names = list(settings.MIDDLEWARE)
    after = names[names.index(f"{__name__}.{FastPages.__name__}") + 1 :]
    return [name for name in after if name not in SESSION_AND_USER]


def _chain(names: list[str], innermost: Handler) -> Handler:
    """The middleware around `innermost`, as Django's handler nests them (their process_view hooks do
    not run: no view does)."""
    handler = innermost
    for name in reversed(names):
        with suppress(MiddlewareNotUsed):  # as Django's handler leaves it out
            handler = import_string(name)(handler)
    return handler


def _page_response(request: HttpRequest) -> HttpResponseBase:
    return pagecache.page_response(request, request.shared_page)  # type: ignore[attr-defined]
