"""A carrier for the carrier tests: implements the protocol, answers what the test scripted, and notes
every call (with its moment, in transactional tests on PostgreSQL). Import `scripted_fixture` to have
the `scripted` fixture."""

from __future__ import annotations

import datetime as dt
import io
import json
from collections.abc import Mapping
from decimal import Decimal
from typing import Any, ClassVar

import pytest
import segno
from django.contrib.auth.models import Group, User
from django.test import Client
from pytest_django.fixtures import Settings

from returns.carriers import (
    PickupBooking,
    PickupRequest,
    ServicePoint,
    Shipment,
    ShipmentRequest,
    TrackingEvent,
    TrackingStage,
    WebhookRefused,
)
from returns.models import CarrierRoute, Customer, Order, ReturnRequest
from returns.services import LineRequest, return_create
from tests.factories import CustomerFactory, OrderFactory, OrderLineFactory, carrier_booked
from tests.remote_calls import Moment, moment

KEY = "scripted"
SIGNATURE = "good-signature"


class ScriptedCarrier:
    """`failures` are raised one per call, in order, before it answers; `events` is what tracking knows."""

    name = "Scripted Post"
    failures: ClassVar[list[Exception]] = []
    calls: ClassVar[list[str]] = []
    moments: ClassVar[list[Moment]] = []
    note_moments: ClassVar[bool] = False
    events: ClassVar[list[TrackingEvent]] = []
    label: ClassVar[bytes] = b"%PDF-1.4 the carrier's own label"
    code_image: ClassVar[bytes] = b""  # its picture of a label-free code (`qr_png()`), when it sends one
    cancellable: ClassVar[bool] = True
    check_lines: ClassVar[list[str]] = ["Scripted Post: API key accepted."]

    def _call(self, what: str, return_id: int | None = None) -> None:
        ScriptedCarrier.calls.append(what)
        if ScriptedCarrier.note_moments and return_id is not None:
            returns = ReturnRequest.objects.filter(pk=return_id)
            ScriptedCarrier.moments.append(moment(returns, Order.objects.filter(returns__in=returns)))
        if ScriptedCarrier.failures:
            raise ScriptedCarrier.failures.pop(0)

    def create_shipment(self, request: ShipmentRequest) -> Shipment:
        self._call("shipment", request.return_id)
        number = f"SP{request.return_id:08d}"
        return Shipment(
            carrier=self.name,
            tracking_number=number,
            qr_payload=f"RETURN:{request.return_number}/TRACK:{number}",
            label_pdf=b"" if request.label_free else ScriptedCarrier.label,
            shipment_id=f"ship-{request.return_number}",
            dropoff_code=f"CODE-{request.return_id}" if request.label_free else "",
            dropoff_code_image=ScriptedCarrier.code_image if request.label_free else b"",
        )

    def book_pickup(self, request: PickupRequest) -> PickupBooking:
        self._call("pickup", request.return_id)
        return PickupBooking(reference=f"SP-PU-{request.return_number}", window="10:00–14:00")

    def service_points(self, *, country: str, postcode: str, street: str = "", limit: int = 5) -> list[ServicePoint]:
        return []

    def track(self, tracking_numbers: list[str]) -> list[TrackingEvent]:
        self._call(f"track {len(tracking_numbers)}")
        return [event for event in ScriptedCarrier.events if event.tracking_number in tracking_numbers]

    def cancel_shipment(self, shipment: Shipment) -> bool:
        self._call(f"cancel {shipment.shipment_id}")
        return ScriptedCarrier.cancellable

    def check(self) -> list[str]:
        self._call("check")
        return ScriptedCarrier.check_lines

    def parse_webhook(self, *, headers: Mapping[str, str], body: bytes) -> list[TrackingEvent]:
        if headers.get("X-Signature") != SIGNATURE:
            raise WebhookRefused("bad signature")
        return [
            TrackingEvent(
                tracking_number=item["parcel"],
                event_id=item["id"],
                at=dt.datetime.fromisoformat(item["at"]),
                stage=TrackingStage(item["stage"]),
                description=item["text"],
                location=item.get("where", ""),
            )
            for item in json.loads(body)
        ]


@pytest.fixture(name="warehouse")
def warehouse_fixture(client: Client) -> Client:
    """Staff who receive and fix returns, logged in to the admin."""
    user = User.objects.create_user("warehouse", password="x", is_staff=True)
    user.groups.add(Group.objects.get(name="Warehouse"))
    client.force_login(user)
    return client


@pytest.fixture(name="scripted")
def scripted_fixture(settings: Settings) -> type[ScriptedCarrier]:
    """The scripted carrier under its key; routes for Sweden's label and QR returns name it."""
    settings.CARRIERS = {**settings.CARRIERS, KEY: f"{__name__}.ScriptedCarrier"}
    ScriptedCarrier.failures, ScriptedCarrier.calls, ScriptedCarrier.moments, ScriptedCarrier.events = [], [], [], []
    ScriptedCarrier.note_moments, ScriptedCarrier.cancellable = False, True
    ScriptedCarrier.code_image = b""
    ScriptedCarrier.check_lines = ["Scripted Post: API key accepted."]
    for method in ("label", "qr", "pickup"):
        CarrierRoute.objects.create(country="SE", method=method, carrier=KEY)
    return ScriptedCarrier


def a_return(
    method: str = "label", *, pickup_date: dt.date | None = None, customer: Customer | None = None, **fields: Any
) -> ReturnRequest:
    """A Swedish customer's return, in English (the e-mails' words are the msgids)."""
    order = OrderFactory(customer=customer or CustomerFactory(language="en", **fields), language="en")
    line = OrderLineFactory(order=order, unit_price=Decimal("400.00"))
    return carrier_booked(
        return_create(
            order=order,
            lines=[LineRequest(line.id, 1, "too_big")],
            resolution="refund",
            method=method,
            pickup_date=pickup_date,
        )
    )


def qr_png(payload: str = "PN:RETURN:00370733741234567891", *, scale: int = 6) -> bytes:
    """A real PNG of a QR code, as a carrier sends its label-free code (PostNord's documented example
    is only a placeholder after the PNG signature)."""
    buffer = io.BytesIO()
    segno.make(payload, error="m").save(buffer, kind="png", scale=scale, border=4)
    return buffer.getvalue()


def event(
    number: str, event_id: str, stage: str, *, hour: int = 9, where: str = "ICA Kvantum Sveavägen"
) -> TrackingEvent:
    return TrackingEvent(
        tracking_number=number,
        event_id=event_id,
        at=dt.datetime(2026, 12, 1, hour, 30, tzinfo=dt.UTC),
        stage=TrackingStage(stage),
        description={"handed_in": "Parcel handed in", "in_transit": "On its way", "delivered": "Delivered"}.get(
            stage, stage
        ),
        location=where,
    )
