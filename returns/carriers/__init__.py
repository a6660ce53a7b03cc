"""Carriers behind a small protocol: book a return parcel (a tracking number and a QR payload),
or a home pickup (a reference and a time window).

The carrier is chosen in settings by dotted path (``RETURN_CARRIER``, default
`BuiltinCarrier`). A real carrier's adapter does its HTTP inside
`create_shipment` and `book_pickup`, which callers run outside any database
transaction, and must be idempotent per ``return_id`` like the built-in one: a
booking whose answer was lost is asked for again, and must not book twice.
`book_pickup` raises `PickupRefused` with the carrier's own words when it
cannot come; any other exception means "try again later".

The built-in carrier needs no outside service. It issues tracking numbers in
the UPU S10 shape ``CR000012345SE``: service indicator, 8-digit serial, check
digit, country. The service indicator ``CR`` is in S10's parcel-post range
(CA-CZ; ``R`` for return), because a return is a parcel: the often-seen ``RR``
belongs to registered *letters*. The serial is the return's database id, so
booking twice gives the same number and two returns never share one.

QR payload format, for the drop-off point's scanner::

    RETURN:<return number>/TRACK:<tracking number>     e.g. RETURN:R-7K3P9QX/TRACK:CR000012345SE

Every character is in the QR code's alphanumeric set (digits, capitals, space
and ``$%*+-./:``), which keeps the code a size smaller than byte mode: larger
modules on paper, a faster scan.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from enum import StrEnum
from typing import Protocol

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.utils import timezone
from django.utils.module_loading import import_string

from returns.models import CarrierRoute

DEFAULT_CARRIER = "returns.carriers.BuiltinCarrier"
S10_WEIGHTS = (8, 6, 4, 2, 3, 5, 9, 7)
S10_PATTERN = re.compile(r"[A-Z]{2}(\d{8})(\d)[A-Z]{2}")
QR_PATTERN = re.compile(r"RETURN:(?P<return_number>[^/;]+)[/;]TRACK:(?P<tracking_number>[^/;]+)")


@dataclass(frozen=True)
class Address:
    """A postal address as carriers want it: separate fields, ISO country code."""

    name: str
    street: str
    postcode: str
    city: str
    country: str  # ISO 3166 alpha-2, e.g. "SE"
    email: str = ""
    phone: str = ""


@dataclass(frozen=True)
class ShipmentRequest:
    """What a carrier needs to book a return parcel: plain data, no models.

    `label_free`: the customer shows a code at the service point instead of printing a label
    (PostNord's QR return, nShift's "print at agent"); `service_point_id` is the point the customer
    chose ("" when they take it to any point).
    """

    return_id: int
    return_number: str
    sender: Address
    recipient: Address
    parcels: int = 1
    weight_grams: int = 1000
    label_free: bool = False
    service_point_id: str = ""


@dataclass(frozen=True)
class Shipment:
    carrier: str
    tracking_number: str
    qr_payload: str  # what the portal's own QR code (on the label or the status page) encodes
    label_pdf: bytes = b""  # the carrier's own label, when it issues one
    shipment_id: str = ""  # the carrier's id of the booking, for cancelling and tracking ("" = the tracking number)
    dropoff_code: str = ""  # the carrier's label-free code, shown at the service point
    dropoff_code_image: bytes = b""  # the carrier's image of that code (PNG), when it sends one


@dataclass(frozen=True)
class PickupRequest:
    """A home pickup to book: where the parcel waits and on which day."""

    return_id: int
    return_number: str
    address: Address
    day: dt.date
    parcels: int = 1
    tracking_number: str = ""  # the parcel's, when it was booked first


@dataclass(frozen=True)
class PickupBooking:
    reference: str
    window: str


@dataclass(frozen=True)
class ServicePoint:
    """A place that takes parcels in: a parcel shop, a locker, a post office."""

    id: str
    name: str
    street: str
    postcode: str
    city: str
    country: str
    opening_hours: tuple[str, ...] = ()  # one line per day or range, e.g. "Mon–Fri 08:00–20:00"
    distance_m: int | None = None


class TrackingStage(StrEnum):
    """What a carrier's event means for a return, in the portal's words."""

    BOOKED = "booked"  # the carrier knows the parcel, nothing physical yet
    HANDED_IN = "handed_in"  # first scan: at the service point or with the driver
    IN_TRANSIT = "in_transit"
    DELIVERED = "delivered"  # at the warehouse
    PROBLEM = "problem"  # delayed, damaged, returned to sender
    OTHER = "other"


@dataclass(frozen=True)
class TrackingEvent:
    tracking_number: str
    event_id: str  # stable per event, so an event seen twice is stored once
    at: dt.datetime  # aware
    stage: TrackingStage
    description: str  # the carrier's own words
    location: str = ""


class PickupRefused(Exception):
    """The carrier cannot come (a day it does not serve, an address it does not reach): its words, for staff."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class CarrierRejected(Exception):
    """A 4xx with a reason: asking again will not help. `message` is the carrier's words, for staff;
    `field` names what the customer can fix ("address", "postcode", "phone", "email") or is ""."""

    def __init__(self, message: str, *, field: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.field = field


class CarrierUnavailable(Exception):
    """Time-out, 5xx, 429 or refused credentials: try again later (`retry_after` seconds, if the carrier said)."""

    def __init__(self, message: str, *, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.retry_after = retry_after


class WebhookRefused(Exception):
    """A carrier's event push whose signature or secret does not check out: answer 400, change nothing."""


class Carrier(Protocol):
    name: str

    def create_shipment(self, request: ShipmentRequest) -> Shipment: ...

    def book_pickup(self, request: PickupRequest) -> PickupBooking: ...

    def service_points(
        self, *, country: str, postcode: str, street: str = "", limit: int = 5
    ) -> list[ServicePoint]: ...

    def track(self, tracking_numbers: list[str]) -> list[TrackingEvent]: ...

    def cancel_shipment(self, shipment: Shipment) -> bool:
        """True if the carrier cancelled it; False if it no longer can (already handed in)."""
        ...

    def check(self) -> list[str]:
        """What works, one line each, for `carrier_check`; raises CarrierUnavailable/CarrierRejected when not."""
        ...


DEFAULT_KEY = "default"  # the carrier of settings.RETURN_CARRIER, where no route names one


def get_carrier() -> Carrier:
    """The default carrier (settings.RETURN_CARRIER)."""
    return carrier_named(DEFAULT_KEY)


def carrier_named(key: str) -> Carrier:
    """A carrier by its key in settings.CARRIERS; DEFAULT_KEY (or "") is settings.RETURN_CARRIER."""
    default = key in ("", DEFAULT_KEY)
    path = getattr(settings, "RETURN_CARRIER", DEFAULT_CARRIER) if default else settings.CARRIERS[key]
    carrier_class: type[Carrier] = import_string(path)
    return carrier_class()


def carrier_for(*, country: str, method: str) -> tuple[str, Carrier]:
    """The carrier that takes returns from `country` sent by `method`: the admin's route, else the default.

    Returns its key too, so the return records who booked it and asks the same carrier later.
    """
    key = (
        CarrierRoute.objects.filter(country=country.upper(), method=method).values_list("carrier", flat=True).first()
        or DEFAULT_KEY
    )
    return key, carrier_named(key)


# --- UPU S10 tracking numbers ------------------------------------------------------------------


def s10_check_digit(serial: str) -> int:
    """Weights 8 6 4 2 3 5 9 7, then 11 minus the sum mod 11; 10 becomes 0 and 11 becomes 5."""
    if len(serial) != len(S10_WEIGHTS) or not serial.isdigit():
        raise ValueError(f"An S10 serial has 8 digits, not {serial!r}")
    check = 11 - sum(int(digit) * weight for digit, weight in zip(serial, S10_WEIGHTS, strict=True)) % 11
    return {10: 0, 11: 5}.get(check, check)


def validate_s10(text: str) -> bool:
    """Whether `text` is exactly an S10 number (``RR473124829GB``): canonical form, right check digit."""
    match = S10_PATTERN.fullmatch(text)
    return match is not None and s10_check_digit(match[1]) == int(match[2])


def s10_number(service: str, serial: int, country: str) -> str:
    if not (0 < serial < 10**8):
        raise ValueError(f"An S10 serial runs from 1 to 99999999, not {serial}")
    digits = f"{serial:08d}"
    number = f"{service}{digits}{s10_check_digit(digits)}{country}"
    if not validate_s10(number):
        raise ValueError(f"Service indicator and country are two capital letters each, not {service!r}, {country!r}")
    return number


# --- QR payload --------------------------------------------------------------------------------


def qr_payload(return_number: str, tracking_number: str) -> str:
    return f"RETURN:{return_number}/TRACK:{tracking_number}"


def parse_qr_payload(text: str) -> tuple[str, str] | None:
    """(return number, tracking number) from a scanned payload, or None if it is not ours.

    Also reads ``;`` as the separator, the form the first labels were printed with.
    """
    match = QR_PATTERN.fullmatch(text.strip())
    return (match["return_number"], match["tracking_number"]) if match else None


# --- The built-in carrier ----------------------------------------------------------------------


class BuiltinCarrier:
    """The portal's own numbers, for shops that hand return parcels to any parcel shop without a carrier contract."""

    name = "Portal Post"
    service_indicator = "CR"

    def create_shipment(self, request: ShipmentRequest) -> Shipment:
        country = getattr(settings, "RETURN_CARRIER_COUNTRY", "SE")
        if not re.fullmatch(r"[A-Z]{2}", country):
            raise ImproperlyConfigured(f"RETURN_CARRIER_COUNTRY is an ISO country code like 'SE', not {country!r}")
        tracking_number = s10_number(self.service_indicator, request.return_id, country)
        return Shipment(
            carrier=self.name,
            tracking_number=tracking_number,
            qr_payload=qr_payload(request.return_number, tracking_number),
        )

    def book_pickup(self, request: PickupRequest, *, today: dt.date | None = None) -> PickupBooking:
        """Weekdays from tomorrow on, all day; the reference is the return's, so booking twice is one booking."""
        today = today or timezone.localdate()
        if request.day <= today:
            raise PickupRefused(f"{self.name} books pickups from the next day on, not for {request.day.isoformat()}.")
        if request.day.weekday() >= 5:
            raise PickupRefused(f"{self.name} does not pick up on weekends; {request.day.isoformat()} is one.")
        if not request.address.street:
            raise PickupRefused(f"{self.name} needs an address to pick up from.")
        window = settings.RETURN_PICKUP_WINDOW
        return PickupBooking(reference=f"PU-{request.return_number}", window=window)

    def service_points(self, *, country: str, postcode: str, street: str = "", limit: int = 5) -> list[ServicePoint]:
        return []  # any parcel shop takes the portal's parcels: there is no list to choose from

    def track(self, tracking_numbers: list[str]) -> list[TrackingEvent]:
        return []  # no scans come back: staff receive the parcel at the warehouse

    def cancel_shipment(self, shipment: Shipment) -> bool:
        return True  # nothing was booked outside the portal

    def check(self) -> list[str]:
        return [f"{self.name}: built in, needs no account."]
