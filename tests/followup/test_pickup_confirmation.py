"""The confirmation e-mail of a home pickup says when the carrier comes, or that it could not be booked."""

from __future__ import annotations

import datetime as dt

import pytest

from followup.emails import build_email
from followup.models import Kind, OutboxMessage
from returns.models import ReturnRequest
from returns.services import LineRequest, return_create
from tests.factories import CustomerFactory, OrderFactory, OrderLineFactory

pytestmark = pytest.mark.django_db


def confirmation_of_a_pickup(**booking: str) -> str:
    order = OrderFactory(language="en", customer=CustomerFactory(language="en"))
    line = OrderLineFactory(order=order)
    return_request = return_create(
        order=order, lines=[LineRequest(line.id, 1, "too_big")], resolution="refund", method="label"
    )
    ReturnRequest.objects.filter(pk=return_request.pk).update(
        method="pickup", pickup_date=dt.date(2026, 12, 8), **booking
    )
    message = OutboxMessage.objects.get(return_request=return_request, kind=Kind.CONFIRMATION)
    email = build_email(message)
    assert "between 8:00 and 18:00" not in email.body
    return email.body


def test_the_confirmation_tells_the_booked_day_window_and_reference() -> None:
    body = confirmation_of_a_pickup(pickup_reference="PU-4411", pickup_window="08:00–12:00")
    assert "Pickup: 8 December 2026, 08:00–12:00 · PU-4411" in body
    assert "Please send the parcel by" not in body  # the carrier comes for it
    assert "The carrier collects the parcel at your address on 8 December 2026, 08:00–12:00." in body


def test_the_confirmation_says_when_the_pickup_could_not_be_booked_and_what_to_do() -> None:
    body = confirmation_of_a_pickup(pickup_problem="postcode not served")
    assert "Pickup: Could not be booked" in body
    assert "The carrier could not book a pickup at your address, so nobody will come for the parcel." in body
    assert "postcode not served" not in body


def test_a_confirmation_before_the_booking_promises_no_time() -> None:
    body = confirmation_of_a_pickup()
    assert "Pickup: 8 December 2026, not confirmed yet" in body


def test_a_return_waiting_for_approval_is_not_given_a_send_by_day_before_it_has_one() -> None:
    order = OrderFactory(language="en", customer=CustomerFactory(language="en"))
    line = OrderLineFactory(order=order)
    return_request = return_create(
        order=order, lines=[LineRequest(line.id, 1, "too_big")], resolution="refund", method="label"
    )
    ReturnRequest.objects.filter(pk=return_request.pk).update(state="requested")
    body = build_email(OutboxMessage.objects.get(return_request=return_request, kind=Kind.CONFIRMATION)).body
    assert "Please send the parcel only then." in body
    assert "Please send the parcel by" not in body
