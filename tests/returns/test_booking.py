"""Booking the carrier: the parcel's label and the home pickup, outside any transaction, once per
return, and later by the sweep when the carrier was down."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any, ClassVar

import pytest
import requests
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from pytest_django.fixtures import Settings

from returns import access
from returns.carriers import (
    BuiltinCarrier,
    PickupBooking,
    PickupRefused,
    PickupRequest,
    Shipment,
    ShipmentRequest,
)
from returns.models import Order, ReturnRequest, ReturnState
from returns.services import (
    LineRequest,
    return_awaits_carrier,
    return_book_pickup,
    return_create,
    return_ensure_shipment,
    return_needs_carrier,
    return_transition,
)
from returns.tasks import book_carrier, book_missing_carriers
from tests.factories import OrderLineFactory, carrier_booked
from tests.remote_calls import OUTSIDE, Moment, moment


class NotingCarrier(BuiltinCarrier):
    """The built-in carrier, noting every call and its moment; `down` makes it fail like a lost
    connection, `refusal` makes it refuse pickups in its own words."""

    calls: ClassVar[list[tuple[str, Moment]]] = []
    down: ClassVar[bool] = False
    refusal: ClassVar[str] = ""

    def _note(self, what: str, return_id: int) -> None:
        returns = ReturnRequest.objects.filter(pk=return_id)
        NotingCarrier.calls.append((what, moment(returns, Order.objects.filter(returns__in=returns))))
        if NotingCarrier.down:
            raise requests.ConnectionError("carrier API unreachable")

    def create_shipment(self, request: ShipmentRequest) -> Shipment:
        self._note("shipment", request.return_id)
        return super().create_shipment(request)

    def book_pickup(self, request: PickupRequest, *, today: dt.date | None = None) -> PickupBooking:
        self._note("pickup", request.return_id)
        if NotingCarrier.refusal:
            raise PickupRefused(NotingCarrier.refusal)
        return super().book_pickup(request, today=today)


@pytest.fixture
def carrier(settings: Settings) -> type[NotingCarrier]:
    settings.RETURN_CARRIER = f"{__name__}.NotingCarrier"
    NotingCarrier.calls, NotingCarrier.down, NotingCarrier.refusal = [], False, ""
    return NotingCarrier


def next_weekday() -> dt.date:
    day = timezone.localdate() + dt.timedelta(days=1)
    while day.weekday() >= 5:
        day += dt.timedelta(days=1)
    return day


def a_return(method: str = "label") -> ReturnRequest:
    line = OrderLineFactory(unit_price=Decimal("400.00"))
    return carrier_booked(
        return_create(
            order=line.order,
            lines=[LineRequest(line.id, 1, "too_big")],
            resolution="refund",
            method=method,
            pickup_date=next_weekday() if method == "pickup" else None,
        )
    )


def what(calls: list[tuple[str, Moment]]) -> list[str]:
    return [name for name, _moment in calls]


# --- Outside any transaction, right after the return is made ----------------------------------------


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("migration_data")
@pytest.mark.parametrize(("method", "call"), [("label", "shipment"), ("qr", "shipment"), ("pickup", "pickup")])
def test_the_carrier_is_booked_after_the_commit_with_nothing_locked(
    carrier: type[NotingCarrier], method: str, call: str
) -> None:
    return_request = a_return(method)
    assert carrier.calls == [(call, OUTSIDE)]
    assert not return_awaits_carrier(return_request)
    stored = ReturnRequest.objects.get(pk=return_request.pk)
    assert (stored.tracking_number, stored.pickup_reference) == (
        (return_request.tracking_number, "") if call == "shipment" else ("", f"PU-{return_request.number}")
    )


@pytest.mark.django_db
def test_a_home_pickup_is_booked_with_the_carriers_reference_and_window(carrier: type[NotingCarrier]) -> None:
    return_request = a_return("pickup")
    assert what(carrier.calls) == ["pickup"]
    return_request.refresh_from_db()
    assert return_request.pickup_reference == f"PU-{return_request.number}"
    assert return_request.pickup_window == "08:00–18:00"
    assert (return_request.pickup_problem, return_request.tracking_number) == ("", "")


@pytest.mark.django_db
def test_the_pickup_window_comes_from_settings(carrier: type[NotingCarrier], settings: Settings) -> None:
    settings.RETURN_PICKUP_WINDOW = "12:00–16:00"
    assert a_return("pickup").pickup_window == "12:00–16:00"


@pytest.mark.django_db
def test_a_pickup_the_carrier_refuses_keeps_its_words_for_staff_and_is_not_asked_again(
    carrier: type[NotingCarrier], clock: Any
) -> None:
    carrier.refusal = "No pickups in postcode 99999."
    return_request = a_return("pickup")
    return_request.refresh_from_db()
    assert return_request.pickup_problem == "No pickups in postcode 99999."
    assert (return_request.pickup_reference, return_request.pickup_window) == ("", "")
    assert not return_awaits_carrier(return_request)  # answered: the confirmation need not wait
    clock.shift(dt.timedelta(hours=1))
    assert book_missing_carriers() == 0
    return_book_pickup(return_request=return_request)
    assert what(carrier.calls) == ["pickup"]


@pytest.mark.django_db
def test_a_pickup_is_booked_once(carrier: type[NotingCarrier]) -> None:
    return_request = a_return("pickup")
    again = return_book_pickup(return_request=ReturnRequest.objects.get(pk=return_request.pk))
    assert again.pickup_reference == return_request.pickup_reference
    assert what(carrier.calls) == ["pickup"]


@pytest.mark.django_db
def test_two_bookings_at_once_record_the_first_answer(carrier: type[NotingCarrier]) -> None:
    carrier.down = True
    return_request = a_return()
    stale = ReturnRequest.objects.get(pk=return_request.pk)  # a second process read it unbooked
    carrier.down = False
    booked = return_ensure_shipment(return_request=return_request)
    ReturnRequest.objects.filter(pk=return_request.pk).update(tracking_number="CR000000000SE")  # the other answer
    late = return_ensure_shipment(return_request=stale)
    assert late.tracking_number == "CR000000000SE" != booked.tracking_number  # nothing overwritten
    assert ReturnRequest.objects.get(pk=return_request.pk).tracking_number == "CR000000000SE"


# --- When the carrier is down: the return is made, and the sweep books it later ------------------------


@pytest.mark.django_db
@pytest.mark.parametrize("method", ["label", "pickup"])
def test_a_return_is_made_while_the_carrier_is_down_and_the_sweep_books_it_later(
    carrier: type[NotingCarrier], clock: Any, method: str
) -> None:
    carrier.down = True
    return_request = a_return(method)  # no error for the customer
    assert return_needs_carrier(return_request)
    assert not return_awaits_carrier(return_request)  # tried once: the confirmation says the rest follows
    stored = ReturnRequest.objects.get(pk=return_request.pk)
    assert (stored.tracking_number, stored.pickup_reference, stored.pickup_problem) == ("", "", "")
    assert stored.booking_attempts == 1
    assert book_missing_carriers() == 0  # a moment ago: its retry pauses a minute
    clock.shift(dt.timedelta(minutes=2))
    assert book_missing_carriers() == 1  # still down: tried, and paused twice as long
    carrier.down = False
    assert book_missing_carriers() == 0
    clock.shift(dt.timedelta(minutes=3))
    assert book_missing_carriers() == 1
    stored.refresh_from_db()
    assert not return_needs_carrier(stored)
    assert (stored.booking_attempts, stored.carrier_retry_at) == (3, None)
    assert stored.tracking_number if method == "label" else stored.pickup_reference
    assert book_missing_carriers() == 0
    assert len(carrier.calls) == 3


@pytest.mark.django_db
def test_the_sweep_leaves_returns_that_no_longer_go_anywhere(carrier: type[NotingCarrier], clock: Any) -> None:
    carrier.down = True
    cancelled, in_store = a_return(), a_return("store")
    return_transition(return_request=cancelled, to=ReturnState.CANCELLED, actor="customer")
    carrier.down = False
    clock.shift(dt.timedelta(minutes=2))
    assert book_missing_carriers() == 0
    assert not return_needs_carrier(in_store)


@pytest.mark.django_db
def test_a_pickup_cancelled_before_the_booking_task_runs_is_not_booked(carrier: type[NotingCarrier]) -> None:
    carrier.down = True
    return_request = a_return("pickup")
    return_transition(return_request=return_request, to=ReturnState.CANCELLED, actor="customer")
    carrier.down = False
    book_carrier(return_request.pk)  # queued by a sweep just before the customer cancelled
    assert what(carrier.calls) == ["pickup"]  # only the failed first try
    assert ReturnRequest.objects.get(pk=return_request.pk).pickup_reference == ""


# --- The label on the status page is booked on demand ---------------------------------------------------


@pytest.mark.django_db
def test_the_label_books_on_demand_and_a_down_carrier_gets_a_kind_word_not_an_error(
    carrier: type[NotingCarrier], client: Client
) -> None:
    carrier.down = True
    return_request = a_return()
    url = reverse("returns:label", args=[access.status_token(return_request)])
    response = client.get(url, follow=True)
    assert response.redirect_chain[-1][0] == reverse("returns:status", args=[access.status_token(return_request)])
    assert "Returetiketten är inte klar än" in response.content.decode()  # the order is in Swedish
    carrier.down = False
    response = client.get(url)
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    assert ReturnRequest.objects.get(pk=return_request.pk).tracking_number
