"""Cached customer pages answered early (returns_portal.core.fastpages): the same page, headers and
CSRF protection as the normal way, and only for requests that have no session or flash messages.

A response's `wsgi_request` tells the two ways apart: the normal way goes through SessionMiddleware,
which gives the request a session; the early answer never does.
"""

from __future__ import annotations

import re
from decimal import Decimal

import pytest
from django.test import Client, override_settings
from django.urls import reverse

from returns import access
from returns.services import LineRequest, return_create
from returns_portal.core import pagecache
from tests.factories import OrderFactory, OrderLineFactory

pytestmark = pytest.mark.django_db

TOKEN_IN_PAGE = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')
COOKIE_ATTRIBUTES = ("path", "max-age", "samesite", "secure", "httponly", "domain")


def status_url() -> str:
    order = OrderFactory(shipping_amount=Decimal("49.00"))
    OrderLineFactory(order=order, unit_price=Decimal("499.00"), quantity=2)
    lines = [LineRequest(order.lines.get().id, 1, "too_big")]
    return_request = return_create(order=order, lines=lines, resolution="refund", method="label")
    return reverse("returns:status", args=[access.status_token(return_request)])


def answered_early(response: object) -> bool:
    return not hasattr(response.wsgi_request, "session")  # type: ignore[attr-defined]


def without_token(html: str) -> str:
    return TOKEN_IN_PAGE.sub('name="csrfmiddlewaretoken" value=""', html)


def shape(response: object) -> tuple[dict[str, str], dict[str, tuple[str, ...]], str]:
    """Headers, cookies (their attributes, not their values) and the body less its CSRF token."""
    headers = {name: value for name, value in response.headers.items() if name != "Set-Cookie"}  # type: ignore[attr-defined]
    cookies = {
        name: tuple(str(morsel[attribute]) for attribute in COOKIE_ATTRIBUTES)
        for name, morsel in response.cookies.items()  # type: ignore[attr-defined]
    }
    return headers, cookies, without_token(response.content.decode())  # type: ignore[attr-defined]


@pytest.mark.parametrize("page", ["start", "policy", "status"])
@override_settings(SECURE_HSTS_SECONDS=3600)
def test_a_cached_page_answered_early_is_the_page_the_normal_way_sends(page: str) -> None:
    url = {"start": "/", "policy": "/policy/", "status": None}[page] or status_url()
    rendered = Client().get(url, secure=True)
    normal = Client().get(url, secure=True, HTTP_COOKIE="sessionid=none")  # a session cookie: the normal way
    pagecache.forget_local()  # what the cache holds stays; only the early answer's memory goes
    from_cache_the_normal_way = Client().get(url, secure=True)
    early = Client().get(url, secure=True)

    assert not answered_early(rendered) and not answered_early(from_cache_the_normal_way) and answered_early(early)
    assert early.status_code == 200
    assert shape(early) == shape(from_cache_the_normal_way) == shape(rendered)
    assert shape(early)[0] == shape(normal)[0] | {"Content-Length": early["Content-Length"]}
    for header in ("Content-Security-Policy", "X-Frame-Options", "Strict-Transport-Security", "Content-Language"):
        assert early[header], header
    assert "Cookie" in early["Vary"] and "Accept-Language" in early["Vary"]
    assert ("csrftoken" in early.cookies) == (page != "policy")  # the policy page has no form to protect


def test_each_early_answer_has_its_own_csrf_token_which_a_following_post_accepts() -> None:
    order = OrderFactory(language="fi")
    OrderLineFactory(order=order, unit_price=Decimal("499.00"))
    Client().get("/")
    customer, other = Client(enforce_csrf_checks=True), Client()
    page, other_page = customer.get("/"), other.get("/")
    assert answered_early(page) and answered_early(other_page)
    assert customer.cookies["csrftoken"].value != other.cookies["csrftoken"].value
    token = TOKEN_IN_PAGE.search(page.content.decode())
    assert token is not None

    lookup = {"order_number": order.number, "contact": order.customer.email, "csrfmiddlewaretoken": token.group(1)}
    response = customer.post("/", lookup)
    assert response.status_code == 302
    assert response["Location"] == reverse("returns:items", args=[access.order_token(order)])
    assert Client(enforce_csrf_checks=True).post("/", lookup).status_code == 403  # no cookie: refused as ever


@pytest.mark.parametrize("cookie", ["sessionid", "messages"])
def test_a_request_with_a_session_or_messages_goes_the_normal_way(cookie: str) -> None:
    url = status_url()
    Client().get(url)
    assert answered_early(Client().get(url))
    assert not answered_early(Client().get(url, HTTP_COOKIE=f"{cookie}=anything"))
    assert not answered_early(Client().head(url))


def test_the_language_chosen_by_cookie_or_browser_is_the_language_answered_early() -> None:
    for _ in range(2):
        english, swedish = Client().get("/policy/"), Client().get("/policy/", HTTP_ACCEPT_LANGUAGE="sv")
        chosen = Client().get("/policy/", HTTP_COOKIE="django_language=fi", HTTP_ACCEPT_LANGUAGE="sv")
        assert '<html lang="en">' in english.content.decode() and english["Content-Language"] == "en"
        assert '<html lang="sv">' in swedish.content.decode() and swedish["Content-Language"] == "sv"
        assert '<html lang="fi">' in chosen.content.decode() and chosen["Content-Language"] == "fi"
    assert answered_early(english) and answered_early(swedish) and answered_early(chosen)
