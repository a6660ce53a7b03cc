"""nShift Delivery's adapter against a local server that answers as nShift's REST API documents show."""

from __future__ import annotations

import base64
import dataclasses
import datetime as dt
import json
from collections.abc import Callable, Iterator
from email.utils import format_datetime

import pytest
from django.core.cache import cache
from django.utils import timezone
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
from returns.carriers.nshift import ALERTS_CURSOR, NShiftCarrier
from tests.returns.carriers.documented import RETURN, data, pickup_request, sent

API_ID = "A1B2C3D4E5F6G7H8"
SECRET = "s3cr3ts3cr3ts3cr3ts3cr3t"
BASIC = "Basic " + base64.b64encode(f"{API_ID}:{SECRET}".encode()).decode()
STORED = "/stored-shipments"
PRINT = "/stored-shipments/4127538/shipments"
PARCEL = "85963053713SE"


@pytest.fixture(autouse=True)
def nshift(settings: Settings, httpserver: HTTPServer) -> Iterator[None]:
    settings.NSHIFT_BASE_URL = httpserver.url_for("")
    settings.NSHIFT_API_ID = API_ID
    settings.NSHIFT_API_SECRET = SECRET
    settings.NSHIFT_SENDER_QUICK_ID = "1"
    settings.NSHIFT_RETURN_SERVICE = "P24"
    settings.NSHIFT_AGENT_TYPE = "POSTNORD"
    cache.clear()  # the feed's cursor and the events filed from it
    yield
    cache.clear()


def nothing_stored(httpserver: HTTPServer) -> None:
    httpserver.expect_request(STORED, method="GET").respond_with_json([])


def printed(httpserver: HTTPServer) -> None:
    httpserver.expect_request(PRINT, method="POST").respond_with_json(data("nshift_printed_shipments.json"), status=201)


# --- booking ---------------------------------------------------------------------------------------


def test_a_return_is_stored_with_the_return_number_and_printed_with_its_label(httpserver: HTTPServer) -> None:
    nothing_stored(httpserver)
    httpserver.expect_request(STORED, method="POST").respond_with_json(data("nshift_stored_shipment.json"), status=201)
    printed(httpserver)

    shipment = NShiftCarrier().create_shipment(RETURN)

    assert shipment == Shipment(
        carrier="PostNord",
        tracking_number=PARCEL,
        qr_payload=f"RETURN:R-7K3P9QX/TRACK:{PARCEL}",
        label_pdf=b"%PDF-1.4 nShift return label",
        shipment_id="5666306",
    )
    assert all(request.headers["Authorization"] == BASIC for request, _ in httpserver.log)
    (search,) = sent(httpserver, STORED)[:1]
    assert dict(search.args) == {"searchField": "reference", "searchOp": "equals", "searchValue": "R-7K3P9QX"}
    body = sent(httpserver, STORED)[1].get_json()
    assert body["service"] == {"id": "P24", "normalShipment": False, "returnShipment": True}
    assert body["sender"] == {
        "quickId": "1",
        "name": "Nordväst Outfitters Returns",
        "address1": "Lagervägen 12",
        "zipcode": "13650",
        "city": "Haninge",
        "country": "SE",
        "email": "returns@example.se",
    }
    assert body["receiver"]["name"] == "Astrid Lindqvist"
    assert body["receiver"]["address1"] == "Sveavägen 44"
    assert body["receiver"]["zipcode"] == "11346"
    assert body["receiver"]["mobile"] == "+46701234567"
    assert (body["senderReference"], body["orderNo"]) == ("R-7K3P9QX", "R-7K3P9QX")
    assert body["parcels"] == [{"copies": 1, "weight": 1.0, "contents": "Return"}]
    assert "agent" not in body
    (print_request,) = sent(httpserver, PRINT)
    assert print_request.args["inlinePdf"] == "true"
    assert print_request.get_json()["target1Media"] == "laser-a4"


def test_the_chosen_service_point_goes_to_the_booking_as_its_agent(httpserver: HTTPServer) -> None:
    nothing_stored(httpserver)
    httpserver.expect_request(STORED, method="POST").respond_with_json(data("nshift_stored_shipment.json"), status=201)
    printed(httpserver)

    NShiftCarrier().create_shipment(dataclasses.replace(RETURN, service_point_id="586181"))

    assert sent(httpserver, STORED)[1].get_json()["agent"] == {"quickId": "586181"}


def test_a_label_nshift_only_links_to_is_fetched(httpserver: HTTPServer) -> None:
    nothing_stored(httpserver)
    httpserver.expect_request(STORED, method="POST").respond_with_json(data("nshift_stored_shipment.json"), status=201)
    shipments = data("nshift_printed_shipments.json")
    shipments[0]["pdfs"][0] |= {"pdf": None, "href": httpserver.url_for("/shipments/5666306/pdfs/10234441")}
    httpserver.expect_request(PRINT, method="POST").respond_with_json(shipments, status=201)
    httpserver.expect_request("/shipments/5666306/pdfs/10234441").respond_with_data(
        b"%PDF-1.4 linked", content_type="application/pdf"
    )

    assert NShiftCarrier().create_shipment(RETURN).label_pdf == b"%PDF-1.4 linked"


def test_a_label_link_to_another_host_gets_no_credentials(httpserver: HTTPServer) -> None:
    nothing_stored(httpserver)
    httpserver.expect_request(STORED, method="POST").respond_with_json(data("nshift_stored_shipment.json"), status=201)
    shipments = data("nshift_printed_shipments.json")
    shipments[0]["pdfs"][0] |= {"pdf": None, "href": "https://labels.example.net/10234441.pdf"}
    httpserver.expect_request(PRINT, method="POST").respond_with_json(shipments, status=201)

    with pytest.raises(CarrierUnavailable, match="no label"):
        NShiftCarrier().create_shipment(RETURN)


def test_asking_again_prints_the_stored_shipment_and_stores_nothing_new(httpserver: HTTPServer) -> None:
    httpserver.expect_request(STORED, method="GET").respond_with_json([data("nshift_stored_shipment.json")])
    printed(httpserver)

    shipment = NShiftCarrier().create_shipment(RETURN)

    assert shipment.tracking_number == PARCEL
    assert [request.method for request in sent(httpserver, STORED)] == ["GET"]


def test_a_stored_shipment_printed_already_is_never_booked_twice(httpserver: HTTPServer) -> None:
    httpserver.expect_request(STORED, method="GET").respond_with_json(
        [{**data("nshift_stored_shipment.json"), "status": "PRINTED"}]
    )

    with pytest.raises(CarrierRejected, match="already printed the shipment with reference R-7K3P9QX"):
        NShiftCarrier().create_shipment(RETURN)

    assert [request.method for request, _ in httpserver.log] == ["GET"]


def test_an_invalid_stored_shipment_is_replaced(httpserver: HTTPServer) -> None:
    httpserver.expect_request(STORED, method="GET").respond_with_json(
        [{**data("nshift_stored_shipment.json"), "id": "4127500", "status": "INVALID"}]
    )
    httpserver.expect_request("/stored-shipments/4127500", method="DELETE").respond_with_data(b"", status=204)
    httpserver.expect_request(STORED, method="POST").respond_with_json(data("nshift_stored_shipment.json"), status=201)
    printed(httpserver)

    assert NShiftCarrier().create_shipment(RETURN).tracking_number == PARCEL
    assert [request.method for request, _ in httpserver.log] == ["GET", "DELETE", "POST", "POST"]


def test_a_label_free_return_gets_a_label_as_nshift_documents_no_label_free_option(httpserver: HTTPServer) -> None:
    nothing_stored(httpserver)
    httpserver.expect_request(STORED, method="POST").respond_with_json(data("nshift_stored_shipment.json"), status=201)
    printed(httpserver)

    shipment = NShiftCarrier().create_shipment(dataclasses.replace(RETURN, label_free=True))

    assert shipment.label_pdf and not shipment.dropoff_code


def test_the_adapter_is_the_one_settings_name_and_is_named_for_the_carrier(settings: Settings) -> None:
    assert carrier_named("nshift").name == "PostNord"
    settings.NSHIFT_AGENT_TYPE = "DHLSP"
    assert NShiftCarrier().name == "DHL"
    settings.NSHIFT_AGENT_TYPE = "SOMETHING"
    assert NShiftCarrier().name == "nShift"


# --- look-ups --------------------------------------------------------------------------------------


def test_service_points_are_the_agents_of_the_configured_type(httpserver: HTTPServer) -> None:
    httpserver.expect_request("/addresses/agents").respond_with_json(data("nshift_agents.json"))

    points = NShiftCarrier().service_points(country="se", postcode="113 46", street="Sveavägen 44", limit=2)

    assert [(p.id, p.name, p.street, p.postcode, p.city, p.country) for p in points] == [
        ("586181", "ICA Supermarket Sabbatsberg", "Dalagatan 9", "11361", "STOCKHOLM", "SE"),
        ("586169", "Tidningsspecialisten", "Odengatan 30", "11351", "STOCKHOLM", "SE"),
    ]
    assert points[0].opening_hours == ("Mån-Fre 08-21", "Lör-Sön 09-18")
    assert points[1].opening_hours == ()
    assert points[0].distance_m is None  # nShift's agents come nearest first, without a distance
    (lookup,) = sent(httpserver, "/addresses/agents")
    assert dict(lookup.args) == {"type": "POSTNORD", "zip": "11346", "street": "Sveavägen 44", "countryCode": "SE"}


def test_service_points_wait_only_the_short_look_up_time(
    settings: Settings, httpserver: HTTPServer, stalled: Callable[[Request], Response]
) -> None:
    settings.CARRIER_LOOKUP_TIMEOUT_SECONDS = 1
    httpserver.expect_request("/addresses/agents").respond_with_handler(stalled)

    with pytest.raises(CarrierUnavailable, match="did not answer within 1 s"):
        NShiftCarrier().service_points(country="SE", postcode="11346")


def test_tracking_reads_the_status_feed_for_the_batch_and_remembers_where_it_stopped(httpserver: HTTPServer) -> None:
    httpserver.expect_request("/alerts", query_string={"fetchId": "-1"}).respond_with_json(
        data("nshift_alerts_page1.json")
    )
    httpserver.expect_request("/alerts", query_string={"fetchId": "2"}).respond_with_json(
        data("nshift_alerts_page2.json")
    )

    events = NShiftCarrier().track([PARCEL, "22222222222SE"])

    assert [(event.tracking_number, event.stage) for event in events] == [
        (PARCEL, TrackingStage.BOOKED),
        (PARCEL, TrackingStage.BOOKED),
        (PARCEL, TrackingStage.HANDED_IN),
        (PARCEL, TrackingStage.IN_TRANSIT),
        (PARCEL, TrackingStage.DELIVERED),
        ("22222222222SE", TrackingStage.PROBLEM),
    ]
    assert events[4].at == dt.datetime(2026, 12, 3, 9, 15, tzinfo=dt.UTC)
    assert events[4].description == "Event delivered"
    assert len({event.event_id for event in events}) == 6
    assert cache.get(ALERTS_CURSOR) == "3"


def test_tracking_goes_on_from_the_remembered_place(httpserver: HTTPServer) -> None:
    cache.set(ALERTS_CURSOR, "2")
    httpserver.expect_request("/alerts", query_string={"fetchId": "2"}).respond_with_json(
        data("nshift_alerts_page2.json")
    )

    assert len(NShiftCarrier().track([PARCEL])) == 3


def test_a_later_batch_still_gets_the_events_an_earlier_call_read(httpserver: HTTPServer) -> None:
    cache.set(ALERTS_CURSOR, "2")
    httpserver.expect_request("/alerts", query_string={"fetchId": "2"}).respond_with_json(
        data("nshift_alerts_page2.json")
    )
    httpserver.expect_request("/alerts", query_string={"fetchId": "3"}).respond_with_json(
        {"fetchId": "3", "done": True, "minDelay": 100, "alerts": []}
    )

    first = NShiftCarrier().track([PARCEL])
    later = NShiftCarrier().track(["22222222222SE"])

    assert {event.tracking_number for event in first} == {PARCEL}
    assert [(event.tracking_number, event.stage) for event in later] == [("22222222222SE", TrackingStage.PROBLEM)]
    assert NShiftCarrier().track([PARCEL]) == first  # read again, filed once


def test_events_of_outgoing_shipments_are_not_kept(httpserver: HTTPServer) -> None:
    httpserver.expect_request("/alerts", query_string={"fetchId": "-1"}).respond_with_json(
        data("nshift_alerts_page1.json") | {"done": True}
    )

    assert NShiftCarrier().track(["11111111111SE"]) == []


# --- pickups, cancelling, the check ----------------------------------------------------------------


def test_a_pickup_for_a_booked_return_is_refused_in_clear_words(httpserver: HTTPServer) -> None:
    with pytest.raises(PickupRefused, match="only together with a new shipment"):
        NShiftCarrier().book_pickup(pickup_request(dt.date(2026, 12, 7)))
    assert httpserver.log == []


def test_cancelling_discards_the_shipment(httpserver: HTTPServer) -> None:
    httpserver.expect_request("/shipments/5666306", method="DELETE").respond_with_data(b"", status=204)
    shipment = Shipment(carrier="PostNord", tracking_number=PARCEL, qr_payload="", shipment_id="5666306")

    assert NShiftCarrier().cancel_shipment(shipment) is True


def test_a_shipment_nshift_no_longer_has_cannot_be_cancelled(httpserver: HTTPServer) -> None:
    httpserver.expect_request("/shipments/5666306", method="DELETE").respond_with_data(b"", status=404)
    shipment = Shipment(carrier="PostNord", tracking_number=PARCEL, qr_payload="", shipment_id="5666306")

    assert NShiftCarrier().cancel_shipment(shipment) is False


def test_the_check_proves_the_key_and_names_the_service_without_secrets(httpserver: HTTPServer) -> None:
    httpserver.expect_request(STORED, method="GET").respond_with_json([])

    lines = NShiftCarrier().check()

    assert lines == [
        "nShift: API key accepted (stored shipments).",
        "nShift: returns book as service P24 from sender 1; service points are PostNord's (POSTNORD).",
    ]
    assert SECRET not in " ".join(lines) and API_ID not in " ".join(lines)


def test_a_missing_service_is_named(settings: Settings) -> None:
    settings.NSHIFT_RETURN_SERVICE = ""
    with pytest.raises(CarrierUnavailable, match="NSHIFT_RETURN_SERVICE is empty"):
        NShiftCarrier().check()


# --- errors ----------------------------------------------------------------------------------------


def test_validation_errors_are_nshifts_words_and_the_field_to_fix(httpserver: HTTPServer) -> None:
    nothing_stored(httpserver)
    httpserver.expect_request(STORED, method="POST").respond_with_json(
        data("nshift_validation_errors.json"), status=422
    )

    with pytest.raises(CarrierRejected) as rejected:
        NShiftCarrier().create_shipment(RETURN)

    assert rejected.value.message == "Not valid postal code"
    assert rejected.value.field == "postcode"


def test_a_shipment_stored_as_invalid_is_refused_with_its_statuses(httpserver: HTTPServer) -> None:
    nothing_stored(httpserver)
    invalid = data("nshift_stored_shipment.json") | {
        "status": "INVALID",
        "statuses": [{"message": "Mobile number missing", "field": "Receiver_Mobile", "type": "error"}],
    }
    httpserver.expect_request(STORED, method="POST").respond_with_json(invalid, status=201)

    with pytest.raises(CarrierRejected) as rejected:
        NShiftCarrier().create_shipment(RETURN)

    assert (rejected.value.message, rejected.value.field) == ("Mobile number missing", "phone")
    assert sent(httpserver, PRINT) == []


def test_a_bad_request_is_refused_in_nshifts_words(httpserver: HTTPServer) -> None:
    httpserver.expect_request("/addresses/agents").respond_with_json(
        {"code": "MISSING", "message": "Missing zip argument"}, status=400
    )

    with pytest.raises(CarrierRejected) as rejected:
        NShiftCarrier().service_points(country="SE", postcode="")

    assert (rejected.value.message, rejected.value.field) == ("Missing zip argument", "postcode")


@pytest.mark.parametrize("status", [401, 403])
def test_refused_credentials_are_unavailable_without_the_secret(httpserver: HTTPServer, status: int) -> None:
    httpserver.expect_request(STORED).respond_with_data(b"", status=status)

    with pytest.raises(CarrierUnavailable) as unavailable:
        NShiftCarrier().create_shipment(RETURN)

    assert unavailable.value.message == f"nShift refused the API key ({status})."
    assert SECRET not in str(unavailable.value)


def test_too_many_requests_keeps_retry_after_as_an_http_date(httpserver: HTTPServer) -> None:
    in_two_minutes = format_datetime(timezone.now().astimezone(dt.UTC) + dt.timedelta(minutes=2), usegmt=True)
    httpserver.expect_request(STORED).respond_with_response(
        Response(
            json.dumps({"code": "LIMIT", "message": "Too many requests"}),
            status=429,
            headers={"Retry-After": in_two_minutes},
        )
    )

    with pytest.raises(CarrierUnavailable) as unavailable:
        NShiftCarrier().create_shipment(RETURN)

    assert unavailable.value.retry_after == 120


def test_a_server_error_means_try_later(httpserver: HTTPServer) -> None:
    httpserver.expect_request(STORED).respond_with_json({"code": "INTERNAL", "message": "Internal error"}, status=500)

    with pytest.raises(CarrierUnavailable, match=r"server error \(500\)"):
        NShiftCarrier().create_shipment(RETURN)


def test_a_print_that_does_not_answer_in_time_is_unavailable(
    settings: Settings, httpserver: HTTPServer, stalled: Callable[[Request], Response]
) -> None:
    settings.CARRIER_TIMEOUT_SECONDS = 1
    httpserver.expect_request(STORED, method="GET").respond_with_json([data("nshift_stored_shipment.json")])
    httpserver.expect_request(PRINT, method="POST").respond_with_handler(stalled)

    with pytest.raises(CarrierUnavailable) as unavailable:
        NShiftCarrier().create_shipment(RETURN)

    assert unavailable.value.message == "nShift did not answer within 1 s."
