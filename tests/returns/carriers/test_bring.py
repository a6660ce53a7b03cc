"""Bring's adapter against a local server that answers as Bring's developer documentation shows."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
from collections.abc import Callable, Iterator
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from django.core.cache import cache
from pytest_django.fixtures import Settings
from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

from returns.carriers import (
    Address,
    CarrierRejected,
    CarrierUnavailable,
    PickupRefused,
    Shipment,
    TrackingStage,
    carrier_named,
)
from returns.carriers.bring import BringCarrier, opening_hour_lines
from tests.returns.carriers.documented import RETURN, data, pickup_request, sent

UID = "lager@nordvast.example"
API_KEY = "0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0"
CUSTOMER_NUMBER = "20012345678"
BOOK = "/booking/api/create"
TRACK = "/tracking/api/v2/tracking.json"
LABEL = "/labels/id/6d8c4323-87cd-47e8-aa0d-75f8f0b5b4cb.pdf"
QR_IMAGE = "/labels/qr/0f5e2c1a-8b7d-4e0c-9a51-2d3c4b5a6f70.png"
STORAGE = "/storage/labels/6d8c4323.pdf"
POINTS = "/pickuppoint/api/pickuppoint/NO/postalCode/0555.json"
CUSTOMERS = "/booking/api/customers"
PACKAGE = "370438101268058536"
CONSIGNMENT = "70438101268018539"
LABEL_PDF = b"%PDF-1.4 Bring return label"
QR_PNG = b"\x89PNG\r\n\x1a\n Bring QR code"
OSLO = ZoneInfo("Europe/Oslo")
CUSTOMER = Address("Ingrid Haugen", "Thorvald Meyers gate 51", "0555", "Oslo", "NO", "ingrid@example.no", "+4791234567")
WAREHOUSE = Address("Nordväst Outfitters Returns", "Industriveien 8", "2013", "Skjetten", "NO", "retur@example.no")
NORWEGIAN_RETURN = dataclasses.replace(RETURN, sender=CUSTOMER, recipient=WAREHOUSE)


@pytest.fixture(autouse=True)
def bring(settings: Settings, httpserver: HTTPServer) -> Iterator[None]:
    settings.BRING_BASE_URL = httpserver.url_for("")
    settings.BRING_API_UID = UID
    settings.BRING_API_KEY = API_KEY
    settings.BRING_CUSTOMER_NUMBER = CUSTOMER_NUMBER
    settings.BRING_RETURN_PRODUCT = "9350"
    settings.BRING_TEST_BOOKINGS = False
    settings.PORTAL_URL = "https://returns.nordvast.example"
    cache.clear()  # confirmations kept until their label arrives
    yield
    cache.clear()


def local(httpserver: HTTPServer, name: str) -> Any:
    """A documented answer whose links point at Bring's host, here the local server."""
    text = json.dumps(data(name)).replace("https://api.bring.com/", httpserver.url_for("/"))
    return json.loads(text)


def not_booked_yet(httpserver: HTTPServer) -> None:
    httpserver.expect_request(TRACK, query_string={"q": "R-7K3P9QX", "lang": "en"}).respond_with_json(
        data("bring_tracking_not_found.json")
    )


def label_in_storage(httpserver: HTTPServer) -> None:
    """The label link answers 302 to Bring's storage, here the same server under another host name."""
    storage = httpserver.url_for(STORAGE).replace("localhost", "127.0.0.1")
    httpserver.expect_request(LABEL).respond_with_response(Response(status=302, headers={"Location": storage}))
    httpserver.expect_request(STORAGE).respond_with_data(LABEL_PDF, content_type="application/pdf")


# --- booking ---------------------------------------------------------------------------------------


def test_a_return_is_booked_from_the_customer_to_the_warehouse_with_its_label(httpserver: HTTPServer) -> None:
    not_booked_yet(httpserver)
    httpserver.expect_request(BOOK, method="POST").respond_with_json(local(httpserver, "bring_booking_label.json"))
    label_in_storage(httpserver)

    shipment = BringCarrier().create_shipment(NORWEGIAN_RETURN)

    assert shipment == Shipment(
        carrier="Bring",
        tracking_number=PACKAGE,
        qr_payload=f"RETURN:R-7K3P9QX/TRACK:{PACKAGE}",
        label_pdf=LABEL_PDF,
        shipment_id=CONSIGNMENT,
    )
    (booking,) = sent(httpserver, BOOK)
    assert booking.headers["X-Mybring-API-Uid"] == UID
    assert booking.headers["X-Mybring-API-Key"] == API_KEY
    assert booking.headers["X-Bring-Client-URL"] == "https://returns.nordvast.example"
    assert booking.headers["X-Bring-Test-Indicator"] == "false"
    body = booking.get_json()
    assert body["schemaVersion"] == 1
    (consignment,) = body["consignments"]
    assert consignment["correlationId"] == "R-7K3P9QX"
    assert consignment["shippingDateTime"] == dt.datetime.now(OSLO).strftime("%Y-%m-%dT%H:%M:%S")
    assert consignment["product"] == {"id": "9350", "customerNumber": CUSTOMER_NUMBER}
    assert "generateQrCodes" not in consignment
    assert consignment["parties"]["sender"] == {
        "name": "Ingrid Haugen",
        "addressLine": "Thorvald Meyers gate 51",
        "postalCode": "0555",
        "city": "Oslo",
        "countryCode": "NO",
        "contact": {"name": "Ingrid Haugen", "email": "ingrid@example.no", "phoneNumber": "+4791234567"},
        "reference": "R-7K3P9QX",
    }
    recipient = consignment["parties"]["recipient"]
    assert (recipient["name"], recipient["postalCode"], recipient["city"]) == (
        "Nordväst Outfitters Returns",
        "2013",
        "Skjetten",
    )
    assert "reference" not in recipient
    assert consignment["packages"] == [
        {"weightInKg": 1.0, "goodsDescription": "Return", "correlationId": "R-7K3P9QX-1"}
    ]
    # The label link gets the credentials; the storage it redirects to does not.
    assert sent(httpserver, LABEL)[0].headers["X-Mybring-API-Key"] == API_KEY
    assert "X-Mybring-API-Key" not in sent(httpserver, STORAGE)[0].headers


def test_a_label_free_return_gets_brings_qr_code_instead_of_a_label(httpserver: HTTPServer) -> None:
    not_booked_yet(httpserver)
    httpserver.expect_request(BOOK, method="POST").respond_with_json(local(httpserver, "bring_booking_qrcode.json"))
    httpserver.expect_request(QR_IMAGE).respond_with_data(QR_PNG, content_type="image/png")

    shipment = BringCarrier().create_shipment(dataclasses.replace(NORWEGIAN_RETURN, label_free=True))

    assert shipment.label_pdf == b""
    assert shipment.dropoff_code == PACKAGE
    assert shipment.dropoff_code_image == QR_PNG
    assert sent(httpserver, BOOK)[0].get_json()["consignments"][0]["generateQrCodes"] is True
    assert sent(httpserver, QR_IMAGE)[0].headers["X-Mybring-API-Key"] == API_KEY
    assert sent(httpserver, LABEL) == []


def test_a_label_free_return_with_a_service_without_qr_codes_gets_a_label(
    settings: Settings, httpserver: HTTPServer
) -> None:
    settings.BRING_RETURN_PRODUCT = "0348"  # Home Delivery Parcel Return: no QR code
    not_booked_yet(httpserver)
    httpserver.expect_request(BOOK, method="POST").respond_with_json(local(httpserver, "bring_booking_label.json"))
    label_in_storage(httpserver)

    shipment = BringCarrier().create_shipment(dataclasses.replace(NORWEGIAN_RETURN, label_free=True))

    assert (shipment.label_pdf, shipment.dropoff_code) == (LABEL_PDF, "")
    assert "generateQrCodes" not in sent(httpserver, BOOK)[0].get_json()["consignments"][0]


def test_a_qr_code_needs_the_customers_email_and_says_so_before_booking(httpserver: HTTPServer) -> None:
    not_booked_yet(httpserver)
    without_email = dataclasses.replace(CUSTOMER, email="")

    with pytest.raises(CarrierRejected) as rejected:
        BringCarrier().create_shipment(dataclasses.replace(NORWEGIAN_RETURN, sender=without_email, label_free=True))

    assert rejected.value.field == "email"
    assert sent(httpserver, BOOK) == []


def test_a_label_link_on_another_host_is_not_followed(httpserver: HTTPServer) -> None:
    not_booked_yet(httpserver)
    httpserver.expect_request(BOOK, method="POST").respond_with_json(data("bring_booking_label.json"))

    with pytest.raises(CarrierUnavailable, match="no label"):
        BringCarrier().create_shipment(NORWEGIAN_RETURN)

    assert sent(httpserver, LABEL) == []


def test_asking_again_after_the_label_failed_uses_the_booking_and_books_nothing(httpserver: HTTPServer) -> None:
    not_booked_yet(httpserver)
    httpserver.expect_request(BOOK, method="POST").respond_with_json(local(httpserver, "bring_booking_label.json"))
    httpserver.expect_oneshot_request(LABEL).respond_with_json({"message": "Service Unavailable"}, status=503)
    with pytest.raises(CarrierUnavailable, match="503"):
        BringCarrier().create_shipment(NORWEGIAN_RETURN)
    label_in_storage(httpserver)

    shipment = BringCarrier().create_shipment(NORWEGIAN_RETURN)

    assert (shipment.tracking_number, shipment.label_pdf) == (PACKAGE, LABEL_PDF)
    assert len(sent(httpserver, BOOK)) == 1
    assert len(sent(httpserver, TRACK)) == 1


def test_asking_again_after_a_lost_answer_finds_the_booking_and_books_nothing(httpserver: HTTPServer) -> None:
    httpserver.expect_request(TRACK, query_string={"q": "R-7K3P9QX", "lang": "en"}).respond_with_json(
        data("bring_tracking_prenotified.json")
    )

    with pytest.raises(CarrierRejected) as rejected:
        BringCarrier().create_shipment(NORWEGIAN_RETURN)

    assert CONSIGNMENT in rejected.value.message and PACKAGE in rejected.value.message
    assert "Mybring" in rejected.value.message
    assert sent(httpserver, BOOK) == []
    assert sent(httpserver, TRACK)[0].headers["X-Mybring-API-Key"] == API_KEY


def test_test_bookings_say_so_to_bring(settings: Settings, httpserver: HTTPServer) -> None:
    settings.BRING_TEST_BOOKINGS = True
    not_booked_yet(httpserver)
    httpserver.expect_request(BOOK, method="POST").respond_with_json(local(httpserver, "bring_booking_label.json"))
    label_in_storage(httpserver)

    BringCarrier().create_shipment(NORWEGIAN_RETURN)

    assert sent(httpserver, BOOK)[0].headers["X-Bring-Test-Indicator"] == "true"


def test_the_adapter_is_the_one_settings_name() -> None:
    assert isinstance(carrier_named("bring"), BringCarrier)


# --- look-ups --------------------------------------------------------------------------------------


def test_pickup_points_nearest_the_address_with_hours_and_distance(httpserver: HTTPServer) -> None:
    httpserver.expect_request(POINTS).respond_with_json(data("bring_pickup_points.json"))

    first, second = BringCarrier().service_points(
        country="no", postcode="0555", street="Thorvald Meyers gate 51", limit=2
    )

    assert (first.id, first.name, first.street, first.postcode, first.city, first.country) == (
        "122245",
        "Coop Extra Grünerløkka",
        "Thorvald Meyers gate 49",
        "0555",
        "Oslo",
        "NO",
    )
    assert first.opening_hours == ("Mon–Fri 07:00–23:00", "Sat 08:00–22:00")
    assert (first.distance_m, second.distance_m) == (400, 1250)
    (lookup,) = sent(httpserver, POINTS)
    assert dict(lookup.args) == {"street": "Thorvald Meyers gate", "streetNumber": "51", "numberOfResponses": "2"}
    assert lookup.headers["X-Mybring-API-Uid"] == UID


def test_pickup_points_wait_only_the_short_look_up_time(
    settings: Settings, httpserver: HTTPServer, stalled: Callable[[Request], Response]
) -> None:
    settings.CARRIER_TIMEOUT_SECONDS = 30
    settings.CARRIER_LOOKUP_TIMEOUT_SECONDS = 1
    httpserver.expect_request(POINTS).respond_with_handler(stalled)

    with pytest.raises(CarrierUnavailable, match="did not answer within 1 s"):
        BringCarrier().service_points(country="NO", postcode="0555")


def test_opening_hours_read_as_short_lines_and_unknown_forms_stay_as_bring_wrote_them() -> None:
    assert opening_hour_lines("Mon - Fri: 1100-1800, Sat: 1100-1400") == ("Mon–Fri 11:00–18:00", "Sat 11:00–14:00")
    assert opening_hour_lines("Closed for renovation") == ("Closed for renovation",)
    assert opening_hour_lines("") == ()


def test_tracking_a_batch_maps_each_scan_to_a_stage(httpserver: HTTPServer) -> None:
    delayed = "370438101268058543"
    httpserver.expect_request(TRACK, query_string={"q": PACKAGE, "lang": "en"}).respond_with_json(
        data("bring_tracking_delivered.json")
    )
    httpserver.expect_request(TRACK, query_string={"q": delayed, "lang": "en"}).respond_with_json(
        data("bring_tracking_deviation.json")
    )
    httpserver.expect_request(TRACK, query_string={"q": "UNKNOWN123", "lang": "en"}).respond_with_json(
        data("bring_tracking_not_found.json")
    )

    events = BringCarrier().track([PACKAGE, delayed, "UNKNOWN123"])

    assert [(event.tracking_number, event.stage) for event in events] == [
        (PACKAGE, TrackingStage.BOOKED),
        (PACKAGE, TrackingStage.HANDED_IN),
        (PACKAGE, TrackingStage.IN_TRANSIT),
        (PACKAGE, TrackingStage.DELIVERED),
        (delayed, TrackingStage.PROBLEM),
    ]
    handed_in = events[1]
    assert handed_in.at == dt.datetime(2026, 11, 30, 15, 40, tzinfo=dt.timezone(dt.timedelta(hours=1)))
    assert handed_in.description == "The shipment has been handed in at Post i Butikk."
    assert handed_in.location == "0185 OSLO"
    assert len({event.event_id for event in events}) == 5
    assert [event.event_id for event in BringCarrier().track([PACKAGE])] == [e.event_id for e in events[:4]]


def test_a_first_scan_in_transit_counts_as_the_hand_in(httpserver: HTTPServer) -> None:
    answer = data("bring_tracking_delivered.json")
    package = answer["consignmentSet"][0]["packageSet"][0]
    package["eventSet"] = [event for event in package["eventSet"] if event["status"] != "HANDED_IN"]
    httpserver.expect_request(TRACK).respond_with_json(answer)

    stages = [event.stage for event in BringCarrier().track([PACKAGE])]

    assert stages == [TrackingStage.BOOKED, TrackingStage.HANDED_IN, TrackingStage.DELIVERED]


# --- pickups, cancelling, the check ----------------------------------------------------------------


def test_a_home_pickup_is_refused_in_clear_words_without_asking_bring(httpserver: HTTPServer) -> None:
    with pytest.raises(PickupRefused, match="pickup point"):
        BringCarrier().book_pickup(pickup_request(dt.date(2026, 12, 7)))

    assert httpserver.log == []


def test_a_return_nobody_has_scanned_can_be_cancelled(httpserver: HTTPServer) -> None:
    httpserver.expect_request(TRACK).respond_with_json(data("bring_tracking_prenotified.json"))
    shipment = Shipment(carrier="Bring", tracking_number=PACKAGE, qr_payload="", shipment_id=CONSIGNMENT)

    assert BringCarrier().cancel_shipment(shipment) is True


def test_a_return_handed_in_can_no_longer_be_cancelled(httpserver: HTTPServer) -> None:
    httpserver.expect_request(TRACK).respond_with_json(data("bring_tracking_delivered.json"))
    shipment = Shipment(carrier="Bring", tracking_number=PACKAGE, qr_payload="", shipment_id=CONSIGNMENT)

    assert BringCarrier().cancel_shipment(shipment) is False


def test_the_check_proves_the_key_and_the_customer_numbers_service_without_the_key(httpserver: HTTPServer) -> None:
    httpserver.expect_request(CUSTOMERS).respond_with_json(data("bring_customers.json"))

    lines = BringCarrier().check()

    assert lines == [
        "Bring: API key accepted for customer number 20012345678 (Nordväst Outfitters AS (20012345678)).",
        "Bring: returns book as service 9350.",
    ]
    assert API_KEY not in " ".join(lines)
    assert sent(httpserver, CUSTOMERS)[0].headers["X-Mybring-API-Key"] == API_KEY


def test_the_check_names_a_service_the_customer_number_may_not_book(settings: Settings, httpserver: HTTPServer) -> None:
    settings.BRING_RETURN_PRODUCT = "9600"
    httpserver.expect_request(CUSTOMERS).respond_with_json(data("bring_customers.json"))

    with pytest.raises(CarrierRejected, match="may not book service 9600"):
        BringCarrier().check()


def test_a_missing_key_is_named_not_sent(settings: Settings, httpserver: HTTPServer) -> None:
    settings.BRING_API_KEY = ""
    with pytest.raises(CarrierUnavailable, match="BRING_API_KEY is empty"):
        BringCarrier().create_shipment(NORWEGIAN_RETURN)
    assert httpserver.log == []


# --- errors ----------------------------------------------------------------------------------------


def test_a_validation_error_is_brings_words_and_the_field_to_fix(httpserver: HTTPServer) -> None:
    not_booked_yet(httpserver)
    httpserver.expect_request(BOOK, method="POST").respond_with_json(data("bring_booking_errors.json"), status=400)

    with pytest.raises(CarrierRejected) as rejected:
        BringCarrier().create_shipment(NORWEGIAN_RETURN)

    assert rejected.value.message == "Invalid postal Code"
    assert rejected.value.field == "postcode"


def test_an_error_in_the_warehouses_address_is_nothing_the_customer_can_fix(httpserver: HTTPServer) -> None:
    not_booked_yet(httpserver)
    answer = data("bring_booking_errors.json")
    answer["consignments"][0]["errors"][0]["code"] = "BOOK_INPUT-057-RECIPIENT"
    httpserver.expect_request(BOOK, method="POST").respond_with_json(answer, status=400)

    with pytest.raises(CarrierRejected) as rejected:
        BringCarrier().create_shipment(NORWEGIAN_RETURN)

    assert (rejected.value.message, rejected.value.field) == ("Invalid postal Code", "")


def test_a_refused_key_is_unavailable_and_the_key_stays_out_of_the_message(httpserver: HTTPServer) -> None:
    httpserver.expect_request(TRACK).respond_with_json({"message": "Unauthorized"}, status=401)

    with pytest.raises(CarrierUnavailable) as unavailable:
        BringCarrier().create_shipment(NORWEGIAN_RETURN)

    assert unavailable.value.message == "Bring refused the API key (401)."
    assert API_KEY not in str(unavailable.value)


def test_too_many_requests_keeps_retry_after(httpserver: HTTPServer) -> None:
    not_booked_yet(httpserver)
    httpserver.expect_request(BOOK, method="POST").respond_with_response(
        Response(json.dumps({"message": "Too Many Requests"}), status=429, headers={"Retry-After": "2"})
    )

    with pytest.raises(CarrierUnavailable, match="429") as unavailable:
        BringCarrier().create_shipment(NORWEGIAN_RETURN)

    assert unavailable.value.retry_after == 2


def test_a_server_error_means_try_later(httpserver: HTTPServer) -> None:
    not_booked_yet(httpserver)
    httpserver.expect_request(BOOK, method="POST").respond_with_json({"message": "Bad Gateway"}, status=502)

    with pytest.raises(CarrierUnavailable, match=r"server error \(502\)"):
        BringCarrier().create_shipment(NORWEGIAN_RETURN)


def test_a_booking_that_does_not_answer_in_time_is_unavailable_and_books_nothing_blind(
    settings: Settings, httpserver: HTTPServer, stalled: Callable[[Request], Response]
) -> None:
    settings.CARRIER_TIMEOUT_SECONDS = 1
    httpserver.expect_request(TRACK).respond_with_handler(stalled)

    with pytest.raises(CarrierUnavailable) as unavailable:
        BringCarrier().create_shipment(NORWEGIAN_RETURN)

    assert unavailable.value.message == "Bring did not answer within 1 s."
    assert unavailable.value.__cause__ is None and unavailable.value.__suppress_context__
    assert sent(httpserver, BOOK) == []
