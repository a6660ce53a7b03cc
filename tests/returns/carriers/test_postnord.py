"""PostNord's adapter against a local server that answers as PostNord's published OpenAPI documents show."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
from collections.abc import Callable
from zoneinfo import ZoneInfo

import pytest
from pytest_django.fixtures import Settings
from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

from returns.carriers import (
    CarrierRejected,
    CarrierUnavailable,
    PickupRefused,
    Shipment,
    TrackingStage,
    carrier_named,
)
from returns.carriers.postnord import PostNordCarrier, opening_hour_lines
from tests.returns.carriers.documented import RETURN, data, pickup_request, sent

API_KEY = "a" * 32
ITEM = "00370733741234567891"
BOOK = "/rest/shipment/v3/returns/edi/labels/pdf"
LOOKUP = "/rest/shipment/v7/trackandtrace/customernumber/20012345/reference/R-7K3P9QX/public"
REPRINT = "/rest/shipment/v3/labels/ids/pdf"
TRACK = "/rest/shipment/v7/trackandtrace/id/{}/public"
POINTS = "/rest/businesslocation/v5/servicepoints/nearest/byaddress"
PICKUPS = "/rest/shipment/v3/pickups"
HEALTH = "/rest/shipment/v3/edi/labels/manage/health"
STOCKHOLM = ZoneInfo("Europe/Stockholm")


@pytest.fixture(autouse=True)
def postnord(settings: Settings, httpserver: HTTPServer) -> None:
    settings.POSTNORD_BASE_URL = httpserver.url_for("")
    settings.POSTNORD_API_KEY = API_KEY
    settings.POSTNORD_CUSTOMER_NUMBER = "20012345"
    settings.POSTNORD_RETURN_SERVICE = "24"


def not_booked_yet(httpserver: HTTPServer) -> None:
    httpserver.expect_request(LOOKUP, method="GET").respond_with_json(data("postnord_unknown_reference.json"))


# --- booking ---------------------------------------------------------------------------------------


def test_a_return_is_booked_from_the_customer_to_the_warehouse_with_its_label(httpserver: HTTPServer) -> None:
    not_booked_yet(httpserver)
    httpserver.expect_request(BOOK, method="POST").respond_with_json(data("postnord_return_label.json"))

    shipment = PostNordCarrier().create_shipment(RETURN)

    assert shipment == Shipment(
        carrier="PostNord",
        tracking_number=ITEM,
        qr_payload=f"RETURN:R-7K3P9QX/TRACK:{ITEM}",
        label_pdf=b"%PDF-1.4 PostNord return label",
        shipment_id="00370733741234567884",
    )
    (booking,) = sent(httpserver, BOOK)
    assert booking.args["apikey"] == API_KEY
    assert booking.args["addQRCODE"] == "false"
    assert booking.args["paperSize"] == "A4"
    edi = booking.get_json()
    assert edi["updateIndicator"] == "Original"
    assert edi["messageFunction"] == "Instruction"
    (return_shipment,) = edi["shipment"]
    assert return_shipment["service"]["basicServiceCode"] == "24"
    assert return_shipment["references"] == [{"referenceNo": "R-7K3P9QX", "referenceType": "CU"}]
    assert return_shipment["totalGrossWeight"] == {"value": 1.0, "unit": "KGM"}
    consignor = return_shipment["parties"]["consignor"]
    assert consignor["issuerCode"] == "Z12"
    assert consignor["partyIdentification"] == {"partyId": "20012345", "partyIdType": "160"}
    assert consignor["party"]["nameIdentification"] == {"name": "Astrid Lindqvist"}
    assert consignor["party"]["address"] == {
        "streets": ["Sveavägen 44"],
        "postalCode": "11346",
        "city": "Stockholm",
        "countryCode": "SE",
    }
    assert consignor["party"]["contact"]["emailAddress"] == "astrid@example.se"
    consignee = return_shipment["parties"]["consignee"]["party"]
    assert consignee["nameIdentification"] == {"name": "Nordväst Outfitters Returns"}
    assert consignee["address"]["postalCode"] == "13650"
    assert [item["itemIdentification"] for item in return_shipment["goodsItem"][0]["items"]] == [{"itemId": "0"}]


def test_a_label_free_return_gets_postnords_qr_code_instead_of_a_label(httpserver: HTTPServer) -> None:
    not_booked_yet(httpserver)
    httpserver.expect_request(BOOK, method="POST").respond_with_json(data("postnord_return_qrcode.json"))

    shipment = PostNordCarrier().create_shipment(dataclasses.replace(RETURN, label_free=True))

    assert shipment.label_pdf == b""
    assert shipment.dropoff_code == ITEM
    assert shipment.dropoff_code_image.startswith(b"\x89PNG")
    (booking,) = sent(httpserver, BOOK)
    assert booking.args["addQRCODE"] == "true"
    assert booking.args["definePrintout"] == "onlyQRCode"
    assert booking.args["qrCodeFormat"] == "PNG"


def test_asking_again_after_a_lost_answer_finds_the_booking_and_books_nothing(httpserver: HTTPServer) -> None:
    httpserver.expect_request(LOOKUP, method="GET").respond_with_json(data("postnord_known_reference.json"))
    httpserver.expect_request(REPRINT, method="POST").respond_with_json(data("postnord_labels_by_id.json"))

    shipment = PostNordCarrier().create_shipment(RETURN)

    assert shipment.tracking_number == ITEM
    assert shipment.shipment_id == "00370733741234567884"
    assert shipment.label_pdf == b"%PDF-1.4 PostNord return label"
    assert sent(httpserver, BOOK) == []
    (reprint,) = sent(httpserver, REPRINT)
    assert reprint.get_json() == [{"id": ITEM}]
    assert sent(httpserver, LOOKUP)[0].args["apikey"] == API_KEY


def test_a_booking_postnord_answers_without_a_label_is_asked_again_rather_than_kept(httpserver: HTTPServer) -> None:
    not_booked_yet(httpserver)
    answer = data("postnord_return_label.json")
    answer["labelPrintout"] = []
    httpserver.expect_request(BOOK, method="POST").respond_with_json(answer)

    with pytest.raises(CarrierUnavailable, match="no label"):
        PostNordCarrier().create_shipment(RETURN)


def test_the_adapter_is_the_one_settings_name(settings: Settings) -> None:
    assert isinstance(carrier_named("postnord"), PostNordCarrier)


# --- look-ups --------------------------------------------------------------------------------------


def test_service_points_nearest_the_address_with_hours_and_distance(settings: Settings, httpserver: HTTPServer) -> None:
    httpserver.expect_request(POINTS, method="GET").respond_with_json(data("postnord_servicepoints.json"))

    points = PostNordCarrier().service_points(country="se", postcode="113 46", street="Sveavägen 44", limit=2)

    first, second = points
    assert (first.id, first.name, first.street, first.postcode, first.city, first.country) == (
        "586181",
        "ICA Supermarket Sabbatsberg",
        "Dalagatan 9",
        "11361",
        "STOCKHOLM",
        "SE",
    )
    assert first.opening_hours == ("Mon–Fri 08:00–21:00", "Sat–Sun 09:00–18:00")
    assert first.distance_m == 412
    assert second.opening_hours == ("Mon–Tue 10:00–12:00, 13:00–18:00", "Thu 10:00–18:00")
    assert second.distance_m == 1017
    (lookup,) = sent(httpserver, POINTS)
    assert dict(lookup.args) == {
        "apikey": API_KEY,
        "returnType": "json",
        "countryCode": "SE",
        "postalCode": "11346",
        "streetName": "Sveavägen",
        "streetNumber": "44",
        "numberOfServicePoints": "2",
        "responseFilter": "public",
    }


def test_service_points_wait_only_the_short_look_up_time(
    settings: Settings, httpserver: HTTPServer, stalled: Callable[[Request], Response]
) -> None:
    settings.CARRIER_TIMEOUT_SECONDS = 30
    settings.CARRIER_LOOKUP_TIMEOUT_SECONDS = 1
    httpserver.expect_request(POINTS).respond_with_handler(stalled)

    with pytest.raises(CarrierUnavailable, match="did not answer within 1 s"):
        PostNordCarrier().service_points(country="SE", postcode="11346")


def test_opening_hours_read_as_short_lines_with_closed_days_left_out() -> None:
    hours = [
        {"openDay": "MONDAY", "openTime": "09:00", "closeTime": "17:00"},
        {"openDay": "WEDNESDAY", "openTime": "09:00", "closeTime": "17:00"},
        {"openDay": "THURSDAY", "openTime": "09:00", "closeTime": "17:00"},
        {"openDay": "SUNDAY", "openTime": "12:00", "closeTime": "16:00"},
    ]
    assert opening_hour_lines(hours) == ("Mon 09:00–17:00", "Wed–Thu 09:00–17:00", "Sun 12:00–16:00")


def test_tracking_a_batch_maps_each_scan_to_a_stage(httpserver: HTTPServer) -> None:
    delayed = "00370733741234567907"
    httpserver.expect_request(TRACK.format(ITEM)).respond_with_json(data("postnord_track_delivered.json"))
    httpserver.expect_request(TRACK.format(delayed)).respond_with_json(data("postnord_track_delayed.json"))
    httpserver.expect_request(TRACK.format("UNKNOWN123")).respond_with_json({"message": "Not found"}, status=404)

    events = PostNordCarrier().track([ITEM, delayed, "UNKNOWN123"])

    assert [(event.tracking_number, event.stage) for event in events] == [
        (ITEM, TrackingStage.BOOKED),
        (ITEM, TrackingStage.HANDED_IN),
        (ITEM, TrackingStage.IN_TRANSIT),
        (ITEM, TrackingStage.DELIVERED),
        (delayed, TrackingStage.PROBLEM),
    ]
    handed_in = events[1]
    assert handed_in.at == dt.datetime(2026, 11, 30, 15, 40, tzinfo=STOCKHOLM)
    assert handed_in.description == "The shipment item has been dropped off by the sender"
    assert handed_in.location == "ICA Supermarket Sabbatsberg, STOCKHOLM"
    assert events[2].location == "Stockholm Terminal"
    assert len({event.event_id for event in events}) == 5
    assert [event.event_id for event in PostNordCarrier().track([ITEM])] == [e.event_id for e in events[:4]]
    assert all(request.args["apikey"] == API_KEY for request, _ in httpserver.log)


# --- pickups, cancelling, the check ----------------------------------------------------------------


def test_a_pickup_is_booked_in_the_configured_window(settings: Settings, httpserver: HTTPServer) -> None:
    settings.RETURN_PICKUP_WINDOW = "09:00–16:00"
    httpserver.expect_request(PICKUPS, method="POST").respond_with_json(data("postnord_pickup_booked.json"), status=201)

    booking = PostNordCarrier().book_pickup(pickup_request(dt.date(2026, 12, 7)))

    assert (booking.reference, booking.window) == ("PU-5510234", "09:00–16:00")
    body = sent(httpserver, PICKUPS)[0].get_json()
    assert body["messageFunction"] == "PickupBooking"
    dates = body["shipment"][0]["dateAndTimes"]
    assert dates == {"earliestPickupDate": "2026-12-07T09:00:00+01:00", "latestPickupDate": "2026-12-07T16:00:00+01:00"}
    assert body["shipment"][0]["parties"]["consignor"]["party"]["address"]["streets"] == ["Sveavägen 44"]


def test_a_pickup_postnord_cannot_make_is_refused_in_its_words(httpserver: HTTPServer) -> None:
    httpserver.expect_request(PICKUPS, method="POST").respond_with_json(
        data("postnord_pickup_refused.json"), status=400
    )

    with pytest.raises(PickupRefused, match="Pickup is not available for postal code 98132"):
        PostNordCarrier().book_pickup(pickup_request(dt.date(2026, 12, 5)))


def test_a_return_nobody_has_scanned_can_be_cancelled(httpserver: HTTPServer) -> None:
    httpserver.expect_request(TRACK.format(ITEM)).respond_with_json(data("postnord_track_booked_only.json"))
    shipment = Shipment(carrier="PostNord", tracking_number=ITEM, qr_payload="", shipment_id="x")

    assert PostNordCarrier().cancel_shipment(shipment) is True


def test_a_return_handed_in_can_no_longer_be_cancelled(httpserver: HTTPServer) -> None:
    httpserver.expect_request(TRACK.format(ITEM)).respond_with_json(data("postnord_track_delivered.json"))
    shipment = Shipment(carrier="PostNord", tracking_number=ITEM, qr_payload="", shipment_id="x")

    assert PostNordCarrier().cancel_shipment(shipment) is False


def test_the_check_proves_the_key_and_says_what_it_books_without_the_key(httpserver: HTTPServer) -> None:
    httpserver.expect_request(HEALTH).respond_with_json(data("postnord_health.json"))
    lookup = "/rest/shipment/v7/trackandtrace/customernumber/20012345/reference/CARRIER-CHECK/public"
    httpserver.expect_request(lookup).respond_with_json(data("postnord_unknown_reference.json"))

    lines = PostNordCarrier().check()

    assert lines == [
        "PostNord: API key accepted; booking API is up.",
        "PostNord: returns book as service 24 for customer number 20012345.",
    ]
    assert API_KEY not in " ".join(lines)


def test_a_missing_key_is_named_not_sent(settings: Settings, httpserver: HTTPServer) -> None:
    settings.POSTNORD_API_KEY = ""
    with pytest.raises(CarrierUnavailable, match="POSTNORD_API_KEY is empty"):
        PostNordCarrier().create_shipment(RETURN)
    assert httpserver.log == []


# --- errors ----------------------------------------------------------------------------------------


def test_a_validation_error_is_postnords_words_and_the_field_to_fix(httpserver: HTTPServer) -> None:
    not_booked_yet(httpserver)
    httpserver.expect_request(BOOK, method="POST").respond_with_json(data("postnord_booking_fault.json"), status=400)

    with pytest.raises(CarrierRejected) as rejected:
        PostNordCarrier().create_shipment(RETURN)

    assert rejected.value.message == "Invalid postal code for country SE"
    assert rejected.value.field == "postcode"


def test_a_refused_key_is_unavailable_and_the_key_stays_out_of_the_message(httpserver: HTTPServer) -> None:
    httpserver.expect_request(LOOKUP).respond_with_json({"message": "Invalid API Key"}, status=401)

    with pytest.raises(CarrierUnavailable) as unavailable:
        PostNordCarrier().create_shipment(RETURN)

    assert unavailable.value.message == "PostNord refused the API key (401)."
    assert API_KEY not in str(unavailable.value)


def test_too_many_requests_keeps_retry_after(httpserver: HTTPServer) -> None:
    httpserver.expect_request(LOOKUP).respond_with_response(
        Response(json.dumps({"message": "Too Many Requests"}), status=429, headers={"Retry-After": "30"})
    )

    with pytest.raises(CarrierUnavailable, match="429") as unavailable:
        PostNordCarrier().create_shipment(RETURN)

    assert unavailable.value.retry_after == 30


def test_a_server_error_means_try_later(httpserver: HTTPServer) -> None:
    not_booked_yet(httpserver)
    httpserver.expect_request(BOOK, method="POST").respond_with_json({"message": "Service Unavailable"}, status=503)

    with pytest.raises(CarrierUnavailable, match=r"server error \(503\)"):
        PostNordCarrier().create_shipment(RETURN)


def test_a_booking_that_does_not_answer_in_time_is_unavailable_and_books_nothing_blind(
    settings: Settings, httpserver: HTTPServer, stalled: Callable[[Request], Response]
) -> None:
    settings.CARRIER_TIMEOUT_SECONDS = 1
    httpserver.expect_request(LOOKUP).respond_with_handler(stalled)

    with pytest.raises(CarrierUnavailable) as unavailable:
        PostNordCarrier().create_shipment(RETURN)

    assert unavailable.value.message == "PostNord did not answer within 1 s."
    # requests' own exception names the URL, key and all: it is dropped, not chained for a log to print.
    assert unavailable.value.__cause__ is None and unavailable.value.__suppress_context__
