"""Webhook payloads are versioned event payloads of their own (`returns.events`, `refunds.events`).

They are pinned here field by field, with the REST API's serializers broken on purpose: a change to
the API cannot change what a subscriber receives.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.urls import reverse

from followup.models import WEBHOOK_EVENTS, Kind, OutboxMessage, WebhookSubscriber
from followup.receivers import on_refund_state_changed, on_return_state_changed
from refunds.api import RefundOut
from refunds.events import REFUND_EVENTS, refund_event_payload
from refunds.models import Refund, RefundLine, StoreCredit
from refunds.providers.fake import FakeCardProvider
from refunds.services import RefundLineIn, refund_create, refund_execute
from returns.access import status_token
from returns.api import ReturnOut
from returns.events import RETURN_EVENTS, return_event_payload
from returns.models import ReturnEvent, ReturnLine, ReturnPhoto, ReturnReason, ReturnRequest, ReturnState
from returns.services import LineRequest, ReceivedLine, return_create, return_receive
from tests.factories import OrderFactory, OrderLineFactory, VariantFactory

pytestmark = pytest.mark.django_db

MOMENT = dt.datetime(2026, 3, 2, 11, 30, tzinfo=dt.UTC)  # 12:30 in Stockholm, the shop's time zone
RETURN_FIELDS_V1 = sorted(
    ["version", "number", "order", "customer_email", "currency", "state", "resolution", "method", "created_at",
     "state_changed_at", "carrier", "tracking_number", "pickup_date", "pickup_window", "pickup_reference",
     "pickup_problem", "expected_refund", "refund_due_on", "rejection_reason", "status_url", "lines", "history"]
)  # fmt: skip
REFUND_FIELDS_V1 = sorted(
    ["version", "id", "order", "return_number", "amount", "currency", "method", "provider", "provider_reference",
     "provider_fee", "state", "reason", "due_on", "late", "created_at", "paid_at", "attempts", "last_error", "lines",
     "store_credit"]
)  # fmt: skip


@pytest.fixture(autouse=True)
def _at_a_fixed_moment(clock: Any) -> None:
    clock.move_to(MOMENT)


@pytest.fixture(autouse=True)
def _fake_card(settings: Any) -> None:
    settings.REFUND_PROVIDERS = {"original_payment": "refunds.providers.fake.FakeCardProvider"}


@pytest.fixture
def api_changed(monkeypatch: pytest.MonkeyPatch) -> None:
    """The API's return and refund look entirely different from today's."""

    def renamed(self: Any, instance: Any) -> dict[str, Any]:
        return {"renamed": True}

    monkeypatch.setattr(ReturnOut, "to_representation", renamed)
    monkeypatch.setattr(RefundOut, "to_representation", renamed)


def a_stored_return(lines: int = 1) -> ReturnRequest:
    """A received exchange with a photo and two history rows, written straight to the database."""
    order = OrderFactory(number="W-1001", customer__email="ebba@example.se", currency="SEK")
    return_request = ReturnRequest.objects.create(
        number="R-TEST123", order=order, state=ReturnState.RECEIVED, resolution="exchange", method="pickup",
        pickup_date=dt.date(2026, 3, 4), pickup_window="08:00–18:00", pickup_reference="PN-77", carrier="builtin",
        tracking_number="PT0001SE", expected_refund=Decimal("0"), refund_due_on=dt.date(2026, 3, 16),
    )  # fmt: skip
    too_big = ReturnReason.objects.get(code="too_big")
    for index in range(lines):
        jacket = OrderLineFactory(order=order, variant__sku=f"JACKET-M{index or ''}", variant__product__name="Jacket")
        line = ReturnLine.objects.create(
            return_request=return_request, order_line=jacket, quantity=1, reason=too_big, comment="Tight",
            exchange_variant=VariantFactory(sku=f"JACKET-L{index or ''}"), amount=Decimal("499.5"),
            received_quantity=1, condition="resellable", outcome="accepted",
        )  # fmt: skip
        ReturnPhoto.objects.create(
            draft_key="d", order_line=jacket, return_line=line, image="return-photos/a.jpg", content_type="image/jpeg"
        )
    ReturnEvent.objects.create(return_request=return_request, to_state="requested", actor="customer",
                               at=MOMENT - dt.timedelta(days=2))  # fmt: skip
    ReturnEvent.objects.create(return_request=return_request, from_state="approved", to_state="received",
                               actor="lager", note="Box dented")  # fmt: skip
    return return_request


def test_the_return_payload_is_version_1_field_by_field_whatever_the_api_shows(api_changed: None) -> None:
    return_request = a_stored_return()
    line = return_request.lines.get()
    photo = line.photos.get()
    assert return_event_payload(return_request) == {
        "version": 1,
        "number": "R-TEST123",
        "order": "W-1001",
        "customer_email": "ebba@example.se",
        "currency": "SEK",
        "state": "received",
        "resolution": "exchange",
        "method": "pickup",
        "created_at": "2026-03-02T12:30:00+01:00",
        "state_changed_at": "2026-03-02T12:30:00+01:00",
        "carrier": "builtin",
        "tracking_number": "PT0001SE",
        "pickup_date": "2026-03-04",
        "pickup_window": "08:00–18:00",
        "pickup_reference": "PN-77",
        "pickup_problem": "",
        "expected_refund": "0.00",
        "refund_due_on": "2026-03-16",
        "rejection_reason": "",
        "status_url": f"/r/{status_token(return_request)}/",
        "lines": [
            {
                "id": line.id,
                "order_line": line.order_line_id,
                "sku": "JACKET-M",
                "name": "Jacket",
                "quantity": 1,
                "reason": "too_big",
                "comment": "Tight",
                "exchange_sku": "JACKET-L",
                "amount": "499.50",
                "received_quantity": 1,
                "condition": "resellable",
                "outcome": "accepted",
                "outcome_reason": "",
                "photos": [
                    {
                        "id": photo.id,
                        "content_type": "image/jpeg",
                        "uploaded_at": "2026-03-02T12:30:00+01:00",
                        "url": f"/admin/returns/returnrequest/photos/{photo.id}/",
                    }
                ],
            }
        ],
        "history": [
            {"at": "2026-02-28T12:30:00+01:00", "actor": "customer", "from_state": "", "to_state": "requested",
             "note": ""},
            {"at": "2026-03-02T12:30:00+01:00", "actor": "lager", "from_state": "approved", "to_state": "received",
             "note": "Box dented"},
        ],
    }  # fmt: skip
    assert reverse("returns:status", args=[status_token(return_request)]) == f"/r/{status_token(return_request)}/"


def test_the_refund_payload_is_version_1_field_by_field_whatever_the_api_shows(api_changed: None) -> None:
    return_request = a_stored_return()
    refund = Refund.objects.create(
        order=return_request.order, return_request=return_request, amount=Decimal("449"), currency="SEK",
        method="store_credit", provider="store_credit", provider_reference="SC-AAAA-BBBB", idempotency_key="k",
        state="succeeded", due_on=dt.date(2026, 3, 16), attempts=1, paid_at=MOMENT,
    )  # fmt: skip
    RefundLine.objects.create(refund=refund, kind="item", return_line=return_request.lines.get(), quantity=1,
                              amount=Decimal("499.5"), vat_rate=Decimal("25"), vat_amount=Decimal("99.9"))  # fmt: skip
    RefundLine.objects.create(refund=refund, kind="return_fee", amount=Decimal("-50.5"))
    StoreCredit.objects.create(code="SC-AAAA-BBBB", refund=refund, amount=Decimal("493.9"), bonus=Decimal("44.9"),
                               currency="SEK", expires_on=dt.date(2027, 3, 2))  # fmt: skip
    assert refund_event_payload(refund) == {
        "version": 1,
        "id": refund.pk,
        "order": "W-1001",
        "return_number": "R-TEST123",
        "amount": "449.00",
        "currency": "SEK",
        "method": "store_credit",
        "provider": "store_credit",
        "provider_reference": "SC-AAAA-BBBB",
        "provider_fee": None,
        "state": "succeeded",
        "reason": "",
        "due_on": "2026-03-16",
        "late": False,
        "created_at": "2026-03-02T12:30:00+01:00",
        "paid_at": "2026-03-02T12:30:00+01:00",
        "attempts": 1,
        "last_error": "",
        "lines": [
            {"kind": "item", "amount": "499.50", "vat_rate": "25.00", "vat_amount": "99.90"},
            {"kind": "return_fee", "amount": "-50.50", "vat_rate": "0.00", "vat_amount": "0.00"},
        ],
        "store_credit": {"code": "SC-AAAA-BBBB", "amount": "493.90", "currency": "SEK", "expires_on": "2027-03-02",
                         "redeemed_at": None},
    }  # fmt: skip


def _store_credit_return(staff: User) -> Any:
    """Created (approved at once), received and inspected; the code is issued and the return completes."""
    line = OrderLineFactory()
    return_request = return_create(
        order=line.order, lines=[LineRequest(line.id, 1, "too_big")], resolution="store_credit", method="label"
    )
    received = ReceivedLine(return_request.lines.get().id, 1, "resellable", accept=True)
    return_receive(return_request=return_request, lines=[received], by=staff)
    return return_request


def _declined_card_refund(staff: User) -> Any:
    FakeCardProvider.reset("fail")
    order = OrderFactory()
    OrderLineFactory(order=order)
    refund = refund_create(order=order, lines=[RefundLineIn(kind="goodwill", amount=Decimal("10"))],
                           method="original_payment", idempotency_key="k", reason="Late delivery")  # fmt: skip
    return refund_execute(refund=refund, by=staff)


DRIVES: dict[str, tuple[Callable[[User], Any], str, list[str]]] = {
    "return.created": (_store_credit_return, "requested", RETURN_FIELDS_V1),
    "return.approved": (_store_credit_return, "approved", RETURN_FIELDS_V1),
    "return.received": (_store_credit_return, "received", RETURN_FIELDS_V1),
    "return.completed": (_store_credit_return, "completed", RETURN_FIELDS_V1),
    "refund.succeeded": (_store_credit_return, "succeeded", REFUND_FIELDS_V1),
    "refund.failed": (_declined_card_refund, "failed", REFUND_FIELDS_V1),
}


@pytest.mark.parametrize("event", list(DRIVES))
def test_each_event_carries_version_1_of_its_payload(
    event: str, api_changed: None, django_capture_on_commit_callbacks: Any
) -> None:
    drive, state, fields = DRIVES[event]
    WebhookSubscriber.objects.create(name="Helpdesk", url="http://127.0.0.1:9/hooks", events=[event])
    with django_capture_on_commit_callbacks(execute=True):
        drive(User.objects.create_user("lager", is_staff=True))
    [message] = OutboxMessage.objects.filter(kind=Kind.WEBHOOK)
    data = message.payload["data"]
    assert (message.payload["event"], data["version"], data["state"]) == (event, 1, state)
    assert sorted(data) == fields


def test_subscribers_choose_from_the_events_the_apps_name() -> None:
    assert [*RETURN_EVENTS, *REFUND_EVENTS] == WEBHOOK_EVENTS


def test_a_return_deleted_before_its_event_is_built_is_published_without_an_http_error() -> None:
    WebhookSubscriber.objects.create(name="Helpdesk", url="http://127.0.0.1:9/hooks", events=["return.approved"])
    return_request = a_stored_return()
    ReturnRequest.objects.filter(pk=return_request.pk).delete()
    on_return_state_changed(sender=ReturnRequest, return_request=return_request, to_state="approved")
    data = OutboxMessage.objects.get(kind=Kind.WEBHOOK).payload["data"]
    assert (data["version"], data["number"], data["order"], data["lines"], data["history"]) == (
        1, "R-TEST123", "W-1001", [], []
    )  # fmt: skip


def test_a_return_never_saved_or_a_refund_deleted_still_gives_a_payload() -> None:
    order = OrderFactory(number="W-2002")
    unsaved = return_event_payload(ReturnRequest(number="R-NEVER00", order=order))
    assert (unsaved["number"], unsaved["order"], unsaved["lines"]) == ("R-NEVER00", "W-2002", [])
    WebhookSubscriber.objects.create(name="Books", url="http://127.0.0.1:9/hooks", events=["refund.failed"])
    refund = Refund.objects.create(order=order, amount=Decimal("10"), currency="SEK", method="original_payment",
                                   provider="manual", idempotency_key="k", due_on=dt.date(2026, 3, 16))  # fmt: skip
    Refund.objects.filter(pk=refund.pk).delete()
    on_refund_state_changed(sender=Refund, refund=refund, to_state="failed")
    data = OutboxMessage.objects.get(kind=Kind.WEBHOOK).payload["data"]
    assert (data["id"], data["order"], data["lines"], data["store_credit"]) == (refund.pk, "W-2002", [], None)


def test_a_return_payload_takes_four_queries_however_many_lines(django_assert_num_queries: Any) -> None:
    return_request = a_stored_return(lines=3)
    with django_assert_num_queries(4):
        payload = return_event_payload(return_request)
    assert [len(line["photos"]) for line in payload["lines"]] == [1, 1, 1]
