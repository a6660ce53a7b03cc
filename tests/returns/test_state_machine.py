"""The one way a return changes state: legal moves, refusals, history."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import User

from returns import signals
from returns.models import TRANSITIONS, ReturnEvent, ReturnPolicy, ReturnRequest, ReturnState
from returns.services import (
    InvalidTransition,
    LineRequest,
    ReturnRefused,
    return_create,
    return_reject,
    return_transition,
)
from tests.factories import OrderLineFactory

pytestmark = pytest.mark.django_db


def new_return() -> ReturnRequest:
    line = OrderLineFactory()
    return return_create(
        order=line.order,
        lines=[LineRequest(order_line_id=line.id, quantity=1, reason_code="too_small")],
        resolution="refund",
        method="label",
    )


def walk(return_request: ReturnRequest, *states: ReturnState) -> None:
    for state in states:
        return_transition(return_request=return_request, to=state)


def test_the_happy_path_writes_one_history_row_per_step() -> None:
    staff = User.objects.create_user("lena", is_staff=True)
    return_request = new_return()  # auto-approved by the default policy
    walk(return_request, ReturnState.IN_TRANSIT, ReturnState.RECEIVED, ReturnState.INSPECTED)
    return_transition(return_request=return_request, to=ReturnState.COMPLETED, by=staff, note="All fine")

    history = list(return_request.history.values_list("from_state", "to_state", "actor"))
    assert history == [
        ("", "requested", "customer"),
        ("requested", "approved", "system"),
        ("approved", "in_transit", "system"),
        ("in_transit", "received", "system"),
        ("received", "inspected", "system"),
        ("inspected", "completed", "lena"),
    ]
    return_request.refresh_from_db()
    assert return_request.state == ReturnState.COMPLETED
    assert return_request.history.last().note == "All fine"


def test_an_illegal_move_is_refused_clearly_and_changes_nothing() -> None:
    return_request = new_return()
    walk(return_request, ReturnState.IN_TRANSIT, ReturnState.RECEIVED)
    events_before = ReturnEvent.objects.count()

    with pytest.raises(InvalidTransition) as refusal:
        return_transition(return_request=return_request, to=ReturnState.CANCELLED)

    assert str(refusal.value) == (
        f"Return {return_request.number} cannot go from Received to Cancelled; it can go to: Inspected."
    )
    return_request.refresh_from_db()
    assert return_request.state == ReturnState.RECEIVED
    assert ReturnEvent.objects.count() == events_before


@pytest.mark.parametrize(
    "final", [ReturnState.COMPLETED, ReturnState.REJECTED, ReturnState.CANCELLED, ReturnState.EXPIRED]
)
def test_final_states_go_nowhere(final: ReturnState) -> None:
    assert TRANSITIONS[final] == frozenset()


def test_customer_can_cancel_before_sending_but_not_after() -> None:
    waiting = new_return()
    return_transition(return_request=waiting, to=ReturnState.CANCELLED, actor="customer")
    assert waiting.state == ReturnState.CANCELLED

    sent = new_return()
    walk(sent, ReturnState.IN_TRANSIT)
    with pytest.raises(InvalidTransition):
        return_transition(return_request=sent, to=ReturnState.CANCELLED, actor="customer")


def test_every_change_is_announced_with_from_and_to() -> None:
    seen: list[tuple[str, str]] = []

    def receiver(sender: object, from_state: str, to_state: str, **kwargs: object) -> None:
        seen.append((from_state, to_state))

    signals.return_state_changed.connect(receiver)
    try:
        walk(new_return(), ReturnState.IN_TRANSIT)
    finally:
        signals.return_state_changed.disconnect(receiver)
    assert seen == [("requested", "approved"), ("approved", "in_transit")]


def test_a_rejection_needs_a_reason_the_customer_can_read() -> None:
    staff = User.objects.create_user("olli", is_staff=True)
    policy = ReturnPolicy.current()
    policy.auto_approve = False
    policy.save()
    return_request = new_return()
    assert return_request.state == ReturnState.REQUESTED

    with pytest.raises(ReturnRefused):
        return_reject(return_request=return_request, by=staff, reason="   ")
    return_request.refresh_from_db()
    assert return_request.state == ReturnState.REQUESTED

    return_reject(return_request=return_request, by=staff, reason="Worn and washed")
    return_request.refresh_from_db()
    assert (return_request.state, return_request.rejection_reason) == (ReturnState.REJECTED, "Worn and washed")
