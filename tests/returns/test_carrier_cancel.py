"""A cancelled return's carrier booking is cancelled after the commit, where the carrier allows it, and
staff read the outcome in the return's history."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import transaction

from returns.carriers import CarrierUnavailable
from returns.models import ReturnEvent, ReturnRequest, ReturnState
from returns.services import return_transition
from tests.remote_calls import OUTSIDE
from tests.returns.carrier_doubles import ScriptedCarrier, a_return, scripted_fixture  # noqa: F401


def cancellation_note(return_request: ReturnRequest) -> str:
    return ReturnEvent.objects.get(return_request=return_request, to_state=ReturnState.CANCELLED).note


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("migration_data")
def test_the_booking_is_cancelled_after_the_commit_with_nothing_locked(scripted: type[ScriptedCarrier]) -> None:
    return_request = a_return("label")
    ScriptedCarrier.calls, ScriptedCarrier.note_moments = [], True
    ScriptedCarrier.cancel_shipment = _noting_cancel  # type: ignore[method-assign]
    try:
        with transaction.atomic():
            return_transition(return_request=return_request, to=ReturnState.CANCELLED, actor="customer")
            assert ScriptedCarrier.calls == []  # not before the commit
        assert ScriptedCarrier.calls == [f"cancel ship-{return_request.number}"]
        assert ScriptedCarrier.moments == [OUTSIDE]
    finally:
        del ScriptedCarrier.cancel_shipment
    assert "Carrier booking cancelled." in cancellation_note(return_request)


def _noting_cancel(self: ScriptedCarrier, shipment: Any) -> bool:
    self._call(f"cancel {shipment.shipment_id}", ReturnRequest.objects.get(shipment_id=shipment.shipment_id).pk)
    return True


@pytest.mark.django_db
def test_a_carrier_that_can_no_longer_cancel_is_noted_for_staff(
    scripted: type[ScriptedCarrier], django_capture_on_commit_callbacks: Any
) -> None:
    return_request = a_return("label")
    ScriptedCarrier.cancellable = False
    with django_capture_on_commit_callbacks(execute=True):
        return_transition(return_request=return_request, to=ReturnState.CANCELLED, actor="customer")
    assert "could not cancel the booking" in cancellation_note(return_request)


@pytest.mark.django_db
def test_a_carrier_that_is_down_is_noted_for_staff_to_cancel_by_hand(
    scripted: type[ScriptedCarrier], django_capture_on_commit_callbacks: Any
) -> None:
    return_request = a_return("label")
    ScriptedCarrier.failures = [CarrierUnavailable("503")]
    with django_capture_on_commit_callbacks(execute=True):
        return_transition(return_request=return_request, to=ReturnState.CANCELLED, actor="customer")
    assert ReturnRequest.objects.get(pk=return_request.pk).state == ReturnState.CANCELLED
    assert "cancel it there by hand" in cancellation_note(return_request)


@pytest.mark.django_db
def test_a_return_never_booked_asks_the_carrier_nothing(
    scripted: type[ScriptedCarrier], django_capture_on_commit_callbacks: Any
) -> None:
    return_request = a_return("store")
    with django_capture_on_commit_callbacks(execute=True):
        return_transition(return_request=return_request, to=ReturnState.CANCELLED, actor="customer")
    assert ScriptedCarrier.calls == []
