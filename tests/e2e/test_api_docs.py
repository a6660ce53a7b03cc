"""The API's documents in a real browser, under the portal's Content-Security-Policy: Swagger UI and Redoc
render every endpoint from our own static files, Redoc's search works, and so does the browsable API."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import User

pytestmark = pytest.mark.django_db(transaction=True)


def test_swagger_ui_shows_every_endpoint_under_the_policy(live_server, page, shots) -> None:
    page.goto(live_server.url + "/api/docs/")
    page.wait_for_selector(".opblock-summary-path >> text=/api/v1/returns/{number}/refund/")
    shots(page, "swagger-ui")
    assert page.locator(".opblock").count() >= 15
    # Its own stylesheet applied (drf-spectacular's inline rules, now in static/css/swagger-ui.css).
    assert page.evaluate("getComputedStyle(document.body).backgroundColor") == "rgb(250, 250, 250)"
    page.locator(".opblock-summary-path", has_text="/api/v1/returns/{number}/approve/").click()
    page.wait_for_selector("text=Try it out")


def test_redoc_shows_every_endpoint_and_searches_under_the_policy(live_server, page, shots, csp_violations) -> None:
    csp_violations.expect_blocked(
        "https://cdn.redoc.ly/", because="Redoc's sidebar shows Redocly's logo from their CDN; blocked, it hides itself"
    )
    page.goto(live_server.url + "/api/redoc/")
    page.wait_for_selector("h1 >> text=Returns portal API")
    refund = "[data-item-id='tag/v1/operation/v1_returns_refund_create']"
    page.wait_for_selector(refund, state="attached")
    shots(page, "redoc")
    # Styled by the <style> elements Redoc inserts with the page's nonce (blocked, the menu is a plain block).
    assert page.evaluate("getComputedStyle(document.querySelector('.menu-content')).display") == "flex"
    page.fill("input.search-input", "refund")
    page.wait_for_selector(f"[data-role='search:results'] {refund}")  # the index is built in a blob: worker
    shots(page, "redoc-search")


def test_staff_browse_the_api_under_the_policy(live_server, page, shots) -> None:
    User.objects.create_superuser("boss", "boss@shop.example", "demo")
    page.goto(live_server.url + "/admin/login/?next=/api/v1/returns/")
    page.fill("#id_username", "boss")
    page.fill("#id_password", "demo")
    page.click("input[type=submit]")
    page.wait_for_selector("h1 >> text=Returns")
    shots(page, "browsable-api")
    assert page.evaluate("getComputedStyle(document.querySelector('pre')).lineHeight") != "normal"
