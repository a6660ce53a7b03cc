"""Error pages: the API answers in JSON even for a URL that matches nothing; people get HTML.

A failure is a page in the customer's language with the portal's look, never a traceback: 503
(come back in a minute) when the database cannot be reached, as during its restart, 500 otherwise.
"""

from __future__ import annotations

import sys
from collections.abc import Callable

from django.conf import settings
from django.db import InterfaceError, OperationalError
from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest, JsonResponse
from django.template import loader
from django.utils import translation
from django.views import defaults
from django.views.defaults import page_not_found

from returns_portal.core.context_processors import PORTAL_LANGUAGES

# Seconds a client or proxy is told to wait after a 503: a database restart takes a few.
RETRY_AFTER_SECONDS = 10


def not_found(request: HttpRequest, exception: Exception) -> HttpResponse:
    if request.path.startswith("/api/"):
        return JsonResponse({"detail": "Not found."}, status=404)
    return page_not_found(request, exception)


def server_error(request: HttpRequest) -> HttpResponse:
    """`handler500`: the friendly page for whatever went wrong (503 when the database is out of reach)."""
    return _failure(request, unavailable=_database_unreachable(sys.exc_info()[1]))


def bad_request(request: HttpRequest, exception: Exception) -> HttpResponse:
    """`handler400`: a session that could not be saved because the database went away (Django calls
    it "interrupted") is that outage, not the customer's mistake: the same 503 as any other request."""
    if _database_unreachable(exception):
        return _failure(request, unavailable=True)
    return defaults.bad_request(request, exception)


def _failure(request: HttpRequest, *, unavailable: bool) -> HttpResponse:
    status = 503 if unavailable else 500
    if request.path.startswith("/api/"):
        response: HttpResponse = JsonResponse({"detail": _api_detail(unavailable)}, status=status)
    else:
        response = HttpResponse(_error_page(request, unavailable=unavailable), status=status)
    if unavailable:
        response["Retry-After"] = str(RETRY_AFTER_SECONDS)
    return response


def _database_unreachable(error: BaseException | None) -> bool:
    """A refused, lost or closed connection (or another passing trouble such as a deadlock), not a bad
    query, here or anywhere in what led to `error`: trying again shortly will work, so the answer is 503."""
    while error is not None:
        if isinstance(error, OperationalError | InterfaceError):
            return True
        error = error.__cause__ or error.__context__
    return False


def _api_detail(unavailable: bool) -> str:
    return "Temporarily unavailable; try again shortly." if unavailable else "Server error."


def _error_page(request: HttpRequest, *, unavailable: bool) -> str:
    """Rendered from the request's language cookie or Accept-Language and plain settings, with no
    context processor: the session, the user and the flash messages may all need the database
    that is down."""
    language = translation.get_language_from_request(request)
    with translation.override(language):
        context = {
            "request": request,
            "unavailable": unavailable,
            "retry_after": RETRY_AFTER_SECONDS,
            "shop_name": settings.SHOP_NAME,
            "portal_languages": PORTAL_LANGUAGES,
        }
        return loader.get_template("500.html").render(context)


class RejectNulBytes:
    """A NUL byte in the path or the query string is never meant: answer 400 before a view passes it
    to PostgreSQL, which refuses NUL in text (and would make it a 500)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if "\x00" in request.path or _nul_in_query(request):
            if request.path.startswith("/api/"):
                return JsonResponse({"detail": "The address contains a NUL character."}, status=400)
            return HttpResponseBadRequest("The address contains a NUL character.")
        return self.get_response(request)


def _nul_in_query(request: HttpRequest) -> bool:
    return any("\x00" in key or any("\x00" in value for value in values) for key, values in request.GET.lists())
