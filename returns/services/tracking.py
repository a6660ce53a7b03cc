"""What the carriers say about return parcels: stored once per event, and the first scan moves the return.

Events come two ways: `returns_track` asks each carrier about the parcels on
their way (Celery beat, in batches), and `returns.webhooks` receives the
carriers' own pushes. Both end in `record_tracking_events`, so an event heard
twice, by both ways or by two workers at once, is stored once (a unique
constraint per return and event id) and moves the return once: the state
changes under the return's row lock, and a return already on its way is left
as it is. No carrier is asked inside a transaction.

A parcel delivered to the warehouse is shown as arrived; it is *received* only
when staff scan it, because that is when someone has looked at what came.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Iterable

from django.db import transaction
from django.utils import timezone

from returns.cached_pages import forget_return_pages
from returns.carriers import TrackingEvent, TrackingStage, carrier_named
from returns.models import ParcelEvent, ReturnRequest, ReturnState
from returns.services.transitions import return_transition

log = logging.getLogger(__name__)

TRACK_BATCH = 50  # tracking numbers handed to an adapter at once (PostNord and Bring ask one by one inside it)
# The events that mean the parcel has left the customer.
ON_ITS_WAY = frozenset({TrackingStage.HANDED_IN, TrackingStage.IN_TRANSIT, TrackingStage.DELIVERED})
# Returns whose parcel may be moving: booked and still to be sent, or sent and not yet received.
TRACKED_STATES = frozenset({ReturnState.REQUESTED, ReturnState.APPROVED, ReturnState.IN_TRANSIT})


def record_parcel_events(*, return_request: ReturnRequest, events: Iterable[TrackingEvent]) -> int:
    """Store the carrier's events about this return's parcel, each once; the first that says the parcel
    left the customer moves an approved return to in transit. Returns how many events were new."""
    rows = [_row(return_request, event) for event in events]
    if not rows:
        return 0
    with transaction.atomic():
        # The lock makes concurrent deliveries of the same events take turns: the second finds them stored
        # and the return already on its way.
        locked = ReturnRequest.objects.select_for_update().get(pk=return_request.pk)
        before = ParcelEvent.objects.filter(return_request=locked).count()
        ParcelEvent.objects.bulk_create(rows, ignore_conflicts=True)
        new = ParcelEvent.objects.filter(return_request=locked).count() - before
        first_scan = min((row for row in rows if row.stage in ON_ITS_WAY), key=lambda row: row.at, default=None)
        if first_scan is not None and locked.state == ReturnState.APPROVED:
            return_transition(return_request=locked, to=ReturnState.IN_TRANSIT, actor="carrier", note=_note(first_scan))
    return_request.state = locked.state
    if new:
        forget_return_pages([return_request.pk])
    return new


def record_tracking_events(events: Iterable[TrackingEvent]) -> int:
    """Carrier events matched to returns by tracking number and recorded; returns how many were new.
    Events about parcels the portal does not know (another shop's, or long anonymised) are logged and dropped."""
    by_number: dict[str, list[TrackingEvent]] = defaultdict(list)
    for event in events:
        by_number[event.tracking_number].append(event)
    if not by_number:
        return 0
    returns = ReturnRequest.objects.filter(tracking_number__in=list(by_number)).only("pk", "state", "tracking_number")
    found = {return_request.tracking_number: return_request for return_request in returns}
    if unknown := sorted(set(by_number) - set(found)):
        log.info("Carrier events for tracking numbers no return has: %s", ", ".join(unknown))
    return sum(
        record_parcel_events(return_request=return_request, events=by_number[number])
        for number, return_request in found.items()
    )


def returns_track(*, batch_size: int = TRACK_BATCH) -> int:
    """Ask each carrier about the parcels it carries for returns on their way, `batch_size` numbers per
    call, outside any transaction; returns how many events were new. A carrier that fails is skipped
    until the next run."""
    new = 0
    for carrier_key, numbers in _tracked_numbers().items():
        carrier = carrier_named(carrier_key)
        for start in range(0, len(numbers), batch_size):
            batch = numbers[start : start + batch_size]
            try:
                events = carrier.track(batch)
            except Exception:
                log.warning("Could not track %s parcels with carrier %r", len(batch), carrier_key, exc_info=True)
                break  # the carrier is down: its other batches would fail too
            new += record_tracking_events(event for event in events if event.tracking_number in batch)
    return new


def _tracked_numbers() -> dict[str, list[str]]:
    rows = (
        ReturnRequest.objects.filter(state__in=TRACKED_STATES)
        .exclude(tracking_number="")
        .order_by("pk")
        .values_list("carrier_key", "tracking_number")
    )
    numbers: dict[str, list[str]] = defaultdict(list)
    for carrier_key, tracking_number in rows:
        numbers[carrier_key].append(tracking_number)
    return numbers


def _row(return_request: ReturnRequest, event: TrackingEvent) -> ParcelEvent:
    return ParcelEvent(
        return_request_id=return_request.pk,
        event_id=event.event_id[:120],
        at=event.at,
        stage=str(event.stage),
        description=event.description[:300],
        location=event.location[:200],
    )


def _note(event: ParcelEvent) -> str:
    where = f" at {event.location}" if event.location else ""
    return f"Carrier: {event.description}{where} ({timezone.localtime(event.at):%Y-%m-%d %H:%M})."
