"""What the carrier tests share: the return they book and the documented answers in data/."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from pytest_httpserver import HTTPServer
from werkzeug import Request

from returns.carriers import Address, PickupRequest, ShipmentRequest

DATA = Path(__file__).parent / "data"
CUSTOMER = Address("Astrid Lindqvist", "Sveavägen 44", "113 46", "Stockholm", "SE", "astrid@example.se", "+46701234567")
WAREHOUSE = Address("Nordväst Outfitters Returns", "Lagervägen 12", "136 50", "Haninge", "SE", "returns@example.se")
RETURN = ShipmentRequest(return_id=1234, return_number="R-7K3P9QX", sender=CUSTOMER, recipient=WAREHOUSE)


def data(name: str) -> Any:
    """A documented answer, as stored in data/."""
    return json.loads((DATA / name).read_text(encoding="utf-8"))


def pickup_request(day: Any) -> PickupRequest:
    return PickupRequest(return_id=1234, return_number="R-7K3P9QX", address=CUSTOMER, day=day)


def sent(httpserver: HTTPServer, path: str) -> list[Request]:
    """The requests the adapter made to `path`, oldest first."""
    return [request for request, _ in httpserver.log if request.path == path]
