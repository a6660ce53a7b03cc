"""The carrier adapter: S10 tracking numbers, idempotent booking, the QR payload, home pickups, the
choice in settings."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.core.exceptions import ImproperlyConfigured
from hypothesis import given
from hypothesis import strategies as st
from pytest_django.fixtures import Settings

from returns.carriers import (
    Address,
    BuiltinCarrier,
    PickupBooking,
    PickupRefused,
    PickupRequest,
    Shipment,
    ShipmentRequest,
    get_carrier,
    parse_qr_payload,
    qr_payload,
    s10_check_digit,
    validate_s10,
)

REQUEST = ShipmentRequest(
    return_id=1234,
    return_number="R-7K3P9QX",
    sender=Address("Astrid Lindqvist", "Sveavägen 44", "113 46", "Stockholm", "SE"),
    recipient=Address("Nordväst Outfitters Returns", "Lagervägen 12", "136 50", "Haninge", "SE"),
)
NO_ADDRESS = Address("Astrid Lindqvist", "", "", "", "SE")
QR_ALPHANUMERIC = re.compile(r"[0-9A-Z $%*+\-./:]+")


class FakeCarrier(BuiltinCarrier):
    def create_shipment(self, request: ShipmentRequest) -> Shipment:
        return Shipment(carrier="Fake", tracking_number="FAKE1", qr_payload="FAKE1")

    def book_pickup(self, request: PickupRequest) -> PickupBooking:
        return PickupBooking(reference="FAKE-PU", window="09:00–12:00")


@pytest.mark.parametrize(
    ("serial", "check"),
    [
        ("47312482", 9),  # the example in UPU standard S10
        ("12345678", 5),
        ("00000001", 4),
        ("00000008", 0),  # 11 - 1 = 10 becomes 0
        ("00000000", 5),  # 11 - 0 = 11 becomes 5
    ],
)
def test_s10_check_digits_follow_the_upu_rule(serial: str, check: int) -> None:
    assert s10_check_digit(serial) == check


def test_the_upu_example_number_is_valid() -> None:
    assert validate_s10("RR473124829GB")


@pytest.mark.parametrize(
    "text",
    [
        "RR473124828GB",  # wrong check digit
        "RR47312482GB",  # seven digits
        "RR4731248299GB",  # nine digits
        "R473124829GB",  # one service letter
        "RR473124829G",  # one country letter
        "RR473124829GBR",
        "rr473124829gb",  # not the canonical form
        " RR473124829GB",
        "RR 473 124 829 GB",
        "RR47312A829GB",
        "12473124829GB",
        "",
    ],
)
def test_malformed_s10_numbers_are_refused(text: str) -> None:
    assert not validate_s10(text)


def test_booking_twice_gives_the_same_shipment() -> None:
    assert BuiltinCarrier().create_shipment(REQUEST) == BuiltinCarrier().create_shipment(REQUEST)


def test_the_tracking_number_is_a_parcel_number_from_the_returns_id() -> None:
    shipment = BuiltinCarrier().create_shipment(REQUEST)
    assert shipment.carrier == "Portal Post"
    assert shipment.tracking_number == f"CR00001234{s10_check_digit('00001234')}SE"
    assert validate_s10(shipment.tracking_number)


@given(return_id=st.integers(min_value=1, max_value=10**8 - 1))
def test_every_return_gets_its_own_valid_tracking_number(return_id: int) -> None:
    carrier = BuiltinCarrier()
    shipment = carrier.create_shipment(ShipmentRequest(return_id, "R-7K3P9QX", (), ()))
    neighbour = carrier.create_shipment(ShipmentRequest(return_id % (10**8 - 1) + 1, "R-7K3P9QX", (), ()))
    assert validate_s10(shipment.tracking_number)
    assert int(shipment.tracking_number[2:10]) == return_id
    assert neighbour.tracking_number != shipment.tracking_number


@pytest.mark.parametrize("return_id", [0, -1, 10**8])
def test_an_id_outside_the_eight_digit_serial_is_refused_rather_than_wrapped(return_id: int) -> None:
    with pytest.raises(ValueError, match="serial"):
        BuiltinCarrier().create_shipment(ShipmentRequest(return_id, "R-7K3P9QX", (), ()))


def test_the_country_comes_from_settings(settings: Settings) -> None:
    settings.RETURN_CARRIER_COUNTRY = "FI"
    tracking_number = BuiltinCarrier().create_shipment(REQUEST).tracking_number
    assert tracking_number.endswith("FI") and validate_s10(tracking_number)


@pytest.mark.parametrize("country", ["fi", "FIN", "", "F1"])
def test_a_malformed_country_setting_is_a_configuration_error(settings: Settings, country: str) -> None:
    settings.RETURN_CARRIER_COUNTRY = country
    with pytest.raises(ImproperlyConfigured, match="RETURN_CARRIER_COUNTRY"):
        BuiltinCarrier().create_shipment(REQUEST)


def test_the_qr_payload_carries_the_return_and_tracking_numbers_in_qr_alphanumerics() -> None:
    shipment = BuiltinCarrier().create_shipment(REQUEST)
    assert shipment.qr_payload == f"RETURN:R-7K3P9QX/TRACK:{shipment.tracking_number}"
    assert QR_ALPHANUMERIC.fullmatch(shipment.qr_payload)
    assert parse_qr_payload(shipment.qr_payload) == ("R-7K3P9QX", shipment.tracking_number)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("RETURN:R-7K3P9QX;TRACK:RR000012345SE", ("R-7K3P9QX", "RR000012345SE")),  # the first labels' form
        (" RETURN:R-7K3P9QX/TRACK:CR000012345SE\n", ("R-7K3P9QX", "CR000012345SE")),
        ("R-7K3P9QX", None),
        ("RETURN:R-7K3P9QX", None),
        ("https://example.com/?RETURN:R-7K3P9QX/TRACK:CR000012345SE", None),
    ],
)
def test_scanned_payloads_are_read_back(text: str, expected: tuple[str, str] | None) -> None:
    assert parse_qr_payload(text) == expected
    if expected:
        assert parse_qr_payload(qr_payload(*expected)) == expected


def test_the_builtin_carrier_is_the_default(settings: Settings) -> None:
    del settings.RETURN_CARRIER
    assert isinstance(get_carrier(), BuiltinCarrier)


def test_the_carrier_is_chosen_in_settings_by_dotted_path(settings: Settings) -> None:
    settings.RETURN_CARRIER = f"{__name__}.FakeCarrier"
    assert get_carrier().create_shipment(REQUEST).tracking_number == "FAKE1"


# --- Home pickup ---------------------------------------------------------------------------------

MONDAY = dt.date(2026, 12, 7)


def pickup_on(day: dt.date, address: Address = REQUEST.sender) -> PickupRequest:
    return PickupRequest(return_id=1234, return_number="R-7K3P9QX", address=address, day=day)


def test_a_pickup_on_a_weekday_is_booked_all_day_with_the_returns_reference() -> None:
    booking = BuiltinCarrier().book_pickup(pickup_on(MONDAY), today=MONDAY - dt.timedelta(days=3))
    assert booking == PickupBooking(reference="PU-R-7K3P9QX", window="08:00–18:00")


def test_booking_a_pickup_twice_gives_the_same_booking() -> None:
    carrier, today = BuiltinCarrier(), MONDAY - dt.timedelta(days=1)
    assert carrier.book_pickup(pickup_on(MONDAY), today=today) == carrier.book_pickup(pickup_on(MONDAY), today=today)


def test_the_pickup_window_comes_from_settings(settings: Settings) -> None:
    settings.RETURN_PICKUP_WINDOW = "12:00–16:00"
    assert BuiltinCarrier().book_pickup(pickup_on(MONDAY), today=MONDAY - dt.timedelta(days=1)).window == "12:00–16:00"


@pytest.mark.parametrize(
    ("day", "words"),
    [
        (MONDAY + dt.timedelta(days=5), "weekends"),  # Saturday
        (MONDAY + dt.timedelta(days=6), "weekends"),  # Sunday
        (MONDAY, "from the next day on"),  # today
        (MONDAY - dt.timedelta(days=3), "from the next day on"),  # a past day
    ],
)
def test_a_day_the_carrier_cannot_serve_is_refused_in_its_own_words(day: dt.date, words: str) -> None:
    with pytest.raises(PickupRefused, match=words) as refusal:
        BuiltinCarrier().book_pickup(pickup_on(day), today=MONDAY)
    assert day.isoformat() in refusal.value.message


def test_a_pickup_needs_an_address() -> None:
    with pytest.raises(PickupRefused, match="address"):
        BuiltinCarrier().book_pickup(pickup_on(MONDAY, address=NO_ADDRESS), today=MONDAY - dt.timedelta(days=1))


def test_a_carrier_from_settings_books_pickups_too(settings: Settings) -> None:
    settings.RETURN_CARRIER = f"{__name__}.FakeCarrier"
    assert get_carrier().book_pickup(pickup_on(MONDAY)).reference == "FAKE-PU"
