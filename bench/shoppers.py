"""The load of bench/faults.py: customers in threads who read pages and make returns, and an operator
who asks /healthz. Every answer is kept as a `Hit`, to be judged afterwards.

A customer who gets an error does what a person would: tries the same step again a moment later,
in the same browser session (so a retried confirmation carries the same draft, and must not make
a second return).
"""

from __future__ import annotations

import re
import threading
import time
from dataclasses import dataclass, field
from typing import Any

import requests

ERROR_PAGE = re.compile(r'<html lang="([a-z]{2})">.*class="card error-page" data-error="(500|503)"', re.DOTALL)
TRACEBACK = re.compile(r"Traceback \(most recent call last\)|Exception Value:|File \"/[^\"]+\.py\", line \d+")
PAUSE = 0.05  # between one customer's requests: a busy but not flooded portal
RETRY_PAUSE = 0.2


@dataclass
class Hit:
    """One request and what came back (`status` None: no answer at all)."""

    kind: str
    started: float
    ended: float
    status: int | None
    friendly: bool = False  # an error answered with the portal's error page, in the customer's language
    traceback: bool = False
    body: dict[str, Any] = field(default_factory=dict)  # /healthz's JSON
    sample: str = ""  # the start of an error that was not the friendly page, to say what it was

    @property
    def ok(self) -> bool:
        return self.status is not None and self.status < 400


@dataclass(frozen=True)
class Order:
    number: str
    email: str
    line_id: int
    language: str


class Browser:
    """One customer's browser: cookies kept (production's are Secure; the bench speaks plain HTTP to the
    app, as a proxy would, so they are sent anyway), CSRF token and Origin sent with every POST."""

    def __init__(self, base: str, language: str, hits: list[Hit]) -> None:
        self.base, self.language, self.hits = base, language, hits
        self.session = requests.Session()
        self.session.headers.update({"Accept-Language": language, "Origin": base})

    def request(
        self, kind: str, method: str, path: str, data: dict[str, str] | None = None
    ) -> requests.Response | None:
        started = time.monotonic()
        try:
            response = self.session.request(
                method, self.base + path, data=self._with_csrf(data), allow_redirects=False, timeout=20
            )
        except requests.RequestException:
            self.hits.append(Hit(kind, started, time.monotonic(), None))
            return None
        for cookie in self.session.cookies:
            cookie.secure = False
        self.hits.append(self._hit(kind, started, response))
        return response

    def _with_csrf(self, data: dict[str, str] | None) -> dict[str, str] | None:
        if data is None:
            return None
        return data | {"csrfmiddlewaretoken": self.session.cookies.get("csrftoken") or ""}

    def _hit(self, kind: str, started: float, response: requests.Response) -> Hit:
        hit = Hit(kind, started, time.monotonic(), response.status_code)
        if kind == "healthz":
            hit.body = response.json() if response.headers.get("Content-Type") == "application/json" else {}
        elif response.status_code >= 400:
            page = ERROR_PAGE.search(response.text)
            hit.friendly = bool(page and page.group(1) == self._language_shown())
            hit.traceback = bool(TRACEBACK.search(response.text))
            hit.sample = "" if hit.friendly else " ".join(response.text.split())[:160]
        return hit

    def _language_shown(self) -> str:
        return self.session.cookies.get("django_language") or self.language

    def until_ok(
        self,
        stop: threading.Event,
        kind: str,
        method: str,
        path: str,
        data: dict[str, str] | None = None,
        expect: str = "",
    ) -> requests.Response | None:
        """The step, again after each error, until it succeeds (and redirects to `expect`, if given) or the run ends."""
        while not stop.is_set():
            response = self.request(kind, method, path, data)
            if response is not None and response.status_code < 400:
                if expect in response.headers.get("Location", ""):
                    return response
                return None  # an answer the walk cannot go on from (judged by the caller's records)
            time.sleep(RETRY_PAUSE)
        return None


@dataclass
class Confirmed:
    """A return the portal said it made: the order, and the return id from its status link."""

    order: str
    status_path: str


def make_return(browser: Browser, order: Order, stop: threading.Event) -> Confirmed | None:
    """The customer flow from the start page to the status page of the new return."""
    if not browser.until_ok(stop, "start", "GET", "/"):
        return None
    found = browser.until_ok(
        stop, "lookup", "POST", "/", {"order_number": order.number, "contact": order.email}, expect="/order/"
    )
    if not found:
        return None
    items = found.headers["Location"]
    line = {f"qty_{order.line_id}": "1", f"reason_{order.line_id}": "too_small", f"comment_{order.line_id}": ""}
    if not browser.until_ok(stop, "items", "GET", items):
        return None
    if not browser.until_ok(stop, "choose", "POST", items, line, expect="/how/"):
        return None
    how = {"resolution": "refund", "method": "label", "pickup_date": ""}
    if not browser.until_ok(stop, "how", "POST", items + "how/", how, expect="/confirm/"):
        return None
    done = browser.until_ok(stop, "confirm", "POST", items + "confirm/", {}, expect="/r/")
    if done is None:
        return None
    status_path = done.headers["Location"]
    browser.until_ok(stop, "status", "GET", status_path)
    return Confirmed(order.number, status_path.split("?")[0])


def returner(base: str, orders: list[Order], stop: threading.Event, hits: list[Hit], made: list[Confirmed]) -> None:
    """A stream of customers, each in a fresh browser, each returning the one item of their order."""
    for order in orders:
        if stop.is_set():
            return
        confirmed = make_return(Browser(base, order.language, hits), order, stop)
        if confirmed is not None:
            made.append(confirmed)
        time.sleep(PAUSE)


def reader(base: str, paths: list[str], language: str, stop: threading.Event, hits: list[Hit]) -> None:
    """A customer rereading pages: a status page (from the cache), an order's items (from the database)."""
    browser = Browser(base, language, hits)
    while not stop.is_set():
        for kind, path in zip(("status", "items", "policy"), paths, strict=True):
            browser.request(kind, "GET", path)
            time.sleep(PAUSE)


def operator(base: str, stop: threading.Event, hits: list[Hit], every: float = 0.1) -> None:
    browser = Browser(base, "en", hits)
    while not stop.is_set():
        browser.request("healthz", "GET", "/healthz")
        time.sleep(every)
