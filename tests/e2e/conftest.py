"""Browser tests: Playwright driving Debian's Chromium against Django's live server.

Skipped with the reason when Chromium or Playwright is missing, except under
REQUIRE_SERVICES=1 (CI), where that fails the run. Screenshots of every step go
to test-artifacts/screenshots/. Every page runs under the portal's
Content-Security-Policy, and a test fails when the browser reports a violation.
"""

from __future__ import annotations

import os
import re
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import REQUIRE_SERVICES

CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "screenshots"

os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")  # Playwright's sync API runs an event loop in this thread


def _browser_missing() -> str | None:
    try:
        import playwright  # noqa: F401
    except ImportError:
        return "the playwright package is not installed"
    if not (Path(CHROMIUM).exists() or shutil.which(CHROMIUM)):
        return f"Chromium not found at {CHROMIUM} (apt-get install chromium)"
    return None


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    missing = _browser_missing()
    if missing is None:
        return
    if REQUIRE_SERVICES:
        raise pytest.UsageError(f"browser tests are required (REQUIRE_SERVICES=1) but {missing}")
    for item in items:
        if "tests/e2e/" in item.nodeid:
            item.add_marker(pytest.mark.skip(reason=missing))


@pytest.fixture(scope="session")
def browser_type_launch_args() -> dict[str, object]:
    return {
        "executable_path": CHROMIUM,
        "args": [
            "--no-sandbox",
            "--disable-gpu",
            "--disable-dev-shm-usage",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--no-first-run",
        ],
    }


class Shots:
    """Numbered screenshots of one test's steps."""

    def __init__(self, name: str) -> None:
        self.folder = ARTIFACTS / name
        shutil.rmtree(self.folder, ignore_errors=True)
        self.folder.mkdir(parents=True)
        self.count = 0

    def __call__(self, page, step: str) -> Path:
        self.count += 1
        path = self.folder / f"{self.count:02d}-{step}.png"
        page.screenshot(path=str(path), full_page=True)
        return path


@pytest.fixture
def shots(request: pytest.FixtureRequest) -> Shots:
    return Shots(request.node.name)


# --- Content-Security-Policy: a violation fails the test ------------------------------------------

# Chromium logs each violation ("Refused to apply inline style ...", or in newer builds "Applying inline
# style violates the following Content Security Policy directive ..."); the page's securitypolicyviolation
# event is logged too, by a script the browser runs before the page's own (the policy does not apply to it).
VIOLATION_MESSAGE = re.compile(r"Refused to|Content Security Policy|securitypolicyviolation")
LOG_VIOLATIONS = """document.addEventListener("securitypolicyviolation", (event) => console.error(
  `securitypolicyviolation: ${event.effectiveDirective} blocked ${event.blockedURI || "inline"} ` +
  `in ${event.sourceFile || event.documentURI}:${event.lineNumber}`));"""


class CspViolations:
    """What the browser reported against the Content-Security-Policy, in every context of one test."""

    def __init__(self) -> None:
        self.messages: list[str] = []
        self.expected: dict[str, str] = {}

    def watch(self, context) -> None:
        context.add_init_script(LOG_VIOLATIONS)
        context.on("console", self._console)

    def _console(self, message) -> None:
        if VIOLATION_MESSAGE.search(message.text):
            self.messages.append(f"{message.text} ({message.location.get('url', '')})")

    def expect_blocked(self, url: str, *, because: str) -> None:
        """A request the policy is meant to block on this page (`because` says why it is there at all)."""
        self.expected[url] = because

    def unexpected(self) -> list[str]:
        return [text for text in self.messages if not any(url in text for url in self.expected)]


CSP_VIOLATIONS = pytest.StashKey[CspViolations]()


@pytest.fixture(autouse=True)
def csp_violations(request: pytest.FixtureRequest, browser, monkeypatch: pytest.MonkeyPatch) -> CspViolations:
    """Watches every browser context the test opens (pytest-playwright's `page` and its own ones)."""
    violations = CspViolations()
    new_context = browser.new_context

    def watched_context(*args, **kwargs):
        context = new_context(*args, **kwargs)
        violations.watch(context)
        return context

    monkeypatch.setattr(browser, "new_context", watched_context)
    request.node.stash[CSP_VIOLATIONS] = violations
    return violations


@pytest.hookimpl(wrapper=True)
def pytest_runtest_call(item: pytest.Item) -> Iterator[None]:
    result = yield
    violations = item.stash.get(CSP_VIOLATIONS, None)
    if violations is not None and violations.unexpected():
        pytest.fail("The page broke its Content-Security-Policy:\n" + "\n".join(violations.unexpected()))
    return result
