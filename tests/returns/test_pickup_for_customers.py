"""Home pickup, told to the customer truthfully: the day, window and reference the carrier booked,
or that it could not be booked and what to do instead; never a time nobody promised."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from django.test import Client
from django.urls import reverse
from pypdf import PdfReader

from returns.access import status_token
from returns.models import ReturnRequest, ReturnState
from returns.services import LineRequest, return_create, return_transition
from tests.factories import CustomerFactory, OrderFactory, OrderLineFactory

pytestmark = pytest.mark.django_db

DAY = dt.date(2026, 12, 8)
OLD_PROMISE = "between 8:00 and 18:00"


def a_pickup(language: str = "en", **booking: str) -> ReturnRequest:
    """A return by home pickup on DAY, as the carrier's booking left it (reference, window or problem)."""
    order = OrderFactory(language=language, customer=CustomerFactory(language=language))
    line = OrderLineFactory(order=order)
    return_request = return_create(
        order=order, lines=[LineRequest(line.id, 1, "too_big")], resolution="refund", method="label"
    )
    ReturnRequest.objects.filter(pk=return_request.pk).update(method="pickup", pickup_date=DAY, **booking)
    return ReturnRequest.objects.get(pk=return_request.pk)


def status_page(client: Client, return_request: ReturnRequest) -> str:
    response = client.get(reverse("returns:status", args=[status_token(return_request)]))
    assert response.status_code == 200
    return response.content.decode()


def test_the_status_page_says_when_the_carrier_comes_and_the_booking_reference(client: Client) -> None:
    page = status_page(client, a_pickup(pickup_reference="PU-4411", pickup_window="08:00–12:00"))
    assert "The carrier collects the parcel at your address on 8 December 2026, 08:00–12:00." in page
    assert "Booking reference: PU-4411." in page
    assert OLD_PROMISE not in page


def test_the_status_page_says_plainly_when_the_pickup_could_not_be_booked_and_what_to_do(client: Client) -> None:
    page = status_page(client, a_pickup(pickup_problem="Carrier: postcode not served"))
    assert "The carrier could not book a pickup at your address, so nobody will come for the parcel." in page
    assert "cancel this return" in page  # and the cancel button is there
    assert "Cancel this return" in page
    assert "postcode not served" not in page  # the carrier's own words are for staff
    assert "collects the parcel" not in page and OLD_PROMISE not in page


def test_before_the_booking_the_status_page_promises_no_time(client: Client) -> None:
    page = status_page(client, a_pickup())
    assert "You asked for a pickup on 8 December 2026." in page
    assert "08:00" not in page and OLD_PROMISE not in page


def test_the_pickup_day_is_written_in_the_customers_language(client: Client) -> None:
    page = status_page(client, a_pickup(language="sv", pickup_reference="PU-1", pickup_window="08:00–12:00"))
    assert "8 december 2026" in page and "PU-1" in page


def test_once_the_parcel_is_on_its_way_the_pickup_is_no_longer_announced(client: Client) -> None:
    return_request = a_pickup(pickup_reference="PU-4411", pickup_window="08:00–12:00")
    return_transition(return_request=return_request, to=ReturnState.IN_TRANSIT)
    assert "Booking reference" not in status_page(client, return_request)


def test_the_packing_instructions_tell_the_booked_time_not_a_promised_one(client: Client) -> None:
    return_request = a_pickup(pickup_reference="PU-4411", pickup_window="10:00–14:00")
    page = client.get(reverse("returns:packing", args=[status_token(return_request)])).content.decode()
    assert "on 8 December 2026, 10:00–14:00" in page
    assert OLD_PROMISE not in page


def test_a_pickups_packing_instructions_name_the_pickup_day_and_ask_for_no_label_or_drop_off(client: Client) -> None:
    return_request = a_pickup(pickup_reference="PU-4411", pickup_window="10:00–14:00")
    url = reverse("returns:packing", args=[status_token(return_request)])
    page = client.get(url).content.decode()
    pdf = client.get(url + "?format=pdf").content
    text = "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)
    for shown in (page, text):
        assert "Pickup on 8 December 2026" in shown
        assert "Send by" not in shown
        assert "Stick the label" not in shown
    assert "drop-off point" not in text and "No printer?" not in text
