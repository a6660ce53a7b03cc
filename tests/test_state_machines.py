"""Returns and refunds change state the same way: one helper, one error type, one kind of history row."""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.db import transaction

from refunds import signals as refund_signals
from refunds.models import PAYABLE_STATES, Refund, RefundEvent, RefundState
from refunds.providers.fake import FakeCardProvider
from refunds.services import InvalidRefundTransition, RefundLineIn, refund_create, refund_execute, refund_transition
from returns import deadlines
from returns import signals as return_signals
from returns.models import (
    CANCELLABLE_STATES,
    PRINTABLE_STATES,
    RECEIVABLE_STATES,
    TO_BE_SENT_STATES,
    TRANSITIONS,
    ReturnEvent,
    ReturnRequest,
    ReturnState,
)
from returns.services import InvalidTransition, LineRequest, return_create, return_transition
from returns_portal.core import states
from tests.factories import OrderFactory, OrderLineFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _fake_card(settings: Any) -> None:
    settings.REFUND_PROVIDERS = {"original_payment": "refunds.providers.fake.FakeCardProvider"}
    FakeCardProvider.reset()


def a_return() -> ReturnRequest:
    line = OrderLineFactory()
    return return_create(
        order=line.order,
        lines=[LineRequest(order_line_id=line.id, quantity=1, reason_code="too_small")],
        resolution="refund",
        method="label",
    )


def a_refund() -> Refund:
    order = OrderFactory(shipping_amount=Decimal("0"), discount_amount=Decimal("0"))
    OrderLineFactory(order=order, unit_price=Decimal("300"), quantity=1)
    return refund_create(
        order=order,
        lines=[RefundLineIn(kind="goodwill", amount=Decimal("100"))],
        method="original_payment",
        idempotency_key="goodwill-1",
        reason="Late delivery",
    )


@pytest.fixture
def announced() -> Iterator[list[tuple[str, str]]]:
    """Every change either machine announces, as (from_state, to_state)."""
    seen: list[tuple[str, str]] = []

    def receiver(sender: object, from_state: str, to_state: str, **kwargs: object) -> None:
        seen.append((from_state, to_state))

    for signal in (return_signals.return_state_changed, refund_signals.refund_state_changed):
        signal.connect(receiver, dispatch_uid="test-state-machines")
    yield seen
    for signal in (return_signals.return_state_changed, refund_signals.refund_state_changed):
        signal.disconnect(dispatch_uid="test-state-machines")


def test_a_refused_return_and_a_refused_refund_raise_the_one_core_error_and_write_nothing(
    announced: list[tuple[str, str]],
) -> None:
    return_request, refund = a_return(), a_refund()  # approved; pending
    return_rows, refund_rows = ReturnEvent.objects.count(), RefundEvent.objects.count()
    announced.clear()

    with pytest.raises(states.InvalidTransition) as return_refusal:
        return_transition(return_request=return_request, to=ReturnState.COMPLETED)
    with transaction.atomic(), pytest.raises(states.InvalidTransition) as refund_refusal:
        refund_transition(refund=Refund.objects.select_for_update().get(pk=refund.pk), to=RefundState.SUCCEEDED)

    assert isinstance(return_refusal.value, InvalidTransition)
    assert str(return_refusal.value) == (
        f"Return {return_request.number} cannot go from Approved to Completed; "
        "it can go to: Cancelled, Expired, In transit, Received."
    )
    assert (return_refusal.value.from_state, return_refusal.value.to_state) == ("approved", "completed")
    assert isinstance(refund_refusal.value, InvalidRefundTransition)
    assert str(refund_refusal.value) == f"Refund {refund.pk} cannot go from Pending to Succeeded."
    assert (refund_refusal.value.from_state, refund_refusal.value.to_state) == ("pending", "succeeded")
    assert (ReturnEvent.objects.count(), RefundEvent.objects.count()) == (return_rows, refund_rows)
    assert announced == []
    assert ReturnRequest.objects.get(pk=return_request.pk).state == ReturnState.APPROVED
    assert Refund.objects.get(pk=refund.pk).state == RefundState.PENDING


def test_both_machines_change_state_through_the_one_helper(monkeypatch: pytest.MonkeyPatch) -> None:
    used: list[str] = []
    change_state = states.change_state

    def spy(machine: states.StateMachine, **kwargs: Any) -> str:
        used.append(machine.subject)
        return change_state(machine, **kwargs)

    return_request, refund = a_return(), a_refund()
    monkeypatch.setattr(states, "change_state", spy)
    return_transition(return_request=return_request, to=ReturnState.IN_TRANSIT)
    refund_execute(refund=refund)

    assert used == ["return_request", "refund", "refund"]  # in transit; processing, succeeded


def test_the_history_rows_read_as_before() -> None:
    staff = User.objects.create_user("lena", is_staff=True)
    return_request = a_return()
    return_transition(return_request=return_request, to=ReturnState.CANCELLED, by=staff, note="Changed my mind")
    refund = refund_execute(refund=a_refund(), by=staff)

    returned = list(return_request.history.values_list("from_state", "to_state", "by__username", "actor", "note"))
    assert returned == [
        ("", "requested", None, "customer", ""),
        ("requested", "approved", None, "system", "Within policy: approved automatically."),
        ("approved", "cancelled", "lena", "lena", "Changed my mind"),
    ]
    assert [str(row) for row in return_request.history.all()] == [
        "- -> requested",
        "requested -> approved",
        "approved -> cancelled",
    ]
    assert list(refund.history.values_list("from_state", "to_state", "actor")) == [
        ("", "pending", "system"),
        ("pending", "processing", "lena"),
        ("processing", "succeeded", "lena"),
    ]
    last = refund.history.last()
    assert last is not None and last.note == refund.provider_reference and last.at <= refund.paid_at


def test_both_histories_are_one_abstract_row_kept_in_their_own_tables() -> None:
    for history, subject, table in (
        (ReturnEvent, "return_request", "returns_returnevent"),
        (RefundEvent, "refund", "refunds_refundevent"),
    ):
        assert issubclass(history, states.StateHistory)
        assert history._meta.db_table == table
        assert history._meta.ordering == ["at", "id"]
        assert history._meta.get_field(subject).remote_field.related_name == "history"
    assert ReturnEvent._meta.get_field("to_state").choices == ReturnState.choices
    assert RefundEvent._meta.get_field("to_state").choices == RefundState.choices


def test_the_state_groups_agree_with_the_transition_tables() -> None:
    assert {state for state, moves in TRANSITIONS.items() if ReturnState.CANCELLED in moves} == CANCELLABLE_STATES
    assert CANCELLABLE_STATES == TO_BE_SENT_STATES
    assert TO_BE_SENT_STATES < PRINTABLE_STATES
    assert all(ReturnState.RECEIVED in TRANSITIONS[state] for state in RECEIVABLE_STATES - {ReturnState.RECEIVED})
    assert {RefundState.PENDING, RefundState.PROCESSING} == PAYABLE_STATES


def test_the_send_by_day_of_a_return_counts_from_its_approval() -> None:
    return_request = a_return()
    assert deadlines.return_send_by(return_request) == deadlines.send_by(approved_at=return_request.state_changed_at)
