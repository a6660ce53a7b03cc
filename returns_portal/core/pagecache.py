"""Rendered customer pages kept in the cache: after a sale everyone returns at once.

A page is rendered once per key (page, language, ...) with a placeholder where
the CSRF token goes; each response gets its own token put in its place, so
forms keep working. Requests that carry a session or flash messages are
rendered fresh, since their pages differ. Whoever changes what a page shows
forgets its keys (`forget`).

Each process also remembers which key a shareable request was answered with
(`shared_page`): the same request again (same path, query string, language
cookie and Accept-Language) is then answered by `core.fastpages` before the
middleware for sessions and users, and before the view. So a page's key may
depend on nothing else of the request, and the view may add nothing to the
response that `page_response` builds.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable

from django.conf import settings
from django.core.cache import cache
from django.http import HttpRequest, HttpResponse
from django.middleware.csrf import get_token
from django.utils.cache import patch_vary_headers

CSRF_PLACEHOLDER = "__csrf_token_placeholder__"
PAGE_SECONDS = 600
PERSONAL_COOKIES = ("messages", settings.SESSION_COOKIE_NAME)


def page_key(page: str, *parts: object, language: str) -> str:
    return ":".join(["page", page, *(str(part) for part in parts), language])


def page_keys(page: str, *parts: object) -> list[str]:
    """Every language variant of one page's key ("default": the order's language, no choice made)."""
    languages = ["default", *(code for code, _name in settings.LANGUAGES)]
    return [page_key(page, *parts, language=language) for language in languages]


def chosen_language(request: HttpRequest) -> str:
    """The key's language for pages that follow the order's language until the customer picks one."""
    return request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME) or "default"


def shareable(request: HttpRequest) -> bool:
    """The same page for everyone who asks like this: a GET with no session and no flash messages."""
    return request.method == "GET" and not any(name in request.COOKIES for name in PERSONAL_COOKIES)


# Pages the same for every customer (start, policy) are also kept a few seconds in the process,
# sparing a trip to Redis; another machine sees a policy change at most this late.
LOCAL_SECONDS = 5.0
_local: dict[str, tuple[float, str]] = {}


def from_cache(request: HttpRequest, key: str, *, local: bool = False) -> HttpResponse | None:
    if not shareable(request):
        return None
    html = _cached_html(key, local=local)
    return None if html is None else _shared_response(request, key, html, local=local)


def _cached_html(key: str, *, local: bool) -> str | None:
    html = _local_get(key) if local else None
    if html is None:
        html = cache.get(key)
        if html is not None and local:
            _local[key] = (time.monotonic() + LOCAL_SECONDS, html)
    return html


def _local_get(key: str) -> str | None:
    expires, html = _local.get(key, (0.0, ""))
    return html if expires > time.monotonic() else None


def page_response(request: HttpRequest, html: str) -> HttpResponse:
    """The cached page with this response's own CSRF token (`get_token` also has the CSRF cookie set).
    A page without a form (the policy) makes no token: a fresh one costs more than the rest of the answer."""
    if CSRF_PLACEHOLDER in html:
        html = html.replace(CSRF_PLACEHOLDER, get_token(request))
    response = HttpResponse(html)
    patch_vary_headers(response, ("Cookie",))  # the language cookie chooses the page, token or not
    return response


# Which key answered a shareable request, by the parts of the request a key may depend on. Kept a minute
# (a status link's expiry is checked by its view at most this late) and per process, like `_local`.
REQUEST_SECONDS = 60.0
MAX_REQUESTS = 10_000
_keys: dict[tuple[str, str, str, str], tuple[float, str, bool]] = {}


def _request_parts(request: HttpRequest) -> tuple[str, str, str, str]:
    language = request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME, "")
    return request.path, request.META.get("QUERY_STRING", ""), language, request.META.get("HTTP_ACCEPT_LANGUAGE", "")


def _shared_response(request: HttpRequest, key: str, html: str, *, local: bool) -> HttpResponse:
    if len(_keys) >= MAX_REQUESTS:  # many links or made-up query strings: start over rather than grow
        _keys.clear()
    _keys[_request_parts(request)] = (time.monotonic() + REQUEST_SECONDS, key, local)
    return page_response(request, html)


def shared_page(request: HttpRequest) -> str | None:
    """The cached HTML a view answered this same shareable request with lately, or None (ask the view)."""
    if not shareable(request):
        return None
    expires, key, local = _keys.get(_request_parts(request), (0.0, "", False))
    return _cached_html(key, local=local) if expires > time.monotonic() else None


def render_cached(request: HttpRequest, key: str, render: Callable[[str], str], *, local: bool = False) -> HttpResponse:
    """`render(csrf_token)` gives the page's HTML; a shareable copy is kept under `key`."""
    if not shareable(request):
        return HttpResponse(render(get_token(request)))
    cached = from_cache(request, key, local=local)
    if cached is not None:
        return cached
    html = render(CSRF_PLACEHOLDER)
    cache.set(key, html, PAGE_SECONDS)
    return _shared_response(request, key, html, local=local)


def forget_local() -> None:
    _local.clear()
    _keys.clear()


def forget(keys: Iterable[str]) -> None:
    keys = list(keys)
    for key in keys:
        _local.pop(key, None)
    cache.delete_many(keys)
