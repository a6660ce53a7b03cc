"""The support page says what each return gives the customer: money only when money is the
outcome, and what came of each item, with the reason the customer was given."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.contrib.auth.models import User
from django.test import Client

from returns.models import ReturnPolicy, ReturnRequest
from returns.services import LineRequest, ReceivedLine, return_create, return_receive, return_reject
from tests.factories import OrderFactory, OrderLineFactory, VariantFactory

pytestmark = pytest.mark.django_db


def a_return(resolution: str, *, reason: str = "too_big", exchange: bool = False, **fields: object) -> ReturnRequest:
    order = OrderFactory()
    line = OrderLineFactory(order=order, unit_price=Decimal("300.00"), variant__option="M")
    wanted = VariantFactory(product=line.variant.product, option="L").id if exchange else None
    return return_create(
        order=order,
        lines=[LineRequest(line.id, 1, reason, exchange_variant_id=wanted)],
        resolution=resolution,
        method="label",
        **fields,
    )


def result(agent: Client, return_request: ReturnRequest) -> str:
    page = agent.get("/support/", {"q": return_request.number}).content.decode()
    return page.split('class="module support-result"')[1]


def test_an_exchange_or_a_repair_expects_no_money(agent: Client) -> None:
    exchange = a_return("exchange", exchange=True)
    text = result(agent, exchange)
    assert "none: an exchange, the customer gets the replacement" in text
    assert "→ L" in text and "expected" not in text

    staff = User.objects.create_user("desk", is_staff=True)
    repair = a_return("repair", reason="defective", by=staff)
    text = result(agent, repair)
    assert "none: repair or replacement" in text and "expected" not in text


def test_store_credit_waiting_for_inspection_says_a_code_worth_x_comes(agent: Client) -> None:
    text = result(agent, a_return("store_credit"))
    assert "no code yet; a code worth" in text and "bonus included" in text


def test_each_items_outcome_and_a_rejection_show_the_reason_the_customer_got(agent: Client) -> None:
    staff = User.objects.create_user("desk", is_staff=True)
    inspected = a_return("refund")
    line = inspected.lines.get()
    return_receive(
        return_request=inspected,
        lines=[ReceivedLine(line.id, 1, "damaged", False, reason="Worn and washed.")],
        by=staff,
    )
    text = result(agent, inspected)
    assert "<strong>rejected</strong>: Worn and washed." in text
    assert "none: nothing was accepted" in text

    policy = ReturnPolicy.current()
    policy.auto_approve = False
    policy.save()
    waiting = a_return("refund")
    return_reject(return_request=waiting, by=staff, reason="Bought more than a year ago.")
    text = result(agent, waiting)
    assert "Rejected, told the customer:</strong> Bought more than a year ago." in text
    assert "none: the return is rejected" in text
    assert "Return rejected" in text  # the e-mail that told the customer
