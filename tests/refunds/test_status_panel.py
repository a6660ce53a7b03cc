"""The refunds app's part of the returns pages, through `returns.extensions`: its payouts on the
customer's status page (in one query, however many refunds) and its goodwill link on the order."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
import time_machine
from django.contrib.auth.models import User
from django.db import connection
from django.test import Client, TestCase
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from refunds.admin import goodwill_refund_link
from refunds.models import Refund, StoreCredit
from refunds.services import RefundLineIn, refund_create, refund_execute
from refunds.status_panel import return_payouts
from returns import access, extensions
from returns.cached_pages import forget_status_pages
from returns.extensions import PayoutKind, PayoutState
from returns.models import ReturnPolicy, ReturnRequest
from returns.services import LineRequest, ReceivedLine, return_create, return_receive
from tests.factories import OrderFactory, OrderLineFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _fake_card(settings) -> None:
    settings.REFUND_PROVIDERS = {"original_payment": "refunds.providers.fake.FakeCardProvider"}


def a_return(resolution: str = "refund") -> ReturnRequest:
    order = OrderFactory(language="en", shipping_amount=Decimal("0"), discount_amount=Decimal("0"))
    line = OrderLineFactory(order=order, unit_price=Decimal("1000.00"))
    return return_create(order=order, lines=[LineRequest(line.id, 1, "too_big")], resolution=resolution, method="label")


def goodwill(return_request: ReturnRequest, amount: str, key: str) -> Refund:
    return refund_create(
        order=return_request.order,
        lines=[RefundLineIn("goodwill", Decimal(amount))],
        method="original_payment",
        idempotency_key=key,
        return_request=return_request,
    )


def status_url(return_request: ReturnRequest) -> str:
    return reverse("returns:status", args=[access.status_token(return_request)])


def test_refunds_registers_its_payouts_and_its_goodwill_link() -> None:
    assert return_payouts in list(extensions.payout_sources)
    assert goodwill_refund_link in list(extensions.order_admin_links)


def test_a_returns_refunds_and_code_are_read_in_one_query_newest_first(
    staff_user: User, clock: time_machine.Traveller
) -> None:
    return_request = a_return("store_credit")
    line = return_request.lines.get()
    with TestCase.captureOnCommitCallbacks(execute=True):  # the code is issued once the inspection commits
        return_receive(
            return_request=return_request, lines=[ReceivedLine(line.id, 1, "resellable", accept=True)], by=staff_user
        )
    clock.shift(dt.timedelta(hours=1))
    refund_execute(refund=goodwill(return_request, "10", "late"))
    with CaptureQueriesContext(connection) as queries:
        money_payout, credit_payout = return_payouts(return_request)
    assert len(queries) == 1
    credit = StoreCredit.objects.get()
    assert (credit_payout.kind, credit_payout.state) == (PayoutKind.STORE_CREDIT, PayoutState.SUCCEEDED)
    assert credit_payout.credit is not None
    assert (credit_payout.credit.code, credit_payout.credit.amount, credit_payout.credit.bonus) == (
        credit.code,
        credit.amount,
        credit.bonus,
    )
    assert (money_payout.kind, money_payout.state, money_payout.amount) == (
        PayoutKind.MONEY,
        PayoutState.SUCCEEDED,
        Decimal("10.00"),
    )
    assert money_payout.credit is None and money_payout.paid_at is not None


def test_the_status_page_costs_as_many_queries_with_one_refund_as_with_many(client: Client) -> None:
    counts = []
    for refunds in (1, 4):
        return_request = a_return()
        for number in range(refunds):
            goodwill(return_request, "10", f"{return_request.pk}-{number}")
        ReturnPolicy.current()
        with CaptureQueriesContext(connection) as queries:
            assert client.get(status_url(return_request)).status_code == 200
        counts.append(len(queries))
    assert counts[0] == counts[1], counts


def test_without_the_refunds_source_the_status_page_shows_no_refund(
    client: Client, monkeypatch: pytest.MonkeyPatch
) -> None:
    return_request = a_return()
    goodwill(return_request, "100", "r1")
    assert "SEK100.00 is on its way back to you" in client.get(status_url(return_request)).content.decode()

    monkeypatch.setattr(extensions, "payout_sources", extensions.Hooks())
    forget_status_pages(None, return_request)
    page = client.get(status_url(return_request)).content.decode()
    assert "on its way back" not in page
    assert '<p class="refund' not in page


def test_the_order_in_the_admin_links_to_a_goodwill_refund_only_while_refunds_adds_it(
    admin_client: Client, monkeypatch: pytest.MonkeyPatch
) -> None:
    order = OrderFactory()
    url = reverse("admin:returns_order_change", args=[order.pk])
    goodwill_url = reverse("admin:refunds_refund_goodwill") + f"?order={order.number}"
    assert f'</a> <a class="button" href="{goodwill_url}">Goodwill refund</a>' in admin_client.get(url).content.decode()

    monkeypatch.setattr(extensions, "order_admin_links", extensions.Hooks())
    page = admin_client.get(url).content.decode()
    assert "Make a return for the customer</a>" in page
    assert "Goodwill refund" not in page


@pytest.fixture
def staff_user() -> User:
    return User.objects.create_user("lager", is_staff=True)
