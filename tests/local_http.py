"""Helpers for the tests that meet a local HTTP server standing in for a carrier or a payment provider."""

from __future__ import annotations

import requests
from pytest_httpserver import HTTPServer


def drain(httpserver: HTTPServer) -> None:
    """Wait until the server has answered every request sent so far.

    The test server answers one request at a time: a request queued behind a stalled one would
    otherwise be answered, and logged, during the next test. Once this one is answered, they all are.
    """
    httpserver.expect_request("/drained").respond_with_data("")
    requests.get(httpserver.url_for("/drained"), timeout=30)
