"""Rendered customer pages kept in the cache: after a sale everyone returns at once.

A page is rendered once per key (page, language, ...) with a placeholder where
the CSRF token goes; each response gets its own token put in its place, so
forms keep working. Requests that carry a session or flash messages are
rendered fresh, since their pages differ. Whoever changes what a page shows
forgets its keys (`forget`).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable

from django.conf import settings
from django.core.cache import cache
from django.http import HttpRequest, HttpResponse
from django.middleware.csrf import get_token

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


def _shareable(request: HttpRequest) -> bool:
    return request.method == "GET" and not any(name in request.COOKIES for name in PERSONAL_COOKIES)


# Pages the same for every customer (start, policy) are also kept a few seconds in the process,
# sparing a trip to Redis; another machine sees a policy change at most this late.
LOCAL_SECONDS = 5.0
_local: dict[str, tuple[float, str]] = {}


def from_cache(request: HttpRequest, key: str, *, local: bool = False) -> HttpResponse | None:
    if not _shareable(request):
        return None
    html = _local_get(key) if local else None
    if html is None:
        html = cache.get(key)
        if html is not None and local:
            _local[key] = (time.monotonic() + LOCAL_SECONDS, html)
    return None if html is None else HttpResponse(html.replace(CSRF_PLACEHOLDER, get_token(request)))


def _local_get(key: str) -> str | None:
    expires, html = _local.get(key, (0.0, ""))
    return html if expires > time.monotonic() else None


def render_cached(request: HttpRequest, key: str, render: Callable[[str], str], *, local: bool = False) -> HttpResponse:
    """`render(csrf_token)` gives the page's HTML; a shareable copy is kept under `key`."""
    if not _shareable(request):
        return HttpResponse(render(get_token(request)))
    cached = from_cache(request, key, local=local)
    if cached is not None:
        return cached
    html = render(CSRF_PLACEHOLDER)
    cache.set(key, html, PAGE_SECONDS)
    return HttpResponse(html.replace(CSRF_PLACEHOLDER, get_token(request)))


def forget_local() -> None:
    _local.clear()


def forget(keys: Iterable[str]) -> None:
    keys = list(keys)
    for key in keys:
        _local.pop(key, None)
    cache.delete_many(keys)
