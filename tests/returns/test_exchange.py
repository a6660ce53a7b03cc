"""Exchanges: the wanted size is held while the parcel travels and becomes a replacement order."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.contrib.auth.models import User

from returns.models import Order, OrderLine, ReturnRequest, ReturnState, Variant
from returns.services import (
    LineRequest,
    ReceivedLine,
    ReturnRefused,
    replacement_ship,
    return_create,
    return_receive,
    return_transition,
)
from tests.factories import OrderFactory, OrderLineFactory, VariantFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff() -> User:
    return User.objects.create_user("lager", is_staff=True)


def exchange(quantity: int = 2, wanted_stock: int = 5) -> tuple[ReturnRequest, Variant]:
    order = OrderFactory(discount_amount=Decimal("0"))
    line = OrderLineFactory(order=order, quantity=quantity, unit_price=Decimal("300.00"))
    larger = VariantFactory(product=line.variant.product, option="L", stock=wanted_stock)
    return_request = return_create(
        order=order,
        lines=[LineRequest(line.id, quantity, "too_small", exchange_variant_id=larger.id)],
        resolution="exchange",
        method="label",
    )
    return return_request, larger


def stock(variant: Variant) -> int:
    return Variant.objects.get(pk=variant.pk).stock


def test_the_wanted_size_is_held_from_stock_when_the_return_is_made() -> None:
    return_request, larger = exchange(quantity=2, wanted_stock=5)
    assert stock(larger) == 3
    assert return_request.lines.get().reserved_quantity == 2


def test_the_last_units_go_to_one_customer_and_the_next_is_told_with_nothing_saved() -> None:
    _first, larger = exchange(quantity=2, wanted_stock=3)
    order = OrderFactory()
    line = OrderLineFactory(order=order, variant=VariantFactory(product=larger.product, option="S"), quantity=2)
    with pytest.raises(ReturnRefused) as refusal:
        return_create(
            order=order,
            lines=[LineRequest(line.id, 2, "too_small", exchange_variant_id=larger.id)],
            resolution="exchange",
            method="label",
        )
    assert refusal.value.errors == {
        line.id: ["Sorry, that size or colour is out of stock. Choose another, or a refund."]
    }
    assert not order.returns.exists()
    assert stock(larger) == 1


def test_a_cancelled_exchange_puts_the_held_units_back_once() -> None:
    return_request, larger = exchange(quantity=2, wanted_stock=5)
    return_transition(return_request=return_request, to=ReturnState.CANCELLED, actor="customer")
    assert stock(larger) == 5
    assert return_request.lines.get().reserved_quantity == 0


def test_an_accepted_exchange_becomes_a_free_replacement_order_and_completes_when_shipped(staff: User) -> None:
    return_request, larger = exchange(quantity=2, wanted_stock=5)
    line = return_request.lines.get()
    # One unit arrived fine; the other was missing from the parcel.
    return_receive(
        return_request=return_request,
        lines=[ReceivedLine(line.id, 1, "resellable", accept=True, restock=True)],
        by=staff,
    )
    replacement = Order.objects.get(replacement_for=return_request)
    assert replacement.number == f"{return_request.order.number}-{return_request.number}"
    assert list(OrderLine.objects.filter(order=replacement).values_list("variant_id", "quantity")) == [(larger.id, 1)]
    assert replacement.discount_amount == Decimal("300.00")  # nothing to pay: the returned item paid for it
    assert stock(larger) == 4  # one unit shipped to the customer, the unit not earned is back on the shelf
    return_request.refresh_from_db()
    assert return_request.state == ReturnState.INSPECTED

    replacement_ship(order=replacement, tracking_number="CR123456785SE", by=staff)
    return_request.refresh_from_db()
    assert return_request.state == ReturnState.COMPLETED
    assert return_request.history.last().note == "Replacement shipped: CR123456785SE"
    with pytest.raises(ReturnRefused, match="already shipped"):
        replacement_ship(order=replacement, tracking_number="again", by=staff)


def test_a_rejected_exchange_makes_no_order_and_frees_the_size(staff: User) -> None:
    return_request, larger = exchange(quantity=1, wanted_stock=1)
    line = return_request.lines.get()
    return_receive(
        return_request=return_request,
        lines=[ReceivedLine(line.id, 1, "damaged", accept=False, reason="Worn and washed.")],
        by=staff,
    )
    assert not Order.objects.filter(replacement_for=return_request).exists()
    assert stock(larger) == 1


def test_a_shop_order_cannot_be_shipped_as_a_replacement(staff: User) -> None:
    with pytest.raises(ReturnRefused, match="Only a replacement order"):
        replacement_ship(order=OrderFactory(), tracking_number="X", by=staff)
