"""Carrier adapters meet a local HTTP server (pytest-httpserver) that answers as the carrier documents."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator

import pytest
from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

from tests.local_http import drain


@pytest.fixture
def stalled(httpserver: HTTPServer) -> Iterator[Callable[[Request], Response]]:
    """A handler that answers only when the test is over: the adapter's time-out has to give up first."""
    release = threading.Event()

    def handler(request: Request) -> Response:
        release.wait(timeout=30)
        return Response("{}", status=200, content_type="application/json")

    yield handler
    release.set()
    drain(httpserver)
