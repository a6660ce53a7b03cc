"""The status page of a parcel return: the label-free code large enough to scan, where to show it,
a booking still on its way, and the carrier's events."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from returns import access
from returns.models import ParcelEvent, ReturnPolicy, ReturnRequest, ReturnState, TrackingStage
from returns.services import LineRequest, return_create, return_transition
from tests.factories import OrderFactory, OrderLineFactory
from tests.returns.test_service_points import say

pytestmark = pytest.mark.django_db

POINT = {
    "id": "1002",
    "name": "Pressbyrån Odenplan",
    "street": "Odenplan 1",
    "postcode": "113 22",
    "city": "Stockholm",
    "country": "SE",
    "opening_hours": ["Mon–Fri 07:00–22:00", "Sat–Sun 09:00–20:00"],
    "distance_m": 1240,
}


def qr_return(lines: int = 1, **booked: str) -> ReturnRequest:
    order = OrderFactory(language="sv")
    for _ in range(lines):
        OrderLineFactory(order=order, unit_price=Decimal("499.00"))
    return_request = return_create(
        order=order,
        lines=[LineRequest(line.id, 1, "too_big") for line in order.lines.all()],
        resolution="refund",
        method="qr",
        service_point=POINT,
    )
    for name, value in booked.items():
        setattr(return_request, name, value)
    return_request.save(update_fields=list(booked) or None)
    return return_request


def status_page(return_request: ReturnRequest) -> str:
    response = Client().get(reverse("returns:status", args=[access.status_token(return_request)]))
    assert response.status_code == 200
    return response.content.decode()


def test_a_booking_still_on_its_way_says_so_and_offers_no_broken_link() -> None:
    page = status_page(qr_return())  # the carrier has not answered (it books after the commit)
    message = "Your code is on its way: we e-mail it to you as soon as the carrier has booked your parcel."
    assert say("sv", message) in page
    assert "label.pdf" not in page


def test_the_label_free_code_is_large_scannable_and_says_where_to_show_it() -> None:
    return_request = qr_return(
        carrier="PostNord", tracking_number="00370712345678901234", dropoff_code="7K3P9QXW", qr_payload="x"
    )
    page = status_page(return_request)
    code = page.split('id="dropoff-code"')[1].split("</div>\n")[0]
    assert '<svg role="img" aria-hidden="true"' in code and 'viewBox="0 0 ' in code  # inline: no data: image
    assert "style=" not in code  # the CSP allows no inline style
    assert '<span class="mono dropoff-text">7K3P9QXW</span>' in code
    show = say("sv", "Show this at %(point)s") % {"point": "Pressbyrån Odenplan, Odenplan 1, 113 22 Stockholm"}
    assert show in page
    assert "Mon–Fri 07:00–22:00" in code and "Sat–Sun 09:00–20:00" in code
    assert "label.pdf" not in page  # label-free: nothing to print


def test_without_a_chosen_point_the_code_goes_to_any_point_of_the_carrier() -> None:
    return_request = qr_return(carrier="PostNord", tracking_number="0037071", dropoff_code="7K3P9QXW")
    return_request.service_point = {}
    return_request.save(update_fields=["service_point"])
    page = status_page(return_request)
    assert say("sv", "Show this at any %(carrier)s point") % {"carrier": "PostNord"} in page


def test_the_carriers_events_are_listed_in_the_customers_words() -> None:
    return_request = qr_return(carrier="PostNord", tracking_number="0037071", dropoff_code="7K3P9QXW")
    handed_in = timezone.make_aware(dt.datetime(2026, 11, 30, 14, 5))
    ParcelEvent.objects.create(
        return_request=return_request,
        event_id="e1",
        at=handed_in,
        stage=TrackingStage.HANDED_IN,
        description="Försändelsen har lämnats in",
        location="Pressbyrån Odenplan",
    )
    return_transition(return_request=return_request, to=ReturnState.IN_TRANSIT)
    ParcelEvent.objects.create(
        return_request=return_request,
        event_id="e2",
        at=handed_in + dt.timedelta(days=1),
        stage=TrackingStage.DELIVERED,
        description="Utdelad",
    )
    page = status_page(return_request)
    with_place = say("sv", "Handed in at %(place)s on %(when)s")
    assert with_place.split("%(place)s")[0] + "Pressbyrån Odenplan" in page
    assert say("sv", "Your parcel has arrived at our warehouse. We check it next.") in page
    assert page.index(say("sv", "Arrived at the warehouse on %(when)s").split("%")[0]) < page.index(
        "Pressbyrån Odenplan"
    )


def test_events_cost_one_query_however_many() -> None:
    counts = []
    for events in (0, 5):
        return_request = qr_return(carrier="PostNord", tracking_number=f"00{events}", dropoff_code="CODE")
        ParcelEvent.objects.bulk_create(
            ParcelEvent(
                return_request=return_request,
                event_id=f"e{n}",
                at=timezone.now() - dt.timedelta(hours=n),
                stage=TrackingStage.IN_TRANSIT,
                description="I transport",
                location="Terminal Årsta",
            )
            for n in range(events)
        )
        ReturnPolicy.current()
        url = reverse("returns:status", args=[access.status_token(return_request)])
        with CaptureQueriesContext(connection) as queries:
            assert Client().get(url).status_code == 200
        counts.append(len(queries))
    assert counts[0] == counts[1], counts


def test_a_printed_label_return_names_the_chosen_point() -> None:
    order = OrderFactory(language="en")
    OrderLineFactory(order=order)
    return_request = return_create(
        order=order,
        lines=[LineRequest(order.lines.get().id, 1, "too_big")],
        resolution="refund",
        method="label",
        service_point=POINT,
    )
    return_request.tracking_number = "CR000000011SE"
    return_request.save(update_fields=["tracking_number"])
    page = status_page(return_request)
    assert "Hand in the parcel at Pressbyrån Odenplan, Odenplan 1, 113 22 Stockholm." in page
    assert "label.pdf" in page
