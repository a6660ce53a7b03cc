"""A return with a real carrier's adapter in a real browser: PostNord (answered by a local server that
speaks PostNord's documented shapes), a chosen service point, a label-free code, and its tracking."""

from __future__ import annotations

import base64
import copy
import io
import json
import re
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command
from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

from returns.models import CarrierRoute, Customer, ReturnRequest
from returns.services.tracking import returns_track
from tests.e2e.test_customer_return import find_order, pick, say
from tests.returns.carrier_doubles import qr_png

pytestmark = pytest.mark.django_db(transaction=True)

DATA = Path(__file__).resolve().parents[1] / "returns" / "carriers" / "data"
ITEM_ID = "00370733741234567891"  # the item id in PostNord's documented QR booking answer
PHONE = {"viewport": {"width": 360, "height": 740}, "device_scale_factor": 2, "is_mobile": True}


def postnord(name: str) -> Any:
    return json.loads((DATA / name).read_text(encoding="utf-8"))


def first_scan() -> dict[str, Any]:
    """Track & Trace for the item: booked, then dropped off at the service point, nothing more yet."""
    answer = copy.deepcopy(postnord("postnord_track_delivered.json"))
    item = answer["TrackingInformationResponse"]["shipments"][0]["items"][0]
    item["events"] = [event for event in item["events"] if event["eventCode"] in ("EDI_RECEIVED", "DROPPED_OFF")]
    item["status"] = answer["TrackingInformationResponse"]["shipments"][0]["status"] = "EN_ROUTE"
    return answer


class Bookings:
    """PostNord's booking endpoint: it refuses the sender's postcode `refusals` times, then books."""

    def __init__(self) -> None:
        self.refusals = 0

    def __call__(self, request: Request) -> Response:
        if self.refusals:
            self.refusals -= 1
            return Response(json.dumps(postnord("postnord_booking_fault.json")), 400, content_type="application/json")
        return Response(json.dumps(booked_with_a_qr_code()), 200, content_type="application/json")


def booked_with_a_qr_code() -> dict[str, Any]:
    """PostNord's documented QR booking, with a real PNG where its example has a placeholder (a PNG
    signature and some words): PostNord's scanners read their own code, so the page shows this picture."""
    answer = postnord("postnord_return_qrcode.json")
    answer["labelPrintout"][0]["printout"]["data"] = base64.b64encode(PICTURE).decode()
    return answer


PICTURE = qr_png(f"POSTNORD-RETURN:{ITEM_ID}", scale=4)  # a stand-in for PostNord's own code: its content is theirs


@pytest.fixture
def bookings() -> Bookings:
    return Bookings()


@pytest.fixture
def swedish_shop(migration_data: None, settings: Any, httpserver: HTTPServer, bookings: Bookings) -> HTTPServer:
    """The demo shop, with Swedish QR drop-off returns going by PostNord, answered by `httpserver`."""
    call_command("seed_demo", stdout=io.StringIO())
    settings.POSTNORD_BASE_URL = httpserver.url_for("/")
    settings.POSTNORD_API_KEY, settings.POSTNORD_CUSTOMER_NUMBER = "test-api-key", "20012345"
    CarrierRoute.objects.create(country="SE", method="qr", carrier="postnord")
    httpserver.expect_request("/rest/businesslocation/v5/servicepoints/nearest/byaddress").respond_with_json(
        postnord("postnord_servicepoints.json")
    )
    by_reference = re.compile(r"/rest/shipment/v7/trackandtrace/customernumber/20012345/reference/.+/public")
    httpserver.expect_request(by_reference).respond_with_json(postnord("postnord_unknown_reference.json"))
    httpserver.expect_request("/rest/shipment/v3/returns/edi/labels/pdf", method="POST").respond_with_handler(bookings)
    return httpserver


def second_point() -> dict[str, Any]:
    return postnord("postnord_servicepoints.json")["servicePointInformationResponse"]["servicePoints"][1]


def assert_shows_the_carriers_picture(code) -> None:
    """PostNord's picture of the code, loaded through the status link, large enough to scan from a phone."""
    picture = code.locator("img.dropoff-image")
    assert code.locator("svg").count() == 0  # one code to scan: the carrier's, not the portal's drawing
    assert picture.evaluate("image => image.decode().then(() => image.naturalWidth)") > 0  # a real PNG, loaded
    assert picture.get_attribute("alt") == say("sv", "QR code to show at the service point")
    box = picture.bounding_box()
    assert box is not None and box["width"] >= 250 and abs(box["width"] - box["height"]) < 1  # square, phone-sized
    assert picture.evaluate("image => getComputedStyle(image).imageRendering") == "pixelated"


def to_the_how_step(page, base: str) -> None:
    find_order(page, base, "NV-10001", "113 46")
    pick(page, "Rain jacket", "1", "too_big")
    page.click("main button[type=submit]")
    page.wait_for_selector("#service-points")


def test_a_swedish_customer_picks_a_postnord_point_shows_the_code_and_follows_the_parcel(
    live_server, page, shots, swedish_shop: HTTPServer
) -> None:
    to_the_how_step(page, live_server.url)
    page.check("input[name=resolution][value=refund]")
    page.check("input[name=method][value=qr]")
    chosen = second_point()
    points = page.locator("#service-points .point")
    listed = postnord("postnord_servicepoints.json")["servicePointInformationResponse"]["servicePoints"]
    assert points.count() == len(listed) + 1  # the points, then "any point"
    assert page.locator("input[name=service_point]").first.is_checked()  # the nearest, preselected
    points.nth(1).click()  # the whole card is the tap target
    assert page.locator(f"input[name=service_point][value='{chosen['servicePointId']}']").is_checked()
    shots(page, "how-with-service-points")
    page.click("main button[type=submit]")
    assert chosen["name"] in page.inner_text("main")
    shots(page, "confirm")
    page.click("main button[type=submit]")

    code = page.locator("#dropoff-code")
    code.wait_for()
    return_request = ReturnRequest.objects.get(order__number="NV-10001")
    assert return_request.service_point["id"] == chosen["servicePointId"]
    assert return_request.dropoff_code == ITEM_ID
    assert "0037 0733 7412 3456 7891" in code.inner_text()  # read out in groups of four
    show = say("sv", "Show this at %(point)s") % {"point": chosen["name"]}
    assert show in code.inner_text()
    assert_shows_the_carriers_picture(code)
    shots(page, "status-with-code")

    swedish_shop.expect_request(f"/rest/shipment/v7/trackandtrace/id/{ITEM_ID}/public").respond_with_json(first_scan())
    assert returns_track() == 2
    page.reload()
    page.locator(".parcel").wait_for()
    return_request.refresh_from_db()
    assert return_request.state == "in_transit"
    assert page.locator(".badge-in_transit").inner_text() == say("sv", "In transit")
    handed_in = say("sv", "Handed in at %(place)s on %(when)s").split("%(place)s")[0]
    assert f"{handed_in}ICA Supermarket Sabbatsberg, Stockholm" in page.inner_text(".parcel")
    shots(page, "status-in-transit")


def test_the_picker_and_the_code_on_a_phone(live_server, browser, shots, swedish_shop: HTTPServer) -> None:
    context = browser.new_context(**PHONE)
    page = context.new_page()
    to_the_how_step(page, live_server.url)
    page.check("input[name=resolution][value=refund]")
    page.check("input[name=method][value=qr]")
    shots(page, "phone-how")
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    for card in page.locator("#service-points .point").all():
        box = card.bounding_box()
        assert box is not None and box["height"] >= 44  # thumb-sized
    page.check("input[name=method][value=pickup]")
    assert not page.locator("#service-points").is_visible()  # no point to choose for a home pickup
    page.check("input[name=method][value=qr]")
    page.locator("input[name=service_point]").first.focus()
    page.keyboard.press("ArrowDown")  # one radio group: the arrow keys move the choice
    assert page.locator("input[name=service_point]").nth(1).is_checked()
    page.click("main button[type=submit]")
    page.click("main button[type=submit]")
    page.locator("#dropoff-code").wait_for()
    assert_shows_the_carriers_picture(page.locator("#dropoff-code"))
    shots(page, "phone-status-with-code")
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    context.close()


def test_a_customer_without_an_address_is_asked_for_it(live_server, page, browser, shots, swedish_shop) -> None:
    Customer.objects.filter(email="astrid.lindqvist@example.se").update(street="", city="")
    find_order(page, live_server.url, "NV-10001", "113 46")
    pick(page, "Rain jacket", "1", "too_big")
    page.click("main button[type=submit]")
    page.wait_for_selector("#id_street")
    page.fill("#id_street", "Sveavägen 44")
    page.fill("#id_postcode", "1134")
    page.fill("#id_city", "Stockholm")
    page.click("main button[type=submit]")
    page.wait_for_selector("#error-summary")
    shots(page, "address-refused")
    page.fill("#id_postcode", "11346")
    page.click("main button[type=submit]")
    page.wait_for_selector("#service-points")
    assert "Sveavägen 44, 113 46 Stockholm" in page.inner_text("main")

    phone = browser.new_context(**PHONE).new_page()
    find_order(phone, live_server.url, "NV-10001", "113 46")
    pick(phone, "Rain jacket", "1", "too_big")
    phone.click("main button[type=submit]")
    phone.wait_for_selector("#id_street")
    shots(phone, "phone-address")
    assert phone.evaluate("document.documentElement.scrollWidth") <= 360
    phone.context.close()


def test_a_postcode_the_carrier_refused_is_fixed_on_the_status_page(
    live_server, page, browser, shots, swedish_shop: HTTPServer, bookings: Bookings
) -> None:
    Customer.objects.filter(email="astrid.lindqvist@example.se").update(postcode="1134")  # the shop's typo
    bookings.refusals = 1
    find_order(page, live_server.url, "NV-10001", "astrid.lindqvist@example.se")
    pick(page, "Rain jacket", "1", "too_big")
    page.click("main button[type=submit]")
    page.check("input[name=resolution][value=refund]")
    page.check("input[name=method][value=qr]")
    page.click("main button[type=submit]")
    page.click("main button[type=submit]")

    problem = page.locator("#carrier-problem")
    problem.wait_for()
    assert say("sv", "The carrier could not read your postcode. Please check it.") in problem.inner_text()
    assert "Invalid postal code" not in page.inner_text("main")  # PostNord's words are for staff
    assert page.locator("#dropoff-code").count() == 0 and page.locator("a[href*='label.pdf']").count() == 0
    status_url = page.url
    shots(page, "status-postcode-refused")
    phone = browser.new_context(**PHONE).new_page()
    phone.goto(status_url)
    shots(phone, "phone-status-postcode-refused")
    assert phone.evaluate("document.documentElement.scrollWidth") <= 360
    phone.context.close()

    problem.locator("input[name=postcode]").fill("113 46")
    problem.locator("button[type=submit]").click()
    page.locator("#dropoff-code").wait_for()
    assert page.locator("#carrier-problem").count() == 0
    assert Customer.objects.get(email="astrid.lindqvist@example.se").postcode == "113 46"
    assert ReturnRequest.objects.get(order__number="NV-10001").dropoff_code == ITEM_ID
    shots(page, "status-booked-after-the-fix")
