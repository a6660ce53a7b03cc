"""Celery entry points: thin, idempotent, calling services."""

import datetime as dt
import logging

from celery import shared_task

from returns.models import ReturnRequest
from returns.services import return_book_carrier, returns_awaiting_carrier, returns_expire_unsent

log = logging.getLogger(__name__)

# A return younger than this is being booked right after its commit: the sweep leaves it alone.
BOOKING_GRACE = dt.timedelta(minutes=1)


@shared_task(name="returns.expire_unsent_returns")
def expire_unsent_returns() -> int:
    """Approved returns never sent within the policy's days become expired; returns how many."""
    return returns_expire_unsent()


@shared_task(name="returns.book_carrier")
def book_carrier(return_id: int) -> None:
    """Book what the return still needs from the carrier; nothing if it has it (or is gone)."""
    return_request = ReturnRequest.objects.select_related("order__customer").filter(pk=return_id).first()
    if return_request is not None:
        return_book_carrier(return_request=return_request)


@shared_task(name="returns.book_missing_carriers")
def book_missing_carriers() -> int:
    """Queue a booking for every return the carrier has not answered for (it was down, or the
    process died after the commit); returns how many."""
    ids = returns_awaiting_carrier(grace=BOOKING_GRACE)
    for return_id in ids:
        try:
            book_carrier.delay(return_id)
        except Exception:  # the broker is down: the next sweep queues it
            log.warning("Could not queue the carrier booking of return %s", return_id, exc_info=True)
            break
    return len(ids)
