"""The status page's money side comes through `returns.extensions` as plain data: each state reads
as before, from whatever source is registered, and the page stands on its own when none is."""

from __future__ import annotations

import datetime as dt
from dataclasses import replace
from decimal import Decimal

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from returns import access, extensions
from returns.cached_pages import forget_status_pages
from returns.extensions import IssuedCredit, Payout, PayoutKind, PayoutState
from returns.models import ReturnRequest
from returns.services import LineRequest, return_create
from returns_portal.core.templatetags.portal import day
from tests.factories import OrderFactory, OrderLineFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def payouts(monkeypatch: pytest.MonkeyPatch) -> list[Payout]:
    """What the page is told, by a source of the test's own in place of every registered one."""
    told: list[Payout] = []
    sources: extensions.Hooks[extensions.PayoutSource] = extensions.Hooks()
    sources.register(lambda return_request: list(told))
    monkeypatch.setattr(extensions, "payout_sources", sources)
    return told


def a_return(resolution: str = "refund") -> ReturnRequest:
    order = OrderFactory(language="en", shipping_amount=Decimal("0"))
    line = OrderLineFactory(order=order, unit_price=Decimal("500.00"))
    return return_create(order=order, lines=[LineRequest(line.id, 1, "too_big")], resolution=resolution, method="label")


def status_page(client: Client, return_request: ReturnRequest) -> str:
    return client.get(reverse("returns:status", args=[access.status_token(return_request)])).content.decode()


def said(state: str, sentence: str) -> str:
    """A payout's sentence on the page, in the paragraph styled for its state."""
    return f'<p class="refund refund-{state}">\n    {sentence}'


def money(state: PayoutState, amount: str, paid_at: dt.datetime | None = None) -> Payout:
    due = timezone.localdate() + dt.timedelta(days=14)
    return Payout(PayoutKind.MONEY, state, Decimal(amount), "SEK", due_on=due, paid_at=paid_at)


def test_with_no_payout_source_the_page_shows_what_is_expected_and_no_payouts(
    client: Client, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(extensions, "payout_sources", extensions.Hooks())
    page = status_page(client, a_return())
    assert '<dt>Refund</dt><dd class="amount">' in page  # still expecting the refund: nothing said it went out
    assert '<p class="refund' not in page


def test_each_money_state_reads_as_the_customer_knows_it(client: Client, payouts: list[Payout]) -> None:
    yesterday = timezone.now() - dt.timedelta(days=1)
    payouts += [
        money(PayoutState.SUCCEEDED, "100.00", paid_at=yesterday),
        money(PayoutState.PENDING, "50.00"),
        money(PayoutState.PROCESSING, "30.00"),
        money(PayoutState.FAILED, "20.00"),
    ]
    page = status_page(client, a_return())
    due = day(timezone.localdate() + dt.timedelta(days=14))
    assert said("succeeded", f"SEK100.00 was paid back on {day(yesterday)}.") in page
    assert said("pending", f"SEK50.00 is on its way back to you, at the latest on {due}.") in page
    assert said("processing", f"SEK30.00 is on its way back to you, at the latest on {due}.") in page
    assert "Paying back SEK20.00 did not go through yet. We are on it and will try again." in page
    assert "Paid by" not in page  # the refund is under way: no more promise of one
    final = page.split('<ol class="timeline">')[1].split("</ol>")[0].split("<li")[-1]
    assert "Refunded" in final and day(yesterday) in final  # the final step is the day the money went out


def test_a_store_credit_code_is_shown_once_issued(client: Client, payouts: list[Payout]) -> None:
    return_request = a_return("store_credit")
    expires = timezone.localdate() + dt.timedelta(days=365)
    coming = Payout(PayoutKind.STORE_CREDIT, PayoutState.PENDING, Decimal("500.00"), "SEK", due_on=expires)
    payouts.append(coming)
    assert "We have checked your parcel and e-mail you the store credit code shortly." in status_page(
        client, return_request
    )

    credit = IssuedCredit("SC-TEST-CODE-0001", Decimal("550.00"), Decimal("50.00"), "SEK", expires)
    payouts[:] = [replace(coming, state=PayoutState.SUCCEEDED, credit=credit)]
    forget_status_pages(None, return_request)  # as a changed refund does
    page = status_page(client, return_request)
    assert f"Your store credit of SEK550.00 is ready. Use this code at checkout by {day(expires)}:" in page
    assert '<strong class="mono code">SC-TEST-CODE-0001</strong>' in page
    assert "<dt>Bonus included</dt><dd>SEK50.00</dd>" in page
    assert "on its way back" not in page  # a code, not money
