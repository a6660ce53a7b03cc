"""Booking the routed carrier: what it answers is recorded (code, label, booking id), a refusal is kept
in its words for staff and asked of the customer once, and a carrier that is down is asked again later,
with growing pauses, while the customer is told the label follows, and then gets it, once."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from celery.exceptions import Retry
from django.core import mail
from django.core.files.storage import default_storage
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from followup.models import OutboxMessage
from followup.sending import outbox_sweep
from returns.carriers import CarrierRejected, CarrierUnavailable
from returns.models import ReturnRequest
from returns.services import (
    return_ensure_shipment,
    return_needs_carrier,
    return_retry_booking,
)
from returns.services.booking import booking_pause
from returns.tasks import book_carrier, book_missing_carriers
from tests.remote_calls import OUTSIDE
from tests.returns.carrier_doubles import KEY, ScriptedCarrier, a_return, scripted_fixture, warehouse_fixture  # noqa: F401

pytestmark = pytest.mark.django_db


def test_the_routed_carrier_books_and_its_answer_is_recorded(scripted: type[ScriptedCarrier]) -> None:
    return_request = ReturnRequest.objects.get(pk=a_return("label").pk)
    assert return_request.carrier_key == KEY
    assert (return_request.carrier, return_request.tracking_number) == ("Scripted Post", f"SP{return_request.pk:08d}")
    assert return_request.shipment_id == f"ship-{return_request.number}"
    assert return_request.carrier_label.read() == ScriptedCarrier.label
    assert (return_request.booking_attempts, return_request.carrier_problem) == (1, "")


def test_a_label_free_return_gets_the_carriers_code_and_the_e_mail_says_where_to_show_it(
    scripted: type[ScriptedCarrier],
) -> None:
    return_request = a_return("qr")
    ReturnRequest.objects.filter(pk=return_request.pk).update(service_point={"id": "42", "name": "ICA Kvantum"})
    return_request.refresh_from_db()
    assert return_request.dropoff_code == f"CODE-{return_request.pk}"
    assert not return_request.carrier_label
    outbox_sweep()
    [email] = [email for email in mail.outbox if return_request.number in email.subject]
    assert return_request.dropoff_code in email.body
    assert "Show this code at ICA Kvantum" in email.body or "Show this code at the service point" in email.body


def test_a_route_changed_later_does_not_move_a_booked_return(scripted: type[ScriptedCarrier], settings: Any) -> None:
    return_request = a_return("label")
    settings.CARRIERS = {key: path for key, path in settings.CARRIERS.items() if key != "nshift"}
    assert ReturnRequest.objects.get(pk=return_request.pk).carrier_key == KEY


def test_without_a_route_the_default_carrier_books(scripted: type[ScriptedCarrier]) -> None:
    return_request = a_return("label", country="FI")
    assert (return_request.carrier_key, return_request.carrier) == ("default", "Portal Post")
    assert ScriptedCarrier.calls == []


def test_a_home_pickup_is_booked_with_the_routed_carrier_for_the_chosen_day(scripted: type[ScriptedCarrier]) -> None:
    day = timezone.localdate() + dt.timedelta(days=7)
    return_request = ReturnRequest.objects.get(pk=a_return("pickup", pickup_date=day).pk)
    assert ScriptedCarrier.calls == ["pickup"]
    assert (return_request.carrier_key, return_request.pickup_date) == (KEY, day)
    assert (return_request.pickup_reference, return_request.pickup_window) == (
        f"SP-PU-{return_request.number}",
        "10:00–14:00",
    )


# --- A refusal: the carrier's words for staff, one e-mail for the customer -----------------------------


def test_a_refusal_is_kept_for_staff_asked_of_the_customer_once_and_never_retried_until_fixed(
    scripted: type[ScriptedCarrier], clock: Any, warehouse: Client
) -> None:
    ScriptedCarrier.failures = [CarrierRejected("Postcode 99999 does not exist in SE.", field="postcode")]
    return_request = a_return("label")
    return_request.refresh_from_db()
    assert (return_request.carrier_problem, return_request.carrier_problem_field) == (
        "Postcode 99999 does not exist in SE.",
        "postcode",
    )
    assert not return_needs_carrier(return_request)
    clock.shift(dt.timedelta(minutes=10))  # (not longer: the staff session would time out)
    assert book_missing_carriers() == 0
    assert return_ensure_shipment(return_request=return_request).tracking_number == ""
    assert ScriptedCarrier.calls == ["shipment"]

    outbox_sweep()
    [confirmation] = mail.outbox  # the confirmation itself asks: it had not gone out yet
    assert "could not accept the address" in confirmation.body
    assert confirmation.attachments[0][0] == f"packing-{return_request.number}.pdf"  # no label to print
    assert outbox_sweep() == 0

    response = warehouse.get(reverse("admin:returns_returnrequest_change", args=[return_request.pk]))
    assert response.status_code == 200, response
    page = response.content.decode()
    assert "The carrier refused the booking:</strong> Postcode 99999 does not exist in SE." in page
    assert "carrier-problem" in page
    listed = warehouse.get(reverse("admin:returns_returnrequest_changelist"), {"carrier": "refused"})
    assert return_request.number in listed.content.decode()


def test_a_refusal_after_the_confirmation_went_out_sends_one_request_to_fix_the_address(
    scripted: type[ScriptedCarrier], clock: Any
) -> None:
    ScriptedCarrier.failures = [CarrierUnavailable("503")]
    return_request = a_return("label")
    outbox_sweep()
    assert len(mail.outbox) == 1  # the confirmation, saying the label follows
    ScriptedCarrier.failures = [CarrierRejected("No such street.", field="address")]
    clock.shift(dt.timedelta(minutes=5))
    book_missing_carriers()
    book_missing_carriers()
    outbox_sweep()
    assert [email.subject for email in mail.outbox][1:] == [
        f"Please check your address for return {return_request.number}"
    ]
    assert reverse("returns:status", args=["x"]).split("x")[0] in mail.outbox[1].body


def test_a_refusal_the_customer_cannot_fix_asks_nothing_of_them(scripted: type[ScriptedCarrier]) -> None:
    ScriptedCarrier.failures = [CarrierRejected("Consignee account blocked.", field="")]
    return_request = a_return("label")
    outbox_sweep()
    [confirmation] = mail.outbox
    assert "could not accept the address" not in confirmation.body
    assert "Your return label follows in a separate e-mail" in confirmation.body
    assert OutboxMessage.objects.filter(return_request=return_request).count() == 1


def test_a_refusal_after_the_confirmation_went_out_that_is_not_the_address_sends_nothing(
    scripted: type[ScriptedCarrier], clock: Any
) -> None:
    ScriptedCarrier.failures = [CarrierUnavailable("503")]
    return_request = a_return("label")
    outbox_sweep()
    ScriptedCarrier.failures = [CarrierRejected("Shipment already booked.", field="")]
    clock.shift(dt.timedelta(minutes=5))
    book_missing_carriers()
    assert ReturnRequest.objects.get(pk=return_request.pk).carrier_problem == "Shipment already booked."
    assert OutboxMessage.objects.filter(return_request=return_request).count() == 1
    assert outbox_sweep() == 0 and len(mail.outbox) == 1


def test_the_customer_fixes_the_address_and_the_booking_is_asked_again(scripted: type[ScriptedCarrier]) -> None:
    ScriptedCarrier.failures = [CarrierRejected("No such street.", field="address")]
    return_request = a_return("label")
    booked = return_retry_booking(return_request=ReturnRequest.objects.get(pk=return_request.pk))
    assert booked.tracking_number and booked.carrier_problem == ""
    assert ScriptedCarrier.calls == ["shipment", "shipment"]


def test_staff_book_the_carrier_again_from_the_admin(scripted: type[ScriptedCarrier], warehouse: Client) -> None:
    ScriptedCarrier.failures = [CarrierRejected("No such street.", field="address")]
    return_request = a_return("label")
    response = warehouse.post(
        reverse("admin:returns_returnrequest_changelist"),
        {"action": "book_carrier_again", "_selected_action": [return_request.pk]},
        follow=True,
    )
    assert f"Booked: {return_request.number}" in response.content.decode()
    assert ReturnRequest.objects.get(pk=return_request.pk).tracking_number


# --- Down: the return waits, retried with growing pauses; the label follows, once ---------------------


def test_pauses_grow_to_a_cap_and_respect_the_carriers_retry_after() -> None:
    assert [booking_pause(n).total_seconds() for n in (1, 2, 3, 7, 20)] == [60, 120, 240, 3600, 3600]
    assert booking_pause(1, retry_after=900).total_seconds() == 900
    assert booking_pause(1, retry_after=10**9) == dt.timedelta(hours=6)


def test_the_task_retries_after_the_pause_the_carrier_asked_for(
    scripted: type[ScriptedCarrier], monkeypatch: pytest.MonkeyPatch
) -> None:
    ScriptedCarrier.failures = [CarrierUnavailable("first")]
    return_request = a_return("label")  # the first try, right after the commit
    ScriptedCarrier.failures = [CarrierUnavailable("429 Too Many Requests", retry_after=300)]
    countdowns: list[float] = []

    def retry(**options: Any) -> Retry:
        countdowns.append(options["countdown"])
        return Retry()

    monkeypatch.setattr(book_carrier, "retry", retry)
    with pytest.raises(Retry):
        book_carrier(return_request.pk)  # called as a worker would, not eagerly
    assert countdowns == [300.0]
    stored = ReturnRequest.objects.get(pk=return_request.pk)
    assert (stored.booking_attempts, stored.tracking_number) == (2, "")


def test_down_the_label_follows_by_e_mail_and_then_comes_once(scripted: type[ScriptedCarrier], clock: Any) -> None:
    ScriptedCarrier.failures = [CarrierUnavailable("timed out"), CarrierUnavailable("503")]
    return_request = a_return("label")
    outbox_sweep()
    [confirmation] = mail.outbox
    assert "Your return label follows in a separate e-mail" in confirmation.body
    clock.shift(dt.timedelta(minutes=2))
    assert book_missing_carriers() == 1  # still down
    clock.shift(dt.timedelta(minutes=3))
    assert book_missing_carriers() == 1  # booked now
    assert book_missing_carriers() == 0
    outbox_sweep()
    outbox_sweep()
    assert [email.subject for email in mail.outbox][1:] == [
        f"Your return label for return {return_request.number} is ready"
    ]
    assert mail.outbox[1].attachments[0][0] == f"return-label-{return_request.number}.pdf"
    assert OutboxMessage.objects.filter(return_request=return_request).count() == 2


def test_a_return_booked_before_its_confirmation_goes_out_gets_one_e_mail(scripted: type[ScriptedCarrier]) -> None:
    a_return("label")
    outbox_sweep()
    assert len(mail.outbox) == 1
    assert "The return label and the packing instructions are attached." in mail.outbox[0].body


def test_two_bookings_at_once_keep_one_label_and_delete_the_other(scripted: type[ScriptedCarrier]) -> None:
    ScriptedCarrier.failures = [CarrierUnavailable("down")]
    return_request = a_return("label")
    stale = ReturnRequest.objects.select_related("order__customer").get(pk=return_request.pk)
    winner = return_ensure_shipment(return_request=return_request)
    loser = return_ensure_shipment(return_request=stale)  # read before the winner recorded its answer
    assert ScriptedCarrier.calls == ["shipment", "shipment", "shipment"]  # the carrier answers both the same
    assert loser.carrier_label.name == winner.carrier_label.name
    labels = default_storage.listdir(winner.carrier_label.name.rsplit("/", 1)[0])[1]
    assert len(labels) == 1


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("migration_data")
def test_the_carrier_is_never_called_inside_a_transaction(scripted: type[ScriptedCarrier], clock: Any) -> None:
    ScriptedCarrier.note_moments = True
    ScriptedCarrier.failures = [CarrierUnavailable("down")]
    return_request = a_return("label")
    clock.shift(dt.timedelta(minutes=5))
    book_missing_carriers()
    return_retry_booking(return_request=ReturnRequest.objects.get(pk=return_request.pk))
    assert ScriptedCarrier.calls == ["shipment", "shipment"]
    assert ScriptedCarrier.moments == [OUTSIDE, OUTSIDE]


def test_staff_find_the_returns_waiting_for_the_carrier_and_see_why(
    scripted: type[ScriptedCarrier], warehouse: Client
) -> None:
    ScriptedCarrier.failures = [CarrierUnavailable("503")]
    waiting, booked = a_return("label"), a_return("label")
    listed = warehouse.get(reverse("admin:returns_returnrequest_changelist"), {"carrier": "waiting"}).content.decode()
    assert waiting.number in listed and booked.number not in listed
    page = warehouse.get(reverse("admin:returns_returnrequest_change", args=[booked.pk])).content.decode()
    assert f"ship-{booked.number}" in page and f"{booked.number}.pdf</a>" in page
