"""Content-Security-Policy: every kind of page sends it, and nothing inline creeps back into what we render.

The browser tests (tests/e2e/) fail on any violation the browser reports; these check the header itself,
the report-only and embedding switches, and the templates and pages we send to browsers.
"""

from __future__ import annotations

import re
import runpy
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.template import engines
from django.test import Client
from django.urls import reverse

from returns.access import status_token
from returns.models import ReturnPolicy, ReturnRequest
from returns.services import LineRequest, return_create, return_ensure_shipment
from returns_portal import settings as portal_settings_module
from tests.factories import OrderFactory, OrderLineFactory
from tests.returns.photo_data import add_photo
from tests.test_settings import PRODUCTION, manage

ROOT = Path(__file__).resolve().parent.parent
EMAIL_TEMPLATES = ROOT / "templates" / "email"  # e-mail is not a web page: clients ignore the policy

POLICY = {
    "default-src": ["'self'"],
    "script-src": ["'self'"],
    "style-src": ["'self'"],
    "img-src": ["'self'"],
    "object-src": ["'none'"],
    "base-uri": ["'self'"],
    "form-action": ["'self'"],
    "frame-ancestors": ["'none'"],
}
STRICT = ("default-src", "script-src", "object-src", "base-uri", "form-action", "frame-ancestors")
# Our own origin, keywords, a nonce or hash, and the data: and blob: schemes the API documents need:
# never another origin (everything is served by the portal).
OWN_SOURCE = re.compile(r"'(self|none|nonce-[A-Za-z0-9+/=]+|sha256-[A-Za-z0-9+/=]+)'|data:|blob:")


def directives(header: str) -> dict[str, list[str]]:
    parsed = {}
    for directive in filter(None, (part.strip() for part in header.split(";"))):
        name, *sources = directive.split()
        parsed[name] = sources
    return parsed


def assert_the_policy(sent: dict[str, list[str]], page: str) -> None:
    """The portal's policy as every page has it (the API documents add a few sources, never an origin)."""
    for directive in STRICT:
        assert sent[directive] == POLICY[directive], (page, directive)
    assert sent["style-src"][0] == "'self'" and sent["img-src"][0] == "'self'", page
    assert all(OWN_SOURCE.fullmatch(source) for sources in sent.values() for source in sources), (page, sent)


@pytest.fixture
def pages(client: Client) -> dict[str, tuple[Client, str]]:
    """One page of every kind, and who asks for it. The return has what the staff screens show at most:
    a customer's photo, a home pickup the carrier could not book, and a flag on the customer."""
    order = OrderFactory()
    line = OrderLineFactory(order=order, unit_price=Decimal("300.00"))
    return_request = return_ensure_shipment(
        return_request=return_create(
            order=order, lines=[LineRequest(line.id, 1, "too_big")], resolution="refund", method="label"
        )
    )
    add_photo(return_request.lines.get())
    ReturnRequest.objects.filter(pk=return_request.pk).update(
        method="pickup", pickup_problem="No pickups in postcode 99999"
    )
    ReturnPolicy.objects.filter(pk=ReturnPolicy.current().pk).update(abuse_max_returns=1)
    staff = Client()
    staff.force_login(User.objects.create_superuser("boss", "boss@shop.example", "x"))
    return {
        "customer start": (client, reverse("returns:start")),
        "policy": (client, reverse("returns:policy")),
        "status": (client, reverse("returns:status", args=[status_token(return_request)])),
        "admin list": (staff, reverse("admin:returns_returnrequest_changelist")),
        "admin change form": (staff, reverse("admin:returns_returnrequest_change", args=[return_request.pk])),
        "receiving screen": (staff, reverse("admin:returns_returnrequest_receive", args=[return_request.pk])),
        "scan": (staff, reverse("admin:returns_returnrequest_scan")),
        "support": (staff, reverse("support:search") + f"?q={order.number}"),
        "insight": (staff, reverse("insight")),
        "bookkeeping": (staff, reverse("insight-bookkeeping")),
        "browsable api": (staff, reverse("api:return", args=[return_request.number])),
        "swagger ui": (client, reverse("docs")),
        "redoc": (client, reverse("redoc")),
    }


def get(client: Client, url: str) -> Any:
    response = client.get(url, headers={"accept": "text/html"})
    assert response.status_code == 200, url
    return response


@pytest.mark.django_db
def test_every_kind_of_page_sends_the_policy(pages: dict[str, tuple[Client, str]]) -> None:
    for name, (client, url) in pages.items():
        response = get(client, url)
        assert_the_policy(directives(response["Content-Security-Policy"]), name)
        assert response["X-Frame-Options"] == "DENY", name
        assert "Content-Security-Policy-Report-Only" not in response, name


@pytest.mark.django_db
def test_a_cached_customer_page_sends_the_policy_too(client: Client) -> None:
    for _ in range(2):  # rendered, then from the page cache
        assert directives(get(client, reverse("returns:start"))["Content-Security-Policy"]) == POLICY


@pytest.mark.django_db
def test_only_the_api_documents_get_more_and_only_what_they_need(pages: dict[str, tuple[Client, str]]) -> None:
    for name, (client, url) in pages.items():
        sent = directives(get(client, url)["Content-Security-Policy"])
        if name == "swagger ui":
            assert sent == {**POLICY, "img-src": ["'self'", "data:"]}
        elif name == "redoc":
            nonce, *hashes = sent["style-src"][1:]
            assert nonce.startswith("'nonce-") and hashes and all(h.startswith("'sha256-") for h in hashes)
            assert sent == POLICY | {
                "img-src": ["'self'", "data:"],
                "style-src": ["'self'", nonce, *hashes],
                "worker-src": ["'self'", "blob:"],
            }
        else:
            assert sent == POLICY, name


@pytest.mark.django_db
def test_redoc_gets_a_new_nonce_each_time_and_hands_it_to_redoc(client: Client) -> None:
    nonces = []
    for _ in range(2):
        response = get(client, reverse("redoc"))
        nonce = directives(response["Content-Security-Policy"])["style-src"][1].removeprefix("'nonce-").rstrip("'")
        assert f'nonce="{nonce}"' in response.content.decode()
        nonces.append(nonce)
    assert nonces[0] != nonces[1]


@pytest.mark.django_db
def test_no_page_we_render_carries_inline_style_or_script(pages: dict[str, tuple[Client, str]]) -> None:
    for name, (client, url) in pages.items():
        assert inline_code(get(client, url).content.decode()) == [], name


# --- Switches: report only, and a shop that embeds the portal ------------------------------------


def policy_settings(monkeypatch: pytest.MonkeyPatch, **variables: str) -> dict[str, Any]:
    """The policy's settings as the settings module makes them from these environment variables."""
    for name, value in variables.items():
        monkeypatch.setenv(name, value)
    assert portal_settings_module.__file__
    values = runpy.run_path(portal_settings_module.__file__)
    return {name: values[name] for name in values if name.startswith("CONTENT_SECURITY_POLICY")}


@pytest.mark.django_db
def test_report_only_mode_reports_the_policy_instead_and_still_forbids_framing(
    pages: dict[str, tuple[Client, str]], settings: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name, value in policy_settings(monkeypatch, CSP_REPORT_ONLY="true").items():
        setattr(settings, name, value)
    for name, (client, url) in pages.items():
        response = get(client, url)
        assert_the_policy(directives(response["Content-Security-Policy-Report-Only"]), name)
        assert directives(response["Content-Security-Policy"]) == {"frame-ancestors": ["'none'"]}, name
        assert response["X-Frame-Options"] == "DENY", name


@pytest.mark.django_db
def test_a_shop_that_embeds_the_portal_is_named_in_frame_ancestors(
    client: Client, settings: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    shop = "https://www.shop.example"
    for name, value in policy_settings(monkeypatch, CSP_REPORT_ONLY="true", CSP_FRAME_ANCESTORS=shop).items():
        setattr(settings, name, value)
    response = get(client, reverse("returns:start"))
    assert directives(response["Content-Security-Policy"]) == {"frame-ancestors": [shop]}
    assert directives(response["Content-Security-Policy-Report-Only"])["frame-ancestors"] == [shop]
    assert "X-Frame-Options" not in response  # DENY or SAMEORIGIN would refuse the shop


def test_frame_ancestors_take_origins_only() -> None:
    result = manage("check", CSP_FRAME_ANCESTORS="https://www.shop.example; script-src *")
    assert result.returncode != 0
    assert result.stderr.strip() == (
        "Configuration error: CSP_FRAME_ANCESTORS must be origins like https://www.shop.example, separated by commas."
    )


def test_production_with_report_only_and_an_embedding_shop_passes_the_deploy_check() -> None:
    variables = {**PRODUCTION, "CSP_REPORT_ONLY": "true", "CSP_FRAME_ANCESTORS": "https://www.shop.example"}
    result = manage("check", "--deploy", "--fail-level", "WARNING", **variables)
    assert result.returncode == 0, result.stderr


# --- Templates: nothing inline, so none creeps back ------------------------------------------------

COMMENTS = re.compile(r"{%\s*comment\s*%}.*?{%\s*endcomment\s*%}|{#.*?#}", re.DOTALL)
TAG = re.compile(r"<(?P<name>[a-zA-Z][\w-]*)(?P<attributes>(?:[^>\"']|\"[^\"]*\"|'[^']*')*)>")
INLINE_ATTRIBUTE = re.compile(r"(?:^|\s)(style|on[a-z]+)\s*=|javascript:", re.IGNORECASE)


def inline_code(html: str) -> list[str]:
    """Inline <style> elements, <script> elements without src, style="" and on...="" attributes, javascript: URLs."""
    return [
        tag.group() for tag in TAG.finditer(COMMENTS.sub("", html)) if _inline(tag["name"].lower(), tag["attributes"])
    ]


def _inline(name: str, attributes: str) -> bool:
    if name == "style" or (name == "script" and not re.search(r"\ssrc\s*=", attributes) and _runs(attributes)):
        return True
    return INLINE_ATTRIBUTE.search(attributes) is not None


def _runs(script_attributes: str) -> bool:
    """A script element the browser runs (`type="application/json"` is data, which the policy lets be)."""
    kind = re.search(r"\stype\s*=\s*[\"']?([^\"'\s>]*)", script_attributes)
    return kind is None or kind[1].lower() in {"", "module", "text/javascript", "application/javascript"}


def browser_templates() -> list[Path]:
    """Every template of ours Django can render (the project's folder and our apps'), e-mail's excepted."""
    folders = {Path(folder) for engine in engines.all() for folder in engine.template_dirs}
    ours = [folder for folder in folders if folder.is_relative_to(ROOT) and "site-packages" not in folder.parts]
    return sorted(
        path for folder in ours for path in folder.rglob("*.html") if not path.is_relative_to(EMAIL_TEMPLATES)
    )


def test_the_inline_code_finder_finds_what_the_policy_blocks() -> None:
    assert inline_code('<p style="color:red">') and inline_code("<div class=x style='margin:0'>")
    assert inline_code("<style>p { color: red }</style>") and inline_code("<script>alert(1)</script>")
    assert inline_code('<input onclick="this.select()">') and inline_code('<a href="javascript:go()">')
    assert inline_code('<script type="module">go()</script>') and inline_code("<script type=text/javascript>")
    assert inline_code('<script src="/static/js/staff.js" defer></script>') == []
    assert inline_code('<script type="application/json" id="drf_csrf">{"csrfToken": "x"}</script>') == []
    assert inline_code('<p class="styled" data-onclick="x">{# <style> #}{% comment %}<script>{% endcomment %}') == []


def test_no_template_for_browsers_has_inline_style_or_script() -> None:
    templates = browser_templates()
    assert {ROOT / "templates/base.html", ROOT / "templates/pages/support.html"} <= set(templates)
    assert not any(path.is_relative_to(EMAIL_TEMPLATES) for path in templates)
    found = {str(path.relative_to(ROOT)): inline_code(path.read_text()) for path in templates}
    assert {path: code for path, code in found.items() if code} == {}
