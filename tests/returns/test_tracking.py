"""The carrier's events: stored once each, the first scan moves an approved return to in transit once
(however often and however concurrently it is heard), a delivery shows as arrived, the status page
forgets what it showed, and the beat task asks each carrier about its parcels in batches."""

from __future__ import annotations

import threading
from typing import Any

import pytest
from django.core.cache import cache
from django.db import connections
from django.test import Client
from django.test.utils import CaptureQueriesContext

from returns.models import ParcelEvent, ReturnEvent, ReturnRequest, ReturnState
from returns.services import record_parcel_events, record_tracking_events, return_transition, returns_track
from returns.tasks import track_parcels
from returns_portal.core.pagecache import page_keys
from tests.factories import CustomerFactory
from tests.returns.carrier_doubles import ScriptedCarrier, a_return, event, scripted_fixture, warehouse_fixture  # noqa: F401

pytestmark = pytest.mark.django_db


def moves(return_request: ReturnRequest) -> list[tuple[str, str]]:
    return list(
        ReturnEvent.objects.filter(return_request=return_request).order_by("at", "id").values_list("to_state", "actor")
    )


@pytest.fixture
def sent(scripted: type[ScriptedCarrier]) -> ReturnRequest:
    """An approved, booked label return, the parcel still with the customer."""
    return_request = ReturnRequest.objects.get(pk=a_return("label").pk)
    assert return_request.state == ReturnState.APPROVED
    return return_request


def test_the_first_scan_moves_the_return_to_in_transit_once(sent: ReturnRequest) -> None:
    number = sent.tracking_number
    assert record_parcel_events(return_request=sent, events=[event(number, "e1", "handed_in")]) == 1
    assert record_parcel_events(return_request=sent, events=[event(number, "e1", "handed_in")]) == 0  # the same again
    assert record_parcel_events(return_request=sent, events=[event(number, "e2", "in_transit", hour=15)]) == 1
    sent.refresh_from_db()
    assert sent.state == ReturnState.IN_TRANSIT
    assert [to for to, _actor in moves(sent)].count(ReturnState.IN_TRANSIT) == 1
    assert moves(sent)[-1] == (ReturnState.IN_TRANSIT, "carrier")
    history = ReturnEvent.objects.filter(return_request=sent, to_state=ReturnState.IN_TRANSIT).get()
    assert "Parcel handed in at ICA Kvantum Sveavägen" in history.note
    assert list(ParcelEvent.objects.filter(return_request=sent).values_list("event_id", flat=True)) == ["e1", "e2"]


def test_two_events_in_one_delivery_move_it_once_by_the_earliest(sent: ReturnRequest) -> None:
    number = sent.tracking_number
    events = [event(number, "late", "in_transit", hour=18), event(number, "early", "handed_in", hour=8)]
    assert record_tracking_events(events) == 2
    assert [to for to, _actor in moves(sent)].count(ReturnState.IN_TRANSIT) == 1
    assert "Parcel handed in" in ReturnEvent.objects.get(return_request=sent, to_state=ReturnState.IN_TRANSIT).note


def test_a_booked_event_moves_nothing_and_a_delivery_shows_as_arrived_but_is_received_by_staff(
    sent: ReturnRequest,
) -> None:
    number = sent.tracking_number
    record_parcel_events(return_request=sent, events=[event(number, "b", "booked")])
    sent.refresh_from_db()
    assert sent.state == ReturnState.APPROVED
    record_parcel_events(return_request=sent, events=[event(number, "d", "delivered", where="Warehouse")])
    sent.refresh_from_db()
    assert sent.state == ReturnState.IN_TRANSIT  # not received: staff scan it in
    delivered = ParcelEvent.objects.get(return_request=sent, event_id="d")
    assert delivered.get_stage_display() == "Arrived at the warehouse"


def test_a_cancelled_return_keeps_its_state_whatever_the_carrier_says(sent: ReturnRequest) -> None:
    return_transition(return_request=sent, to=ReturnState.CANCELLED, actor="customer")
    record_parcel_events(return_request=sent, events=[event(sent.tracking_number, "x", "handed_in")])
    sent.refresh_from_db()
    assert sent.state == ReturnState.CANCELLED
    assert ParcelEvent.objects.filter(return_request=sent).count() == 1


def test_new_events_make_the_status_page_forget_what_it_showed(sent: ReturnRequest) -> None:
    keys = page_keys("status", sent.pk, False)
    cache.set_many(dict.fromkeys(keys, "the old page"))
    record_parcel_events(return_request=sent, events=[event(sent.tracking_number, "b", "booked")])
    assert cache.get_many(keys) == {}


def test_each_carrier_is_asked_about_its_parcels_in_batches(scripted: type[ScriptedCarrier]) -> None:
    parcels = [ReturnRequest.objects.get(pk=a_return("label").pk) for _ in range(3)]
    a_return("label", country="FI")  # the built-in carrier's, which tracks nothing
    ScriptedCarrier.events = [event(parcel.tracking_number, f"e{parcel.pk}", "handed_in") for parcel in parcels]
    ScriptedCarrier.calls = []
    assert returns_track(batch_size=2) == 3
    assert ScriptedCarrier.calls == ["track 2", "track 1"]
    assert {parcel.state for parcel in ReturnRequest.objects.filter(pk__in=[p.pk for p in parcels])} == {
        ReturnState.IN_TRANSIT
    }
    assert track_parcels() == 0  # asked again, nothing new


def test_a_carrier_that_is_down_is_skipped_until_the_next_run(scripted: type[ScriptedCarrier]) -> None:
    a_return("label")
    ScriptedCarrier.calls, ScriptedCarrier.failures = [], [ConnectionError("down")]
    assert track_parcels() == 0
    assert ScriptedCarrier.calls == ["track 1"]


def test_the_support_page_lists_the_parcel_events_in_the_same_queries_for_one_return_or_many(
    scripted: type[ScriptedCarrier], client: Client, django_user_model: Any
) -> None:
    from django.contrib.auth.models import Group

    agent = django_user_model.objects.create_user("agent", password="x", is_staff=True)
    agent.groups.add(Group.objects.get(name="Support"))
    client.force_login(agent)
    counts = []
    for email, how_many in (("one@example.com", 1), ("many@example.com", 4)):
        customer = CustomerFactory(email=email, language="en")
        for _ in range(how_many):
            parcel = a_return("label", customer=customer)
            record_tracking_events(
                [event(parcel.tracking_number, "a", "handed_in"), event(parcel.tracking_number, "b", "in_transit")]
            )
        with CaptureQueriesContext(connections["default"]) as queries:
            page = client.get("/support/", {"q": email}).content.decode()
        counts.append(len(queries))
    assert counts[0] == counts[1], counts
    assert "Handed in at ICA Kvantum Sveavägen on 1 Dec 2026" in page


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("migration_data")
def test_the_same_scan_heard_by_two_workers_at_once_moves_the_return_once(sent: ReturnRequest) -> None:
    number = sent.tracking_number
    start = threading.Barrier(4)
    errors: list[BaseException] = []

    def deliver(event_id: str) -> None:
        try:
            start.wait()
            record_tracking_events([event(number, event_id, "handed_in"), event(number, "shared", "in_transit")])
        except BaseException as error:  # pragma: no cover - reported below
            errors.append(error)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=deliver, args=(f"scan-{n % 2}",)) for n in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert [to for to, _actor in moves(sent)].count(ReturnState.IN_TRANSIT) == 1
    assert ParcelEvent.objects.filter(return_request=sent).count() == 3
