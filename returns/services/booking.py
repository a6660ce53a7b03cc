"""Booking the carrier for a return: the parcel (label or QR code) or the home pickup.

Call, then record. The carrier is remote, so it is asked with no transaction
open and no row locked; its answer is written in a short transaction that fills
only what is still empty, so two bookings at once (the customer opening the
label while the sweep runs) record one answer. Carriers are idempotent per
return, so asking again after a lost answer books nothing twice.

`return_create` books right after its commit. When the carrier is down, or the
process dies first, `returns_awaiting_carrier` finds the return and the
`returns.book_carrier` task books it later.
"""

from __future__ import annotations

import datetime as dt
import logging
import re
from collections.abc import Callable

from django.conf import settings
from django.db import models, transaction
from django.utils import timezone

from returns.carriers import Address, PickupRefused, PickupRequest, ShipmentRequest, get_carrier
from returns.models import LABELLED_METHODS, TO_BE_SENT_STATES, Customer, ReturnMethod, ReturnPolicy, ReturnRequest

log = logging.getLogger(__name__)

SHIPMENT_FIELDS = ["carrier", "tracking_number", "qr_payload"]
PICKUP_FIELDS = ["pickup_reference", "pickup_window", "pickup_problem"]


def return_awaits_carrier(return_request: ReturnRequest) -> bool:
    """Whether the carrier's answer (a tracking number, a pickup booking or refusal) is still to come."""
    if return_request.state not in TO_BE_SENT_STATES:
        return False
    if return_request.method in LABELLED_METHODS:
        return not return_request.tracking_number
    if return_request.method == ReturnMethod.PICKUP and return_request.pickup_date is not None:
        return not (return_request.pickup_reference or return_request.pickup_problem)
    return False


def return_book_carrier(*, return_request: ReturnRequest) -> ReturnRequest:
    """Whatever the return still needs from the carrier, booked now if the carrier answers.

    A carrier that fails is logged and tried again by the sweep: the return
    itself is made and committed, and must not fail because of it.
    """
    if not return_awaits_carrier(return_request):
        return return_request  # answered already, or cancelled before the carrier came into it
    try:
        if return_request.method == ReturnMethod.PICKUP:
            return return_book_pickup(return_request=return_request)
        return return_ensure_shipment(return_request=return_request)
    except Exception:
        log.warning("Could not book the carrier for return %s; the sweep tries again", return_request, exc_info=True)
        return return_request


def return_ensure_shipment(*, return_request: ReturnRequest) -> ReturnRequest:
    """Book the carrier for a label or QR return, once. Runs outside any transaction: carriers are remote."""
    if return_request.method not in LABELLED_METHODS or return_request.tracking_number:
        return return_request
    customer = return_request.order.customer
    shipment = get_carrier().create_shipment(
        ShipmentRequest(
            return_id=return_request.pk,
            return_number=return_request.number,
            sender=_address(customer),
            recipient=_warehouse(),
            label_free=return_request.method == ReturnMethod.QR_DROPOFF,
        )
    )
    answer = {
        "carrier": shipment.carrier,
        "tracking_number": shipment.tracking_number,
        "qr_payload": shipment.qr_payload,
    }
    return _record(return_request, answer, SHIPMENT_FIELDS, booked=lambda locked: bool(locked.tracking_number))


def return_book_pickup(*, return_request: ReturnRequest) -> ReturnRequest:
    """Book the home pickup of a pickup return, once; a refusal is kept, in the carrier's words, for staff.

    Runs outside any transaction. Any other failure of the carrier propagates:
    nothing is recorded and the booking can be tried again.
    """
    if (
        return_request.method != ReturnMethod.PICKUP
        or return_request.pickup_date is None
        or return_request.pickup_reference
        or return_request.pickup_problem
    ):
        return return_request
    request = PickupRequest(
        return_id=return_request.pk,
        return_number=return_request.number,
        address=_address(return_request.order.customer),
        day=return_request.pickup_date,
    )
    try:
        booking = get_carrier().book_pickup(request)
    except PickupRefused as refusal:
        answer = {"pickup_reference": "", "pickup_window": "", "pickup_problem": refusal.message or str(refusal)}
    else:
        answer = {"pickup_reference": booking.reference, "pickup_window": booking.window, "pickup_problem": ""}
    return _record(
        return_request,
        answer,
        PICKUP_FIELDS,
        booked=lambda locked: bool(locked.pickup_reference or locked.pickup_problem),
    )


def returns_awaiting_carrier(*, now: dt.datetime | None = None, grace: dt.timedelta) -> list[int]:
    """Returns still waiting for the carrier, made more than `grace` ago (younger ones are being booked now)."""
    now = now or timezone.now()
    waiting = ReturnRequest.objects.filter(state__in=TO_BE_SENT_STATES, created_at__lte=now - grace).filter(
        _shipment_missing() | _pickup_missing()
    )
    return list(waiting.order_by("created_at").values_list("pk", flat=True))


def _shipment_missing() -> models.Q:
    return models.Q(method__in=LABELLED_METHODS, tracking_number="")


def _pickup_missing() -> models.Q:
    return models.Q(method=ReturnMethod.PICKUP, pickup_date__isnull=False, pickup_reference="", pickup_problem="")


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


def _record(
    return_request: ReturnRequest,
    answer: dict[str, str],
    fields: list[str],
    booked: Callable[[ReturnRequest], bool],
) -> ReturnRequest:
    """Write the carrier's answer unless another booking recorded one first; either way, the return
    in memory ends up with what the database holds."""
    with transaction.atomic():
        locked = ReturnRequest.objects.select_for_update().get(pk=return_request.pk)
        if not booked(locked):
            for name, value in answer.items():
                setattr(locked, name, value)
            locked.save(update_fields=fields)
    for name in fields:
        setattr(return_request, name, getattr(locked, name))
    return return_request
