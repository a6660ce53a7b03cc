"""Creating a return: the policy binds customers, staff may override with a reason."""

from __future__ import annotations

import datetime as dt
import threading

import pytest
from django.contrib.auth.models import User
from django.db import connection
from django.utils import timezone

from returns.models import Product, ReturnPolicy, ReturnRequest, ReturnState
from returns.services import LineRequest, ReturnRefused, return_create
from tests.factories import OrderFactory, OrderLineFactory

pytestmark = pytest.mark.django_db


def create(line, quantity=1, **kwargs):
    return return_create(
        order=line.order,
        lines=[LineRequest(order_line_id=line.id, quantity=quantity, reason_code=kwargs.pop("reason", "too_big"))],
        resolution="refund",
        method=kwargs.pop("method", "label"),
        **kwargs,
    )


def test_a_return_within_policy_is_numbered_and_approved_at_once() -> None:
    line = OrderLineFactory(quantity=2)
    return_request = create(line, quantity=2)
    assert return_request.number.startswith("R-")
    assert return_request.state == ReturnState.APPROVED
    assert list(return_request.lines.values_list("quantity", "reason__code")) == [(2, "too_big")]


def test_without_auto_approval_the_return_waits_for_staff() -> None:
    policy = ReturnPolicy.current()
    policy.auto_approve = False
    policy.save()
    assert create(OrderLineFactory()).state == ReturnState.REQUESTED


def test_more_units_than_are_left_are_refused_and_nothing_is_saved() -> None:
    line = OrderLineFactory(quantity=2)
    create(line, quantity=1)
    with pytest.raises(ReturnRefused) as refusal:
        create(line, quantity=2)
    assert refusal.value.errors == {line.id: ["You can return at most 1 of this item."]}
    assert ReturnRequest.objects.count() == 1


def test_units_of_a_cancelled_return_can_be_returned_again() -> None:
    from returns.services import return_transition

    line = OrderLineFactory(quantity=1)
    return_transition(return_request=create(line), to=ReturnState.CANCELLED, actor="customer")
    assert create(line).state == ReturnState.APPROVED


def test_customer_is_bound_by_the_window() -> None:
    old = OrderFactory(
        placed_at=timezone.now() - dt.timedelta(days=90), delivered_at=timezone.now() - dt.timedelta(days=88)
    )
    line = OrderLineFactory(order=old)
    with pytest.raises(ReturnRefused) as refusal:
        create(line)
    assert "return period for this item ended" in refusal.value.errors[line.id][0]


def test_staff_may_override_the_window_with_a_recorded_reason_but_not_beyond_what_was_bought() -> None:
    staff = User.objects.create_user("warehouse", is_staff=True)
    old = OrderFactory(
        placed_at=timezone.now() - dt.timedelta(days=90), delivered_at=timezone.now() - dt.timedelta(days=88)
    )
    line = OrderLineFactory(order=old, quantity=1)

    with pytest.raises(ReturnRefused):
        create(line, quantity=2, by=staff, override_reason="Loyal customer")

    return_request = create(line, by=staff, override_reason="Loyal customer")
    assert return_request.override_reason == "Loyal customer"
    assert return_request.state == ReturnState.REQUESTED  # an override is never auto-approved
    first = return_request.history.get()
    assert (first.actor, first.note) == ("warehouse", "Staff override: Loyal customer")


def test_only_staff_can_override() -> None:
    with pytest.raises(ReturnRefused, match="Only staff"):
        create(OrderLineFactory(), override_reason="please")


def test_final_sale_items_and_foreign_lines_are_refused() -> None:
    line = OrderLineFactory()
    Product.objects.filter(pk=line.variant.product_id).update(returnable=False)
    foreign = OrderLineFactory()
    with pytest.raises(ReturnRefused) as refusal:
        return_create(
            order=line.order,
            lines=[LineRequest(line.id, 1, "too_big"), LineRequest(foreign.id, 1, "too_big")],
            resolution="refund",
            method="label",
        )
    assert refusal.value.errors == {
        line.id: ["This item cannot be returned: it is sold as final sale or for hygiene reasons."],
        None: ["One of the chosen items is not part of this order."],
    }


def test_unknown_reason_and_unoffered_method_are_refused() -> None:
    qr = ReturnPolicy.current().methods.get(method="qr")
    qr.offered = False
    qr.save()
    line = OrderLineFactory()
    with pytest.raises(ReturnRefused) as refusal:
        create(line, reason="because", method="qr")
    assert refusal.value.errors == {
        None: ["This return method is not offered."],
        line.id: ["Choose a reason for returning this item."],
    }


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("migration_data")
def test_two_simultaneous_returns_cannot_both_claim_the_last_unit() -> None:
    line = OrderLineFactory(quantity=1)
    barrier = threading.Barrier(4)
    outcomes: list[str] = []

    def attempt() -> None:
        try:
            barrier.wait()
            create(line)
            outcomes.append("created")
        except ReturnRefused:
            outcomes.append("refused")
        finally:
            connection.close()

    threads = [threading.Thread(target=attempt) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(outcomes) == ["created", "refused", "refused", "refused"]
    assert ReturnRequest.objects.count() == 1
