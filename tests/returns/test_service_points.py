"""The service point picker on the "how" step: the carrier's nearest points, cached, and a carrier
that is slow or down costs the customer nothing."""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from decimal import Decimal
from typing import Any, ClassVar

import pytest
from django.core.cache import cache
from django.test import Client
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext

from returns import access
from returns.carriers import BuiltinCarrier, CarrierUnavailable, ServicePoint
from returns.models import CarrierRoute, Order, ReturnRequest
from returns.services import service_points
from returns.services.service_points import service_point_choice
from tests.factories import OrderFactory, OrderLineFactory

pytestmark = pytest.mark.django_db

POINTS = [
    ServicePoint("1001", "ICA Nära Sveavägen", "Sveavägen 50", "113 59", "Stockholm", "SE",
                 ("Mon–Fri 08:00–21:00", "Sat–Sun 09:00–20:00"), 350),
    ServicePoint("1002", "Pressbyrån Odenplan", "Odenplan 1", "113 22", "Stockholm", "SE",
                 ("Mon–Sun 07:00–22:00",), 1240),
    ServicePoint("1003", "PostNord Ombud Vasastan", "Upplandsgatan 12", "113 23", "Stockholm", "SE", (), 2100),
]  # fmt: skip


class ListingCarrier(BuiltinCarrier):
    """The built-in carrier with a list of service points, and a switch to make the list slow or fail."""

    name = "Nordpaket"
    calls: ClassVar[list[tuple[str, str]]] = []
    release: ClassVar[threading.Event | None] = None  # set: the lookup waits for it
    failure: ClassVar[Exception | None] = None

    def service_points(self, *, country: str, postcode: str, street: str = "", limit: int = 5) -> list[ServicePoint]:
        type(self).calls.append((country, postcode))
        if self.release is not None:
            self.release.wait(10)
        if self.failure is not None:
            raise self.failure
        return POINTS[:limit]


@pytest.fixture
def listing_carrier(settings: Any, monkeypatch: pytest.MonkeyPatch) -> Iterator[type[ListingCarrier]]:
    """QR drop-off and label returns from Sweden go with a carrier that lists service points, asked in
    a pool of its own: a test can wait for its lookups to end (`service_points._pool.shutdown()`)."""
    pool = ThreadPoolExecutor(max_workers=4, thread_name_prefix="service-points-test")
    monkeypatch.setattr(service_points, "_pool", pool)
    settings.CARRIERS = {**settings.CARRIERS, "listing": f"{__name__}.ListingCarrier"}
    settings.CARRIER_LOOKUP_TIMEOUT_SECONDS = 1
    for method in ("qr", "label"):
        CarrierRoute.objects.create(country="SE", method=method, carrier="listing")
    ListingCarrier.calls, ListingCarrier.release, ListingCarrier.failure = [], None, None
    yield ListingCarrier
    pool.shutdown(wait=True)


def say(language: str, text: str) -> str:
    with translation.override(language):
        return gettext(text)


def swedish_order(**customer: str) -> Order:
    order = OrderFactory(language="sv", **{f"customer__{name}": value for name, value in customer.items()})
    OrderLineFactory(order=order, unit_price=Decimal("499.00"))
    return order


def to_the_how_step(client: Client, order: Order) -> str:
    line = order.lines.get()
    items = reverse("returns:items", args=[access.order_token(order)])
    picked = {f"qty_{line.id}": 1, f"reason_{line.id}": "too_big", f"comment_{line.id}": ""}
    assert client.post(items, picked).status_code == 302
    return reverse("returns:choice", args=[access.order_token(order)])


def confirm(client: Client, order: Order) -> ReturnRequest:
    response = client.post(reverse("returns:confirm", args=[access.order_token(order)]))
    assert response.status_code == 302, response.content.decode()[:2000]
    return ReturnRequest.objects.get(order=order)


def test_the_picker_lists_the_nearest_points_with_address_hours_and_distance(client, listing_carrier) -> None:
    order = swedish_order()
    page = client.get(to_the_how_step(client, order)).content.decode()
    assert listing_carrier.calls == [("SE", "111 22")]
    assert "ICA Nära Sveavägen" in page and "Sveavägen 50, 113 59 Stockholm" in page
    assert "Mon–Fri 08:00–21:00" in page and "Sat–Sun 09:00–20:00" in page
    assert "350\u00a0m" in page and "1,2\u00a0km" in page  # the customer's (Swedish) decimal comma
    assert re.search(r'value="1001"[^>]*checked', page)  # the nearest is preselected
    assert 'value="any"' in page  # "any point" is the last choice
    assert '<label for="id_service_point_0">' in page  # each radio has its label


def test_the_chosen_point_is_kept_on_the_return_and_shown_before_confirming(client, listing_carrier) -> None:
    order = swedish_order()
    how = to_the_how_step(client, order)
    client.get(how)
    response = client.post(how, {"resolution": "refund", "method": "qr", "service_point": "1002"})
    assert response.status_code == 302
    assert "Pressbyrån Odenplan" in client.get(response["Location"]).content.decode()
    return_request = confirm(client, order)
    assert return_request.service_point == {
        "id": "1002",
        "name": "Pressbyrån Odenplan",
        "street": "Odenplan 1",
        "postcode": "113 22",
        "city": "Stockholm",
        "country": "SE",
        "opening_hours": ["Mon–Sun 07:00–22:00"],
        "distance_m": 1240,
    }


def test_a_point_that_was_not_listed_is_refused_with_a_clear_message(client, listing_carrier) -> None:
    order = swedish_order()
    how = to_the_how_step(client, order)
    client.get(how)
    for hostile in ("9999", "1001' OR 1=1", "x" * 5000):
        response = client.post(how, {"resolution": "refund", "method": "qr", "service_point": hostile})
        assert response.status_code == 200
        assert say("sv", "Choose one of the service points in the list.") in response.content.decode()
    assert client.post(reverse("returns:confirm", args=[access.order_token(order)])).status_code == 302
    assert not ReturnRequest.objects.filter(order=order).exists()  # never got past the how step


def test_a_point_is_not_kept_for_a_method_that_needs_none(client, listing_carrier) -> None:
    order = swedish_order()
    how = to_the_how_step(client, order)
    client.get(how)
    response = client.post(how, {"resolution": "refund", "method": "store", "service_point": "1001"})
    assert response.status_code == 302
    assert confirm(client, order).service_point == {}


def test_a_second_visit_from_the_same_postcode_asks_the_carrier_nothing(client, listing_carrier) -> None:
    first, second = swedish_order(), swedish_order()
    client.get(to_the_how_step(client, first))
    other = Client()
    page = other.get(to_the_how_step(other, second)).content.decode()
    assert "Pressbyrån Odenplan" in page
    assert len(listing_carrier.calls) == 1


def test_a_slow_carrier_lets_the_customer_go_on_with_any_point(client, listing_carrier) -> None:
    listing_carrier.release = threading.Event()
    order = swedish_order()
    how = to_the_how_step(client, order)
    try:
        started = time.monotonic()
        page = client.get(how).content.decode()
        assert time.monotonic() - started < 3  # the 1 s limit, not the carrier's pace
        kindly = say(
            "sv",
            "We could not load the list of %(carrier)s points just now. That is no problem: "
            "you can hand in the parcel at any %(carrier)s point.",
        )
        assert kindly % {"carrier": "Nordpaket"} in page
        response = client.post(how, {"resolution": "refund", "method": "qr"})
        assert response.status_code == 302
        return_request = confirm(client, order)
        assert return_request.service_point == {}
    finally:
        listing_carrier.release.set()
    service_points._pool.shutdown(wait=True)  # the late lookup has ended
    # The late answer is kept: the next customer from that postcode gets the list at once.
    assert [point["id"] for point in cache.get("service-points:listing:SE:11122:sv")["points"]] == [
        "1001",
        "1002",
        "1003",
    ]


def test_a_carrier_that_fails_is_asked_again_a_minute_later(listing_carrier, clock) -> None:
    listing_carrier.failure = CarrierUnavailable("503 Service Unavailable")
    choice = service_point_choice(country="SE", postcode="113 46", street="", methods=["qr"])
    assert choice is not None and choice.answered is False and choice.points == ()
    service_point_choice(country="SE", postcode="113 46", street="", methods=["qr"])
    assert len(listing_carrier.calls) == 1  # not hammered while it is down
    listing_carrier.failure = None
    clock.shift(61)
    choice = service_point_choice(country="SE", postcode="11346", street="", methods=["qr"])
    assert choice is not None and choice.answered and len(choice.points) == 3


def test_no_picker_where_the_carrier_has_no_list(client) -> None:
    order = swedish_order()
    page = client.get(to_the_how_step(client, order)).content.decode()
    assert 'name="service_point"' not in page
    assert 'id="service-points"' not in page
