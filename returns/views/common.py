"""What every customer page shares: signed links, the customer's language, the client's address,
and the return being put together."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from functools import wraps
from typing import Any

from django.conf import settings
from django.http import HttpRequest, HttpResponse, HttpResponseBase
from django.shortcuts import redirect, render
from django.utils import translation
from django.utils.http import url_has_allowed_host_and_scheme

from returns import access
from returns.models import Order, ReturnRequest
from returns.selectors import return_for_status

View = Callable[..., HttpResponseBase]


class Draft:
    """The return being put together, kept in the session per order."""

    def __init__(self, request: HttpRequest, order: Order) -> None:
        self.session, self.name = request.session, f"return-draft-{order.pk}"
        self.data: dict[str, Any] = self.session.get(self.name) or {"key": uuid.uuid4().hex}

    def __getitem__(self, key: str) -> Any:
        return self.data.get(key)

    def update(self, **values: Any) -> None:
        self.data.update(values)
        self.session[self.name] = self.data

    def clear(self) -> None:
        self.session.pop(self.name, None)


def client_address(request: HttpRequest) -> str:
    """The client's address; behind TRUSTED_PROXIES proxies, the one the nearest trusted proxy saw."""
    hops = settings.TRUSTED_PROXIES
    forwarded = [part.strip() for part in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if part.strip()]
    if hops and len(forwarded) >= hops:
        return forwarded[-hops]
    return str(request.META.get("REMOTE_ADDR", ""))


def link_problem(request: HttpRequest, *, expired: bool) -> HttpResponse:
    return render(request, "returns/link_problem.html", {"expired": expired}, status=410 if expired else 404)


def page_language(request: HttpRequest, language: str) -> str:
    """The order's (or return's) language is the default until the customer picks one with the switcher."""
    if settings.LANGUAGE_COOKIE_NAME in request.COOKIES:
        return translation.get_language() or language
    request.LANGUAGE_CODE = language
    return language


def remember_language(request: HttpRequest, response: HttpResponseBase, language: str) -> HttpResponseBase:
    if settings.LANGUAGE_COOKIE_NAME not in request.COOKIES:
        response.set_cookie(settings.LANGUAGE_COOKIE_NAME, language, samesite="Lax", max_age=365 * 24 * 3600)
    return response


def choose_language(request: HttpRequest, code: str) -> HttpResponseBase:
    """A plain link per language: remembering a preference needs no form, so the header needs no CSRF token."""
    target = request.GET.get("next", "/")
    if not url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        target = "/"
    response = redirect(target)
    if code in dict(settings.LANGUAGES):
        response.set_cookie(settings.LANGUAGE_COOKIE_NAME, code, samesite="Lax", max_age=365 * 24 * 3600)
    return response


def with_order(view: View) -> View:
    """Resolve the signed order link into the order, or say kindly that the link is broken or old."""

    @wraps(view)
    def wrapper(request: HttpRequest, token: str, *args: Any, **kwargs: Any) -> HttpResponseBase:
        try:
            order = access.order_from_token(token)
        except access.LinkExpired:
            return link_problem(request, expired=True)
        except (access.LinkInvalid, Order.DoesNotExist):
            return link_problem(request, expired=False)
        with translation.override(page_language(request, order.language)):
            response = view(request, order, token, *args, **kwargs)
        return remember_language(request, response, order.language)

    return wrapper


def with_return(view: View) -> View:
    """Resolve the signed status link into the return, with what its page shows."""

    @wraps(view)
    def wrapper(request: HttpRequest, token: str, *args: Any, **kwargs: Any) -> HttpResponseBase:
        try:
            return_request = return_for_status(access.return_id_from_token(token))
        except access.LinkExpired:
            return link_problem(request, expired=True)
        except (access.LinkInvalid, ReturnRequest.DoesNotExist):
            return link_problem(request, expired=False)
        with translation.override(page_language(request, return_request.language)):
            return view(request, return_request, token, *args, **kwargs)

    return wrapper
