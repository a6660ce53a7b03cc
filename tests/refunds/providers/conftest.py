"""Each adapter talks to a local HTTP server (pytest-httpserver) that answers as the provider documents."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from decimal import Decimal
from typing import Any

import pytest
from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

from refunds.providers import PayoutLine, PayoutRequest
from tests.local_http import drain

Stall = Callable[[str, str], None]


@pytest.fixture
def stall(httpserver: HTTPServer, settings: Any) -> Iterator[Stall]:
    """Makes a path answer only after the adapter's 1 s time-out; the handler is released at teardown."""
    settings.PAYMENT_PROVIDER_TIMEOUT_SECONDS = 1
    release = threading.Event()

    def late(request: Request) -> Response:
        release.wait(30)
        return Response("too late", status=504)

    def arrange(uri: str, method: str) -> None:
        httpserver.expect_request(uri, method=method).respond_with_handler(late)

    yield arrange
    release.set()
    drain(httpserver)


def payout(**changes: Any) -> PayoutRequest:
    """A refund of two returned units (SEK 998, 25 % VAT) less a SEK 49 return fee: SEK 949."""
    fields: dict[str, Any] = {
        "idempotency_key": "return:R-7K3P9QX",
        "amount": Decimal("949.00"),
        "currency": "SEK",
        "order_number": "100234",
        "payment_method": "card",
        "payment_reference": "pay-ref-1",
        "lines": (
            PayoutLine("item", "TSHIRT-M-BLUE", "T-shirt", 2, Decimal("998.00"), Decimal("25"), Decimal("199.60")),
            PayoutLine("return_fee", "return_fee", "Return fee", 1, Decimal("-49.00"), Decimal("25"), Decimal("-9.80")),
        ),
        "description": "Return R-7K3P9QX",
    }
    return PayoutRequest(**{**fields, **changes})
