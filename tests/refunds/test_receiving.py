"""A parcel comes back: inspection, stock, and the refund it proposes."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.contrib.auth.models import User

from refunds.services import RefundRefused, refund_for_return
from returns.models import ReturnRequest, ReturnState, Variant
from returns.services import LineRequest, ReceivedLine, ReturnRefused, return_create, return_receive
from tests.factories import OrderFactory, OrderLineFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff() -> User:
    return User.objects.create_user("lager", is_staff=True)


def a_return(payment: str = "card") -> ReturnRequest:
    order = OrderFactory(payment_method=payment, shipping_amount=Decimal("49"), discount_amount=Decimal("0"))
    jacket = OrderLineFactory(order=order, unit_price=Decimal("1000.00"), quantity=1)
    socks = OrderLineFactory(order=order, unit_price=Decimal("100.00"), quantity=2)
    return return_create(
        order=order,
        lines=[LineRequest(jacket.id, 1, "too_big"), LineRequest(socks.id, 2, "changed_mind")],
        resolution="refund",
        method="label",
    )


def inspect(return_request: ReturnRequest, **overrides: ReceivedLine) -> list[ReceivedLine]:
    jacket, socks = return_request.lines.order_by("id")
    return [
        overrides.get("jacket", ReceivedLine(jacket.id, 1, "resellable", accept=True, restock=True)),
        overrides.get("socks", ReceivedLine(socks.id, 2, "resellable", accept=True, restock=True)),
    ]


def test_receiving_restocks_once_and_moves_the_return_to_inspected(staff: User) -> None:
    return_request = a_return()
    jacket_variant = return_request.lines.order_by("id")[0].order_line.variant
    stock_before = jacket_variant.stock
    return_receive(return_request=return_request, lines=inspect(return_request), by=staff)
    return_request.refresh_from_db()
    assert return_request.state == ReturnState.INSPECTED
    assert Variant.objects.get(pk=jacket_variant.pk).stock == stock_before + 1
    with pytest.raises(ReturnRefused, match="cannot be received now: it is inspected"):
        return_receive(return_request=return_request, lines=inspect(return_request), by=staff)
    assert Variant.objects.get(pk=jacket_variant.pk).stock == stock_before + 1


def test_bad_inspections_are_refused_line_by_line_and_change_nothing(staff: User) -> None:
    return_request = a_return()
    jacket, socks = return_request.lines.order_by("id")
    with pytest.raises(ReturnRefused) as refusal:
        return_receive(
            return_request=return_request,
            lines=inspect(
                return_request,
                jacket=ReceivedLine(jacket.id, 1, "damaged", accept=False, restock=True),
                socks=ReceivedLine(socks.id, 3, "resellable", accept=True),
            ),
            by=staff,
        )
    assert refusal.value.errors == {
        jacket.id: [
            "Say why the line is rejected; the customer will see it.",
            "Only accepted, resellable items go back in stock.",
        ],
        socks.id: ["Received quantity must be between 0 and 2."],
    }
    return_request.refresh_from_db()
    assert return_request.state == ReturnState.APPROVED


def test_the_refund_pays_accepted_units_less_fees_and_is_made_once(staff: User) -> None:
    return_request = a_return()
    _jacket, socks = return_request.lines.order_by("id")
    damaged = ReceivedLine(socks.id, 1, "damaged", accept=False, reason="One pair was worn")
    return_receive(return_request=return_request, lines=inspect(return_request, socks=damaged), by=staff)
    refund = refund_for_return(return_request=return_request, by=staff)
    assert refund.method == "original_payment"
    assert list(refund.lines.values_list("kind", "amount")) == [
        ("item", Decimal("1000.00")),
        ("return_fee", Decimal("-49.00")),
    ]
    assert refund.amount == Decimal("951.00")
    assert refund_for_return(return_request=return_request, by=staff).pk == refund.pk


def test_invoice_orders_are_refunded_by_bank_transfer_and_nothing_accepted_means_no_refund(staff: User) -> None:
    return_request = a_return(payment="invoice")
    jacket, socks = return_request.lines.order_by("id")
    rejected = [
        ReceivedLine(jacket.id, 0, "missing", accept=False, reason="Empty box"),
        ReceivedLine(socks.id, 0, "missing", accept=False, reason="Empty box"),
    ]
    return_receive(return_request=return_request, lines=rejected, by=staff)
    with pytest.raises(RefundRefused, match="more than zero"):
        refund_for_return(return_request=return_request, by=staff)


def test_inspecting_a_refund_return_proposes_its_refund_at_once(staff: User) -> None:
    return_request = a_return(payment="invoice")
    return_receive(return_request=return_request, lines=inspect(return_request), by=staff)
    refund = return_request.refunds.get()
    assert (refund.state, refund.method, refund.amount) == (
        "pending",
        "bank_transfer",
        Decimal("1200.00"),
    )  # fee 49 off, shipping 49 back
