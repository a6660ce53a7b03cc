"""Orders paid through a payment provider (Klarna, Adyen, Stripe) and their inspected returns, for the
provider tests; the connected fake stands in for every provider (`connected` in conftest.py)."""

from __future__ import annotations

from decimal import Decimal

from django.contrib.auth.models import User

from returns.models import Order, ReturnRequest
from returns.services import LineRequest, ReceivedLine, return_create, return_receive
from tests.factories import OrderFactory, OrderLineFactory

PROVIDERS = ("klarna", "adyen", "stripe")
REFERENCES = {
    "klarna": "0b1d9815-165e-42e2-8867-35bc03789e00",
    "adyen": "QFQTPCQ8HXSKGK82",
    "stripe": "pi_3MtwBwLkdIwH",
}


def order_paid_through(provider: str, *prices: str, payment_method: str = "card", **fields: object) -> Order:
    order = OrderFactory(
        payment_method=payment_method,
        payment_provider=provider,
        payment_reference=REFERENCES.get(provider, ""),
        shipping_amount=Decimal("0"),
        **fields,
    )
    for price in prices or ("500.00",):
        OrderLineFactory(order=order, unit_price=Decimal(price), quantity=1)
    return order


def staff_user(username: str = "lager") -> User:
    return User.objects.get_or_create(username=username, defaults={"is_staff": True})[0]


def returned_and_inspected(order: Order, *, resolution: str = "refund", by: User | None = None) -> ReturnRequest:
    """Every line of the order returned and accepted: the inspection proposes its refund."""
    return_request = return_create(
        order=order,
        lines=[LineRequest(line.id, line.quantity, "too_big") for line in order.lines.all()],
        resolution=resolution,
        method="label",
    )
    received = [ReceivedLine(line.id, line.quantity, "resellable", accept=True) for line in return_request.lines.all()]
    return_receive(return_request=return_request, lines=received, by=by or staff_user())
    return_request.refresh_from_db()
    return return_request
