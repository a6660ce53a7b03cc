"""Celery entry points: thin, idempotent, calling services."""

import datetime as dt
import logging

from celery import Task, shared_task
from django.utils import timezone

from returns.models import ReturnRequest
from returns.services import (
    return_book_carrier,
    return_needs_carrier,
    returns_awaiting_carrier,
    returns_expire_unsent,
    returns_track,
)
from returns.services.booking import BOOK_TASK
from returns.services.carrier_cancel import CANCEL_TASK, return_cancel_given_up, return_cancel_shipment

log = logging.getLogger(__name__)

# A return younger than this is being booked right after its commit: the sweep leaves it alone.
BOOKING_GRACE = dt.timedelta(minutes=1)
# About a day of pauses (1, 2, 4 ... 60 minutes); after that only the sweep tries, once an hour.
BOOKING_RETRIES = 30
CANCEL_RETRIES = 6


@shared_task(name="returns.expire_unsent_returns")
def expire_unsent_returns() -> int:
    """Approved returns never sent within the policy's days become expired; returns how many."""
    return returns_expire_unsent()


@shared_task(bind=True, name=BOOK_TASK, max_retries=BOOKING_RETRIES)
def book_carrier(self: Task, return_id: int) -> None:
    """Book what the return still needs from the carrier; nothing if it has it (or is gone). While the
    carrier is unavailable, try again after the pause the booking recorded (growing, or its Retry-After)."""
    return_request = ReturnRequest.objects.select_related("order__customer").filter(pk=return_id).first()
    if return_request is None:
        return
    return_book_carrier(return_request=return_request, retry_later=False)
    retry_at = return_request.carrier_retry_at
    if not return_needs_carrier(return_request) or retry_at is None or self.request.is_eager:
        return  # booked, refused, or eager (no timer): the sweep tries again there
    if self.request.retries < BOOKING_RETRIES:
        raise self.retry(countdown=max(0.0, (retry_at - timezone.now()).total_seconds()))


@shared_task(name="returns.book_missing_carriers")
def book_missing_carriers() -> int:
    """Queue a booking for every return the carrier has not answered for and whose pause is over (the
    carrier was down, or the process died after the commit); returns how many."""
    ids = returns_awaiting_carrier(grace=BOOKING_GRACE)
    for return_id in ids:
        try:
            book_carrier.delay(return_id)
        except Exception:  # the broker is down: the next sweep queues it
            log.warning("Could not queue the carrier booking of return %s", return_id, exc_info=True)
            break
    return len(ids)


@shared_task(name="returns.track_parcels")
def track_parcels() -> int:
    """Ask the carriers about every parcel on its way, in batches; returns how many events were new."""
    return returns_track()


@shared_task(bind=True, name=CANCEL_TASK, max_retries=CANCEL_RETRIES)
def cancel_shipment(self: Task, return_id: int) -> None:
    """Cancel a cancelled return's booking with its carrier (queued after the commit). While the carrier
    is unavailable, try again after 1, 2, 4 ... minutes; then leave a note for staff to do it by hand."""
    return_request = ReturnRequest.objects.filter(pk=return_id).first()
    if return_request is None:
        return
    try:
        return_cancel_shipment(return_request=return_request)
    except Exception as error:
        if self.request.is_eager or self.request.retries >= CANCEL_RETRIES:
            return_cancel_given_up(return_request=return_request, error=error)
            return
        raise self.retry(countdown=60 * 2**self.request.retries) from error
