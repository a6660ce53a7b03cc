"""The carriers' event pushes: a signed delivery is recorded, a refused signature changes nothing, a
replay changes nothing, a parcel nobody knows is acknowledged; no cookie or CSRF token is needed."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from returns.models import ParcelEvent, ReturnRequest, ReturnState
from tests.returns.carrier_doubles import KEY, SIGNATURE, ScriptedCarrier, a_return, scripted_fixture  # noqa: F401

pytestmark = pytest.mark.django_db

URL = reverse("returns:carrier_events", args=[KEY])


def push(client: Client, items: list[dict[str, str]], *, signature: str = SIGNATURE, url: str = URL) -> Any:
    return client.post(url, json.dumps(items), content_type="application/json", HTTP_X_SIGNATURE=signature)


def scan(number: str, event_id: str = "e1", stage: str = "handed_in") -> dict[str, str]:
    return {"parcel": number, "id": event_id, "at": "2026-12-01T09:30:00+01:00", "stage": stage, "text": "Handed in"}


@pytest.fixture
def sent(scripted: type[ScriptedCarrier]) -> ReturnRequest:
    return ReturnRequest.objects.get(pk=a_return("label").pk)


def test_a_signed_push_is_recorded_and_moves_the_return(sent: ReturnRequest) -> None:
    client = Client(enforce_csrf_checks=True)
    response = push(client, [scan(sent.tracking_number)])
    assert response.status_code == 204
    sent.refresh_from_db()
    assert sent.state == ReturnState.IN_TRANSIT
    assert "Set-Cookie" not in response.headers


def test_a_refused_signature_is_a_400_and_changes_nothing(sent: ReturnRequest, client: Client) -> None:
    assert push(client, [scan(sent.tracking_number)], signature="forged").status_code == 400
    sent.refresh_from_db()
    assert sent.state == ReturnState.APPROVED
    assert not ParcelEvent.objects.exists()


def test_a_replay_changes_nothing(sent: ReturnRequest, client: Client) -> None:
    assert push(client, [scan(sent.tracking_number)]).status_code == 204
    assert push(client, [scan(sent.tracking_number)]).status_code == 204
    assert ParcelEvent.objects.filter(return_request=sent).count() == 1
    assert sent.history.filter(to_state=ReturnState.IN_TRANSIT).count() == 1


def test_an_unknown_parcel_is_acknowledged_and_logged(
    sent: ReturnRequest, client: Client, caplog: pytest.LogCaptureFixture
) -> None:
    assert push(client, [scan("NOBODY123SE"), scan(sent.tracking_number)]).status_code == 204
    assert "NOBODY123SE" in caplog.text
    assert ParcelEvent.objects.filter(return_request=sent).count() == 1


def test_only_a_configured_carrier_that_pushes_events_has_an_address(
    scripted: type[ScriptedCarrier], client: Client
) -> None:
    assert push(client, [], url=reverse("returns:carrier_events", args=["nosuch"])).status_code == 404
    assert push(client, [], url=reverse("returns:carrier_events", args=["builtin"])).status_code == 404
    assert client.get(URL).status_code == 405


def test_a_body_too_big_to_be_events_is_refused(scripted: type[ScriptedCarrier], client: Client) -> None:
    response = client.post(URL, "x" * 300_000, content_type="application/json", HTTP_X_SIGNATURE=SIGNATURE)
    assert response.status_code == 413
