"""Carriers behind a small adapter: book a return parcel, get a tracking number and a QR payload.

The adapter is chosen in settings (`RETURN_CARRIER`, a dotted path). The
built-in carrier needs no outside service: it issues its own tracking numbers
in the UPU S10 shape (``RR000001234SE``: service, serial, check digit,
country), derived from the return's id so that booking twice gives the same
number. A real carrier's adapter does its HTTP inside `create_shipment`, which
the services call outside any database transaction.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Protocol

from django.conf import settings
from django.utils.module_loading import import_string

S10_WEIGHTS = (8, 6, 4, 2, 3, 5, 9, 7)
S10_PATTERN = re.compile(r"^([A-Z]{2})(\d{8})(\d)([A-Z]{2})$")


@dataclass(frozen=True)
class ShipmentRequest:
    return_id: int
    return_number: str
    sender: tuple[str, ...]
    recipient: tuple[str, ...]
    parcels: int = 1


@dataclass(frozen=True)
class Shipment:
    carrier: str
    tracking_number: str
    qr_payload: str


class Carrier(Protocol):
    def create_shipment(self, request: ShipmentRequest) -> Shipment: ...


def s10_check_digit(serial: str) -> int:
    """UPU S10: weights 8 6 4 2 3 5 9 7, 11 minus the sum mod 11; 10 becomes 0 and 11 becomes 5."""
    check = 11 - sum(int(digit) * weight for digit, weight in zip(serial, S10_WEIGHTS, strict=True)) % 11
    return {10: 0, 11: 5}.get(check, check)


def is_valid_s10(text: str) -> bool:
    match = S10_PATTERN.match(text.strip().upper())
    return bool(match) and s10_check_digit(match.group(2)) == int(match.group(3))  # type: ignore[union-attr]


def qr_payload(return_number: str, tracking_number: str) -> str:
    """What a drop-off point's scanner reads: ``RETURN:R-7K3P9QX;TRACK:RR000001234SE``."""
    return f"RETURN:{return_number};TRACK:{tracking_number}"


class BuiltinCarrier:
    """The portal's own carrier: numbers without a contract, for shops that hand parcels to any post office."""

    name = "Portal Post"
    service = "RR"  # S10 service indicator for registered items: tracked end to end

    def create_shipment(self, request: ShipmentRequest) -> Shipment:
        serial = f"{request.return_id % 10**8:08d}"
        country = getattr(settings, "RETURN_CARRIER_COUNTRY", "SE")
        tracking = f"{self.service}{serial}{s10_check_digit(serial)}{country}"
        return Shipment(
            carrier=self.name, tracking_number=tracking, qr_payload=qr_payload(request.return_number, tracking)
        )


def get_carrier() -> Carrier:
    carrier_class: type[Carrier] = import_string(getattr(settings, "RETURN_CARRIER", "returns.carrier.BuiltinCarrier"))
    return carrier_class()
