"""Rendered customer pages kept in the cache: after a sale everyone returns at once.

A page is rendered once per key (page, language, ...) with a placeholder where
the CSRF token goes; each response gets its own token put in its place, so
forms keep working. Requests that carry a session or flash messages are
rendered fresh, since their pages differ. Whoever changes what a page shows
forgets its keys (`forget`).
"""

from __future__ import annotations

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


def from_cache(request: HttpRequest, key: str) -> HttpResponse | None:
    html = cache.get(key) if _shareable(request) else None
    return None if html is None else HttpResponse(html.replace(CSRF_PLACEHOLDER, get_token(request)))


def render_cached(request: HttpRequest, key: str, render: Callable[[str], str]) -> HttpResponse:
    """`render(csrf_token)` gives the page's HTML; a shareable copy is kept under `key`."""
    if not _shareable(request):
        return HttpResponse(render(get_token(request)))
    cached = from_cache(request, key)
    if cached is not None:
        return cached
    html = render(CSRF_PLACEHOLDER)
    cache.set(key, html, PAGE_SECONDS)
    return HttpResponse(html.replace(CSRF_PLACEHOLDER, get_token(request)))


def forget(keys: Iterable[str]) -> None:
    cache.delete_many(list(keys))


def forget_status_pages(sender: object, instance: object, **kwargs: object) -> None:
    """Signal receiver: a return, its lines or its history changed, so its status page did."""
    return_id = getattr(instance, "return_request_id", None) or getattr(instance, "pk", None)
    forget(key for new in (True, False) for key in page_keys("status", return_id, new))


def forget_policy_pages() -> None:
    forget([*page_keys("start"), *page_keys("policy")])
