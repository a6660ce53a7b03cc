"""Store credit: a code with the policy's bonus, issued once at inspection, spent once; and
returns complete when what they give back has gone out."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.contrib.auth.models import User
from django.test import TestCase
from django.urls import reverse
from django.utils import timezone

from refunds.models import StoreCredit
from refunds.services import refund_confirm, refund_execute
from refunds.store_credit import StoreCreditRefused, store_credit_redeem
from returns import access
from returns.models import ReturnPolicy, ReturnRequest, ReturnState
from returns.services import LineRequest, ReceivedLine, return_create, return_receive
from tests.factories import OrderFactory, OrderLineFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff() -> User:
    return User.objects.create_user("lager", is_staff=True)


def a_return(resolution: str) -> ReturnRequest:
    order = OrderFactory(shipping_amount=Decimal("49"), discount_amount=Decimal("0"))
    jacket = OrderLineFactory(order=order, unit_price=Decimal("1000.00"), quantity=1)
    socks = OrderLineFactory(order=order, unit_price=Decimal("100.00"), quantity=2)
    return return_create(
        order=order,
        lines=[LineRequest(jacket.id, 1, "too_big"), LineRequest(socks.id, 2, "changed_mind")],
        resolution=resolution,
        method="label",
    )


def receive(return_request: ReturnRequest, staff: User, socks_accepted: bool = True) -> None:
    jacket, socks = return_request.lines.order_by("id")
    socks_line = (
        ReceivedLine(socks.id, 2, "resellable", accept=True)
        if socks_accepted
        else ReceivedLine(socks.id, 2, "damaged", accept=False, reason="Worn")
    )
    lines = [ReceivedLine(jacket.id, 1, "resellable", accept=True), socks_line]
    with TestCase.captureOnCommitCallbacks(execute=True):  # the code is issued once the inspection commits
        return_receive(return_request=return_request, lines=lines, by=staff)


def test_store_credit_is_issued_at_inspection_with_the_bonus_and_completes_the_return(staff: User) -> None:
    return_request = a_return("store_credit")
    assert return_request.store_credit_bonus == Decimal("115.10")  # 10 % of 1 200 of items less the 49 fee
    receive(return_request, staff)
    refund = return_request.refunds.get()
    credit = StoreCredit.objects.get(refund=refund)
    assert (refund.method, refund.state, refund.provider_reference) == ("store_credit", "succeeded", credit.code)
    assert credit.bonus == Decimal("115.10")
    assert credit.amount == refund.amount + Decimal("115.10")
    policy_days = ReturnPolicy.current().store_credit_valid_days
    assert credit.expires_on == timezone.localdate() + dt.timedelta(days=policy_days)
    return_request.refresh_from_db()
    assert return_request.state == ReturnState.COMPLETED


def test_the_bonus_follows_the_share_of_items_accepted(staff: User) -> None:
    return_request = a_return("store_credit")
    receive(return_request, staff, socks_accepted=False)
    credit = StoreCredit.objects.get(refund__return_request=return_request)
    assert credit.bonus == Decimal("95.10")  # only the jacket accepted: 10 % of its 1 000 less the 49 fee


def test_the_customer_sees_the_code_on_the_status_page(client, staff: User) -> None:
    return_request = a_return("store_credit")
    receive(return_request, staff)
    credit = StoreCredit.objects.get(refund__return_request=return_request)
    page = client.get(reverse("returns:status", args=[access.status_token(return_request)])).content.decode()
    assert credit.code in page
    assert "Använd den här koden i kassan" in page  # the return was made in Swedish


def test_a_code_is_spent_once_and_never_after_it_expires(staff: User) -> None:
    return_request = a_return("store_credit")
    receive(return_request, staff)
    credit = StoreCredit.objects.get(refund__return_request=return_request)
    with pytest.raises(StoreCreditRefused, match="No store credit"):
        store_credit_redeem(code="SC-NOPE-NOPE-NOPE", order_number="W-1")
    later = timezone.now() + dt.timedelta(days=400)
    with pytest.raises(StoreCreditRefused, match="expired"):
        store_credit_redeem(code=credit.code, order_number="W-1", now=later)
    spent = store_credit_redeem(code=credit.code.lower(), order_number="W-1")  # typed at a checkout
    assert spent.redeemed_order == "W-1"
    with pytest.raises(StoreCreditRefused, match="already used on order W-1"):
        store_credit_redeem(code=credit.code, order_number="W-2")


def test_a_retried_payout_gives_the_same_code(staff: User) -> None:
    return_request = a_return("store_credit")
    receive(return_request, staff)
    refund = return_request.refunds.get()
    again = refund_execute(refund=refund, by=staff)
    assert again.provider_reference == refund.provider_reference
    assert StoreCredit.objects.filter(refund=refund).count() == 1


def test_a_refund_return_completes_when_its_refund_is_paid(staff: User) -> None:
    return_request = a_return("refund")
    receive(return_request, staff)
    refund = return_request.refunds.get()
    return_request.refresh_from_db()
    assert return_request.state == ReturnState.INSPECTED  # proposed, not paid: staff pay it
    refund_execute(refund=refund, by=staff)  # the manual provider waits for staff to confirm
    return_request.refresh_from_db()
    assert return_request.state == ReturnState.INSPECTED
    refund_confirm(refund=refund, by=staff, reference="BG 123")
    return_request.refresh_from_db()
    assert return_request.state == ReturnState.COMPLETED
