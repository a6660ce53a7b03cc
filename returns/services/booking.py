"""Booking the carrier for a return: the parcel (label or label-free code) or the home pickup.

Call, then record. The carrier is remote, so it is asked with no transaction
open and no row locked; its answer is written in a short transaction that fills
only what is still empty, so two bookings at once (the customer opening the
label while the sweep runs) record one answer. Carriers are idempotent per
return (the return number is their reference), so asking again after a lost
answer books nothing twice.

Which carrier: the admin's route for the customer's country and the method
(`carrier_for`) on the first booking, recorded in `carrier_key`; every later
call for the return (tracking, cancelling, a retry) asks that same carrier.

Three kinds of answer besides a booking:

- `CarrierRejected` (a 4xx with a reason): the carrier's words are kept for
  staff (`carrier_problem`), `return_carrier_refused` asks the customer to fix
  their address when that is what was refused (`return_address_fixable`), and
  nobody asks the carrier again until `return_retry_booking`.
- `PickupRefused`: the carrier cannot come; its words are kept (`pickup_problem`).
- Anything else (time-out, 5xx, 429): the return waits. `carrier_retry_at` says
  when to try again, with a growing pause; the `returns.book_carrier` task
  retries then, and the minute sweep (`returns_awaiting_carrier`) is the safety
  net for a retry lost with its worker.
"""

from __future__ import annotations

import datetime as dt
import logging
import re
from collections.abc import Callable
from typing import Any, TypeVar

from celery import current_app
from django.conf import settings
from django.db import models, transaction
from django.utils import timezone

from returns import signals
from returns.carrier_files import carrier_file_save, carrier_files_delete, is_png
from returns.carriers import (
    Address,
    Carrier,
    CarrierRejected,
    CarrierUnavailable,
    PickupRefused,
    PickupRequest,
    Shipment,
    ShipmentRequest,
    carrier_for,
    carrier_named,
)
from returns.models import LABELLED_METHODS, TO_BE_SENT_STATES, Customer, ReturnMethod, ReturnPolicy, ReturnRequest

log = logging.getLogger(__name__)
T = TypeVar("T")

BOOK_TASK = "returns.book_carrier"  # registered by `returns.tasks`
FIRST_PAUSE = dt.timedelta(minutes=1)
LONGEST_PAUSE = dt.timedelta(hours=1)
# A carrier's Retry-After is respected, but a broken one ("come back in a year") must not strand a return.
LONGEST_RETRY_AFTER = dt.timedelta(hours=6)


def booking_pause(attempts: int, retry_after: float | None = None) -> dt.timedelta:
    """How long to wait after `attempts` failed bookings: 1, 2, 4 ... minutes up to an hour, or longer
    if the carrier asked for it (Retry-After)."""
    pause = min(LONGEST_PAUSE, FIRST_PAUSE * 2 ** max(attempts - 1, 0))
    if retry_after:
        pause = max(pause, min(LONGEST_RETRY_AFTER, dt.timedelta(seconds=retry_after)))
    return pause


def return_needs_carrier(return_request: ReturnRequest) -> bool:
    """Whether the carrier is still to be asked: a parcel or pickup with no answer and no refusal to fix first."""
    if return_request.state not in TO_BE_SENT_STATES or return_request.carrier_problem:
        return False
    if return_request.method in LABELLED_METHODS:
        return not return_request.tracking_number
    if return_request.method == ReturnMethod.PICKUP and return_request.pickup_date is not None:
        return not (return_request.pickup_reference or return_request.pickup_problem)
    return False


# The carrier's refusals the customer can fix themselves, on the status page: their postal address.
ADDRESS_FIELDS = frozenset({"postcode", "address"})


def return_address_fixable(return_request: ReturnRequest) -> bool:
    """Whether the carrier refused a parcel still to be booked for an address the customer can correct.
    Other refusals (the warehouse's side, a booking already made, a phone number) are for staff."""
    return (
        return_request.method in LABELLED_METHODS
        and return_request.state in TO_BE_SENT_STATES
        and bool(return_request.carrier_problem)
        and return_request.carrier_problem_field in ADDRESS_FIELDS
        and not (return_request.tracking_number or return_request.dropoff_code)
    )


def return_awaits_carrier(return_request: ReturnRequest) -> bool:
    """Whether the carrier's first answer is still to come: the confirmation waits for it, so that it
    carries the label or code. After a failed try it goes out saying they follow by e-mail."""
    return return_needs_carrier(return_request) and return_request.booking_attempts == 0


def return_book_carrier(*, return_request: ReturnRequest, retry_later: bool = True) -> ReturnRequest:
    """Whatever the return still needs from the carrier, booked now if the carrier answers.

    A carrier that fails is logged, and (with `retry_later`) asked again by the
    `returns.book_carrier` task after a pause: the return itself is made and
    committed, and must not fail because of it.
    """
    if not return_needs_carrier(return_request):
        return return_request  # answered, refused, or cancelled before the carrier came into it
    try:
        if return_request.method == ReturnMethod.PICKUP:
            return return_book_pickup(return_request=return_request)
        return return_ensure_shipment(return_request=return_request)
    except CarrierRejected:
        return return_request  # recorded for staff and the customer
    except Exception:
        log.warning("Could not book the carrier for return %s; trying again later", return_request, exc_info=True)
        if retry_later and return_request.carrier_retry_at is not None:
            _queue_retry(return_request)
        return return_request


def return_retry_booking(*, return_request: ReturnRequest) -> ReturnRequest:
    """Ask the carrier again after the customer fixed their address (or staff decided to): the refusal
    is cleared and the booking made now, or later if the carrier is down."""
    with transaction.atomic():
        locked = ReturnRequest.objects.select_for_update().get(pk=return_request.pk)
        locked.carrier_problem = locked.carrier_problem_field = locked.pickup_problem = ""
        locked.carrier_retry_at = None
        locked.save(update_fields=["carrier_problem", "carrier_problem_field", "pickup_problem", "carrier_retry_at"])
    _copy(locked, return_request, ["carrier_problem", "carrier_problem_field", "pickup_problem", "carrier_retry_at"])
    return return_book_carrier(return_request=return_request)


def return_ensure_shipment(*, return_request: ReturnRequest) -> ReturnRequest:
    """Book the carrier for a label or label-free return, once. Runs outside any transaction: carriers
    are remote. Raises what the carrier raised, after recording it."""
    if return_request.method not in LABELLED_METHODS or return_request.tracking_number:
        return return_request
    if return_request.carrier_problem:
        return return_request  # the carrier refused it: nobody asks again until the address is fixed
    customer = return_request.order.customer
    request = ShipmentRequest(
        return_id=return_request.pk,
        return_number=return_request.number,
        sender=_address(customer),
        recipient=_warehouse(),
        label_free=return_request.method == ReturnMethod.QR_DROPOFF,
        service_point_id=str((return_request.service_point or {}).get("id", "")),
    )
    shipment = _ask(return_request, lambda carrier: carrier.create_shipment(request))
    files = _store_files(return_request, shipment)
    answer: dict[str, Any] = {
        "carrier": shipment.carrier,
        "tracking_number": shipment.tracking_number,
        "qr_payload": shipment.qr_payload,
        "shipment_id": shipment.shipment_id or shipment.tracking_number,
        "dropoff_code": shipment.dropoff_code,
        **files,
    }
    try:
        recorded = _record(return_request, answer, booked=lambda locked: bool(locked.tracking_number))
    except Exception:
        carrier_files_delete(return_request.carrier_label.storage, files.values())
        raise
    if not recorded:  # the other booking's files are the ones kept
        carrier_files_delete(return_request.carrier_label.storage, files.values())
    return return_request


def return_book_pickup(*, return_request: ReturnRequest) -> ReturnRequest:
    """Book the home pickup of a pickup return, once; a refusal is kept, in the carrier's words, for staff.

    Runs outside any transaction. Any other failure of the carrier propagates,
    after it is counted, and the booking can be tried again.
    """
    if (
        return_request.method != ReturnMethod.PICKUP
        or return_request.pickup_date is None
        or return_request.pickup_reference
        or return_request.pickup_problem
        or return_request.carrier_problem
    ):
        return return_request
    request = PickupRequest(
        return_id=return_request.pk,
        return_number=return_request.number,
        address=_address(return_request.order.customer),
        day=return_request.pickup_date,
        tracking_number=return_request.tracking_number,
    )
    try:
        booking = _ask(return_request, lambda carrier: carrier.book_pickup(request))
    except PickupRefused as refusal:
        answer = {"pickup_reference": "", "pickup_window": "", "pickup_problem": refusal.message or str(refusal)}
    else:
        answer = {"pickup_reference": booking.reference, "pickup_window": booking.window, "pickup_problem": ""}
    _record(return_request, answer, booked=lambda locked: bool(locked.pickup_reference or locked.pickup_problem))
    return return_request


def returns_awaiting_carrier(*, now: dt.datetime | None = None, grace: dt.timedelta) -> list[int]:
    """Returns the carrier is still to be asked for: made more than `grace` ago (younger ones are being
    booked now), and whose pause after a failure ended more than `grace` ago (its retry task had its chance)."""
    now = now or timezone.now()
    never_tried = models.Q(carrier_retry_at__isnull=True, created_at__lte=now - grace)
    pause_over = models.Q(carrier_retry_at__lte=now - grace)
    waiting = ReturnRequest.objects.filter(state__in=TO_BE_SENT_STATES, carrier_problem="").filter(
        _shipment_missing() | _pickup_missing(), never_tried | pause_over
    )
    return list(waiting.order_by("created_at").values_list("pk", flat=True))


def _shipment_missing() -> models.Q:
    return models.Q(method__in=LABELLED_METHODS, tracking_number="")


def _pickup_missing() -> models.Q:
    return models.Q(method=ReturnMethod.PICKUP, pickup_date__isnull=False, pickup_reference="", pickup_problem="")


def _routed_carrier(return_request: ReturnRequest) -> Carrier:
    """The carrier that books this return: the route's on the first booking, recorded so that every later
    call asks the same one (a route changed in between does not move a booked return)."""
    if not return_request.carrier_key:
        key, _carrier = carrier_for(country=return_request.order.customer.country, method=return_request.method)
        ReturnRequest.objects.filter(pk=return_request.pk, carrier_key="").update(carrier_key=key)
        return_request.carrier_key = (
            ReturnRequest.objects.filter(pk=return_request.pk).values_list("carrier_key", flat=True).get()
        )
    return carrier_named(return_request.carrier_key)


def _ask(return_request: ReturnRequest, call: Callable[[Carrier], T]) -> T:
    """Make the carrier call; a refusal or a failure is counted and recorded before it propagates."""
    try:
        return call(_routed_carrier(return_request))
    except CarrierRejected as refusal:
        _record_refusal(return_request, refusal)
        raise
    except PickupRefused:
        raise
    except Exception as error:
        retry_after = error.retry_after if isinstance(error, CarrierUnavailable) else None
        _record_failure(return_request, retry_after)
        raise


def _record_failure(return_request: ReturnRequest, retry_after: float | None) -> None:
    with transaction.atomic():
        locked = ReturnRequest.objects.select_for_update().get(pk=return_request.pk)
        locked.booking_attempts += 1
        locked.carrier_retry_at = timezone.now() + booking_pause(locked.booking_attempts, retry_after)
        locked.save(update_fields=["booking_attempts", "carrier_retry_at"])
    _copy(locked, return_request, ["booking_attempts", "carrier_retry_at"])


def _record_refusal(return_request: ReturnRequest, refusal: CarrierRejected) -> None:
    with transaction.atomic():
        locked = ReturnRequest.objects.select_for_update().get(pk=return_request.pk)
        if return_needs_carrier(locked):  # not booked by another call meanwhile
            locked.booking_attempts += 1
            locked.carrier_problem = refusal.message or str(refusal)
            locked.carrier_problem_field = refusal.field
            locked.carrier_retry_at = None
            locked.save(
                update_fields=["booking_attempts", "carrier_problem", "carrier_problem_field", "carrier_retry_at"]
            )
            if return_address_fixable(locked):
                signals.return_carrier_refused.send(sender=ReturnRequest, return_request=locked)
    _copy(locked, return_request, ["booking_attempts", "carrier_problem", "carrier_problem_field", "carrier_retry_at"])


def _record(return_request: ReturnRequest, answer: dict[str, Any], booked: Callable[[ReturnRequest], bool]) -> bool:
    """Write the carrier's answer unless another booking recorded one first; whether this one did. Either
    way, the return in memory ends up with what the database holds."""
    fields = [*answer, "booking_attempts", "carrier_retry_at"]
    with transaction.atomic():
        locked = ReturnRequest.objects.select_for_update().get(pk=return_request.pk)
        recorded = not booked(locked)
        if recorded:
            for name, value in answer.items():
                setattr(locked, name, value)
            locked.booking_attempts += 1
            locked.carrier_retry_at = None
            locked.save(update_fields=fields)
            if not locked.pickup_problem:  # a pickup the carrier cannot make is no booking to announce
                signals.return_carrier_booked.send(sender=ReturnRequest, return_request=locked)
    _copy(locked, return_request, fields)
    return recorded


def _store_files(return_request: ReturnRequest, shipment: Shipment) -> dict[str, str]:
    """Save the carrier's label and its picture of the label-free code before the answer is recorded:
    storage may be remote (S3). A picture that is not a PNG is not kept: the status page then draws
    the code itself."""
    image = shipment.dropoff_code_image
    if image and not is_png(image):
        log.warning("%s sent a drop-off code image for %s that is not a PNG", shipment.carrier, return_request)
        image = b""
    number = return_request.number
    label_name = carrier_file_save(return_request.carrier_label, shipment.label_pdf, name=f"{number}.pdf")
    try:
        image_name = carrier_file_save(return_request.dropoff_code_image, image, name=f"{number}-qr.png")
    except Exception:
        carrier_files_delete(return_request.carrier_label.storage, [label_name])
        raise
    return {"carrier_label": label_name, "dropoff_code_image": image_name}


def _queue_retry(return_request: ReturnRequest) -> None:
    """Ask the booking task to try again after the pause. Eager mode has no timer: the sweep retries there."""
    if current_app.conf.task_always_eager or return_request.carrier_retry_at is None:
        return
    pause = max(0.0, (return_request.carrier_retry_at - timezone.now()).total_seconds())
    try:
        current_app.tasks[BOOK_TASK].apply_async((return_request.pk,), countdown=pause)
    except Exception:  # the broker is down: the sweep books it
        log.warning("Could not queue the carrier retry of return %s", return_request, exc_info=True)


def _copy(source: ReturnRequest, target: ReturnRequest, fields: list[str]) -> None:
    for name in fields:
        setattr(target, name, getattr(source, name))


def _address(customer: Customer) -> Address:
    return Address(
        name=customer.name,
        street=customer.street,
        postcode=customer.postcode,
        city=customer.city,
        country=customer.country,
        email=customer.email,
    )


def _warehouse() -> Address:
    """The policy's return address: first line the name, then the street, then "postcode city"."""
    lines = [line.strip() for line in ReturnPolicy.current().return_address.splitlines() if line.strip()]
    name, street, city_line = [*lines, "", "", ""][:3]
    # Swedish postcodes have a space ("136 50"); Norway's and Denmark's 4 digits, Finland's 5.
    match = re.fullmatch(r"(\d{3} \d{2}|\d{4,5})\s+(.+)", city_line)
    postcode, city = (match[1], match[2]) if match else ("", city_line)
    country = lines[3] if len(lines) > 3 and len(lines[3]) == 2 else settings.RETURN_CARRIER_COUNTRY
    return Address(name=name, street=street, postcode=postcode, city=city, country=country)
