"""Cancelling a cancelled return's booking with its carrier, after the cancellation has committed.

The customer (or staff) cancels through `return_transition`; `on_return_cancelled`
hears it and queues the `returns.cancel_shipment` task once the transaction has
committed, so the carrier is called with nothing open or locked. The outcome is
written on the cancellation's history row, where staff read it.
"""

from __future__ import annotations

import logging
from typing import Any

from celery import current_app
from django.db import transaction

from returns.carriers import CarrierRejected, Shipment, carrier_named
from returns.models import ReturnEvent, ReturnRequest, ReturnState

log = logging.getLogger(__name__)

CANCEL_TASK = "returns.cancel_shipment"  # registered by `returns.tasks`


def on_return_cancelled(sender: object, return_request: ReturnRequest, to_state: str, **kwargs: Any) -> None:
    """Receiver of `return_state_changed`: a cancelled return with a booked parcel has its booking cancelled."""
    if to_state == ReturnState.CANCELLED and return_request.tracking_number:
        return_id = return_request.pk
        transaction.on_commit(lambda: _queue(return_id))


def return_cancel_shipment(*, return_request: ReturnRequest) -> bool | None:
    """Ask the carrier to cancel the booking; True if it did, False if it no longer can (or refuses),
    None if there is nothing to cancel. Raises when the carrier is unavailable, so the task tries again.
    Runs outside any transaction."""
    if return_request.state != ReturnState.CANCELLED or not return_request.tracking_number:
        return None
    shipment = Shipment(
        carrier=return_request.carrier,
        tracking_number=return_request.tracking_number,
        qr_payload=return_request.qr_payload,
        shipment_id=return_request.shipment_id or return_request.tracking_number,
        dropoff_code=return_request.dropoff_code,
    )
    try:
        cancelled = carrier_named(return_request.carrier_key).cancel_shipment(shipment)
    except CarrierRejected as refusal:
        cancelled, words = False, refusal.message
    else:
        words = ""
    note = "Carrier booking cancelled." if cancelled else "The carrier could not cancel the booking"
    if not cancelled:
        note += f": {words}" if words else " (the parcel may be on its way already)."
    _note_on_cancellation(return_request, note)
    return cancelled


def return_cancel_given_up(*, return_request: ReturnRequest, error: Exception) -> None:
    """The carrier could not be reached to cancel: staff cancel the booking by hand."""
    log.warning("Could not cancel the carrier booking of return %s", return_request, exc_info=error)
    _note_on_cancellation(
        return_request, f"The carrier could not be reached to cancel the booking ({error}); cancel it there by hand."
    )


def _note_on_cancellation(return_request: ReturnRequest, note: str) -> None:
    row = ReturnEvent.objects.filter(return_request=return_request, to_state=ReturnState.CANCELLED).first()
    if row is not None and note not in row.note:
        row.note = f"{row.note} {note}".strip()
        row.save(update_fields=["note"])


def _queue(return_id: int) -> None:
    try:
        current_app.tasks[CANCEL_TASK].delay(return_id)
    except Exception:  # the broker is down; a cancelled return is not picked up again, so staff are told
        log.error("Could not queue cancelling the carrier booking of return %s", return_id, exc_info=True)
