"""A returned unit is paid back once, for what was paid for it; shipping and goodwill stay within the order."""

from __future__ import annotations

import contextlib
from decimal import Decimal

import pytest
from django.contrib.auth.models import User
from django.db import IntegrityError
from django.db.models import Sum
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from refunds.models import COUNTED_STATES, Refund, RefundLine, RefundState
from refunds.providers.fake import FakeCardProvider
from refunds.selectors import order_lines_paid, order_paid, order_refundable, order_refunded
from refunds.services import (
    RefundLineIn,
    RefundRefused,
    refund_create,
    refund_execute,
    refund_for_return,
    refund_proposal,
)
from returns.models import Order, OrderLine, ReturnPolicy, ReturnRequest
from returns.services import LineRequest, ReceivedLine, return_create, return_receive
from tests.factories import OrderFactory, OrderLineFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _fake_card(settings) -> None:
    settings.REFUND_PROVIDERS = {"original_payment": "refunds.providers.fake.FakeCardProvider"}
    FakeCardProvider.reset()


@pytest.fixture
def staff() -> User:
    return User.objects.create_user("lager", is_staff=True)


def an_order(*lines: tuple[int, str], discount: str = "0", shipping: str = "0") -> Order:
    order = OrderFactory(discount_amount=Decimal(discount), shipping_amount=Decimal(shipping))
    for quantity, unit_price in lines:
        OrderLineFactory(order=order, quantity=quantity, unit_price=Decimal(unit_price))
    return order


def returned(staff: User, units: dict[OrderLine, int], accepted: dict[OrderLine, int] | None = None) -> ReturnRequest:
    """A refund return of these units, received and inspected: its refund is proposed at once."""
    order = next(iter(units)).order
    return_request = return_create(
        order=order,
        lines=[LineRequest(line.id, quantity, "too_big") for line, quantity in units.items()],
        resolution="refund",
        method="label",
    )
    kept = accepted if accepted is not None else units
    return_receive(
        return_request=return_request,
        lines=[
            ReceivedLine(line.id, kept.get(line.order_line, 0), "resellable", accept=True)
            if kept.get(line.order_line, 0)
            else ReceivedLine(line.id, 0, "missing", accept=False, reason="Empty box")
            for line in return_request.lines.select_related("order_line")
        ],
        by=staff,
    )
    return_request.refresh_from_db()
    return return_request


def counted_items(**where: object) -> tuple[int, Decimal]:
    totals = RefundLine.objects.filter(kind="item", refund__state__in=COUNTED_STATES, **where).aggregate(
        units=Sum("quantity"), amount=Sum("amount")
    )
    return totals["units"] or 0, totals["amount"] or Decimal("0")


@pytest.fixture
def no_fees() -> None:
    policy = ReturnPolicy.current()
    policy.free_returns = True
    policy.save()


def test_a_returned_unit_is_refunded_once_whatever_the_key(staff: User) -> None:
    order = an_order((2, "550.00"))
    return_request = returned(staff, {order.lines.get(): 1})
    proposed = return_request.refunds.get()  # proposed at inspection
    with pytest.raises(RefundRefused, match="already refunded") as refusal:
        refund_for_return(return_request=return_request, idempotency_key="api:crm-1")
    assert refusal.value.refund == proposed
    assert refund_for_return(return_request=return_request).pk == proposed.pk  # its own key: the same refund
    assert Refund.objects.count() == 1
    assert counted_items() == (1, Decimal("550.00"))


@pytest.mark.usefixtures("no_fees")
def test_a_second_return_of_the_remaining_units_of_a_line_is_refunded_and_the_line_adds_up_to_what_was_paid(
    staff: User,
) -> None:
    order = an_order((3, "100.00"), (1, "200.00"), discount="50.00")
    tees = order.lines.get(quantity=3)
    assert order_lines_paid(order)[tees.pk] == Decimal("270.00")  # 30.00 of the discount is theirs
    first = returned(staff, {tees: 2})
    second = returned(staff, {tees: 1})
    assert [r.refunds.get().amount for r in (first, second)] == [Decimal("180.00"), Decimal("90.00")]
    assert counted_items(return_line__order_line=tees) == (3, Decimal("270.00"))
    for return_request in (first, second):
        with pytest.raises(RefundRefused, match="already refunded"):
            refund_for_return(return_request=return_request, idempotency_key=f"again:{return_request.number}")
    assert Refund.objects.count() == 2


@pytest.mark.usefixtures("no_fees")
def test_only_accepted_units_are_refunded_and_never_more_than_were_accepted(staff: User) -> None:
    order = an_order((3, "100.00"))
    socks = order.lines.get()
    return_request = returned(staff, {socks: 3}, accepted={socks: 2})
    assert counted_items() == (2, Decimal("200.00"))
    line = return_request.lines.get()
    with pytest.raises(RefundRefused, match="already refunded"):
        refund_create(
            order=order,
            lines=[RefundLineIn("item", Decimal("100.00"), return_line_id=line.pk, quantity=1)],
            method="original_payment",
            idempotency_key="the-third-unit",
            return_request=return_request,
        )
    assert counted_items() == (2, Decimal("200.00"))


def test_the_proposal_leaves_out_what_counted_refunds_already_pay_back(staff: User) -> None:
    FakeCardProvider.reset("fail")
    order = an_order((2, "550.00"), shipping="49.00")
    return_request = returned(staff, {order.lines.get(): 2})  # the whole order: shipping comes back too
    proposed = return_request.refunds.get()
    assert refund_proposal(return_request=return_request) == []  # the pending refund holds units, fee and shipping
    refund_execute(refund=proposed)
    proposed.refresh_from_db()
    assert proposed.state == RefundState.FAILED  # a failed refund holds nothing
    again = refund_proposal(return_request=return_request)
    assert [(line.kind, line.amount, line.quantity) for line in again] == [
        (line.kind, line.amount, line.quantity) for line in proposed.lines.all()
    ]


def test_a_failed_refund_tried_again_is_refused_once_another_refund_pays_the_same_units(staff: User) -> None:
    FakeCardProvider.reset("fail")
    order = an_order((2, "550.00"))
    return_request = returned(staff, {order.lines.get(): 1})
    failed = refund_execute(refund=return_request.refunds.get())
    assert failed.state == RefundState.FAILED
    replacement = refund_for_return(return_request=return_request, idempotency_key="api:second-try")
    with pytest.raises(RefundRefused, match="already refunded") as refusal:
        refund_execute(refund=failed)
    assert refusal.value.refund == replacement
    failed.refresh_from_db()
    assert failed.state == RefundState.FAILED
    assert refund_execute(refund=replacement).state == RefundState.SUCCEEDED
    assert FakeCardProvider.paid_total() == replacement.amount


def test_staff_paying_a_failed_refund_again_in_the_admin_see_why_it_is_refused(admin_client, staff: User) -> None:
    from django.urls import reverse

    FakeCardProvider.reset("fail")
    order = an_order((2, "550.00"))
    return_request = returned(staff, {order.lines.get(): 1})
    failed = refund_execute(refund=return_request.refunds.get())
    refund_for_return(return_request=return_request, idempotency_key="api:second-try")
    page = admin_client.post(
        reverse("admin:refunds_refund_changelist"), {"action": "pay", "_selected_action": [failed.pk]}, follow=True
    ).content.decode()
    assert f"Refused 1: #{failed.pk} (Failed): " in page
    assert "was already refunded" in page


def test_shipping_and_goodwill_stay_within_what_the_order_can_still_give_back(staff: User) -> None:
    order = an_order((1, "500.00"), shipping="49.00")
    assert order_paid(order) == Decimal("549.00")
    spent = refund_create(
        order=order,
        lines=[RefundLineIn("goodwill", Decimal("450.00"))],
        method="original_payment",
        idempotency_key="goodwill-1",
        reason="Late delivery",
    )
    return_request = returned(staff, {order.lines.get(): 1})
    assert not return_request.refunds.exists()  # more than the order has left: not proposed
    with pytest.raises(RefundRefused, match=r"Only SEK99\.00 of this order can still be refunded") as refusal:
        refund_for_return(return_request=return_request)
    assert refusal.value.refund == spent
    with pytest.raises(RefundRefused, match=r"Only SEK99\.00"):
        refund_create(
            order=order,
            lines=[RefundLineIn("shipping", Decimal("49.00")), RefundLineIn("goodwill", Decimal("50.01"))],
            method="original_payment",
            idempotency_key="goodwill-2",
            reason="Shipping and a little more",
        )
    assert order_refundable(order) == Decimal("99.00")


def test_an_item_refund_names_units_of_its_own_return(staff: User) -> None:
    order = an_order((2, "300.00"))
    first = returned(staff, {order.lines.get(): 1})
    other = an_order((1, "300.00"))
    elsewhere = returned(staff, {other.lines.get(): 1})

    def item(return_line_id: int | None, quantity: int, return_request: ReturnRequest | None) -> None:
        refund_create(
            order=order,
            lines=[RefundLineIn("item", Decimal("1.00"), return_line_id=return_line_id, quantity=quantity)],
            method="original_payment",
            idempotency_key=f"item-{return_line_id}-{quantity}",
            return_request=return_request,
            reason="test",
        )

    with pytest.raises(RefundRefused, match="names the returned line"):
        item(None, 1, first)
    with pytest.raises(RefundRefused, match="names the returned line"):
        item(first.lines.get().pk, 0, first)
    with pytest.raises(RefundRefused, match="with their own return"):
        item(elsewhere.lines.get().pk, 1, first)
    with pytest.raises(RefundRefused, match="with their own return"):
        item(first.lines.get().pk, 1, None)
    assert Refund.objects.filter(order=order).count() == 1


def test_the_database_refuses_an_item_line_without_units(staff: User) -> None:
    order = an_order((1, "300.00"))
    return_request = returned(staff, {order.lines.get(): 1})
    refund = return_request.refunds.get()
    with pytest.raises(IntegrityError):
        RefundLine.objects.create(refund=refund, kind="item", return_line=return_request.lines.get(), amount=1)


ACTIONS = st.lists(
    st.one_of(
        st.tuples(st.just("refund"), st.integers(0, 2), st.sampled_from(["a", "b", "c"])),
        st.tuples(st.just("pay"), st.integers(0, 9), st.booleans()),
        st.tuples(st.just("goodwill"), st.integers(1, 400), st.booleans()),
    ),
    max_size=8,
)


@given(
    returns=st.lists(st.integers(1, 2), min_size=1, max_size=3),
    rejected=st.lists(st.booleans(), min_size=3, max_size=3),
    discount=st.integers(0, 99),
    actions=ACTIONS,
)
@hypothesis_settings(max_examples=20, suppress_health_check=[HealthCheck.function_scoped_fixture])
def test_whatever_staff_and_clients_do_a_unit_is_never_refunded_twice(
    staff: User, returns: list[int], rejected: list[bool], discount: int, actions: list[tuple[str, int, object]]
) -> None:
    order = an_order((sum(returns), "99.90"), (1, "49.00"), discount=str(discount), shipping="49.00")
    line = order.lines.order_by("pk")[0]
    made = [
        returned(staff, {line: units}, accepted={line: 0 if rejected[index] else units})
        for index, units in enumerate(returns)
    ]
    for number, (action, which, flag) in enumerate(actions):
        with contextlib.suppress(RefundRefused):  # refusing is fine; paying a unit twice is not
            if action == "refund":
                refund_for_return(return_request=made[which % len(made)], idempotency_key=f"{order.pk}-{flag}")
            elif action == "pay" and (refunds := list(Refund.objects.filter(order=order).order_by("pk"))):
                FakeCardProvider.reset("fail" if flag else "succeed")
                refund_execute(refund=refunds[which % len(refunds)])
            elif action == "goodwill":
                refund_create(
                    order=order,
                    lines=[RefundLineIn("shipping" if flag else "goodwill", Decimal(which))],
                    method="original_payment",
                    idempotency_key=f"{order.pk}-g{number}",
                    reason="Late delivery",
                )
        for index, return_request in enumerate(made):
            accepted = 0 if rejected[index] else returns[index]
            assert counted_items(return_line__return_request=return_request)[0] <= accepted
        units, amount = counted_items(return_line__order_line=line)
        assert units <= line.quantity
        assert amount <= order_lines_paid(order)[line.pk]
        assert order_refunded(order) <= order_paid(order)
