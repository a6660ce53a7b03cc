"""Refunds: never more than paid, each payout once, every change in history."""

from __future__ import annotations

import contextlib
import threading
from decimal import Decimal

import pytest
from django.contrib.auth.models import User
from django.db import connection
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from refunds.models import Refund, RefundState
from refunds.providers.fake import FakeCardProvider
from refunds.selectors import order_paid, order_refundable
from refunds.services import (
    InvalidRefundTransition,
    RefundLineIn,
    RefundRefused,
    refund_confirm,
    refund_create,
    refund_execute,
)
from returns.models import Order
from tests.factories import OrderFactory, OrderLineFactory

pytestmark = pytest.mark.django_db
CARD = {"original_payment": "refunds.providers.fake.FakeCardProvider"}


@pytest.fixture(autouse=True)
def _fake_card(settings) -> None:
    settings.REFUND_PROVIDERS = CARD
    FakeCardProvider.reset()


def order_paying(total: str) -> Order:
    order = OrderFactory(shipping_amount=Decimal("0"), discount_amount=Decimal("0"))
    OrderLineFactory(order=order, unit_price=Decimal(total), quantity=1)
    return order


def goodwill(order: Order, amount: str, key: str, method: str = "original_payment") -> Refund:
    return refund_create(
        order=order,
        lines=[RefundLineIn(kind="goodwill", amount=Decimal(amount))],
        method=method,
        idempotency_key=key,
        reason="Late delivery",
    )


def test_paid_is_lines_less_discount_plus_shipping() -> None:
    order = OrderFactory(shipping_amount=Decimal("49"), discount_amount=Decimal("100"))
    OrderLineFactory(order=order, unit_price=Decimal("250"), quantity=2)
    assert order_paid(order) == Decimal("449.00")


def test_a_refund_never_exceeds_what_is_left_and_says_how_much_is() -> None:
    order = order_paying("1000.00")
    goodwill(order, "700", "a")
    with pytest.raises(RefundRefused, match=r"Only SEK300\.00 of this order can still be refunded"):
        goodwill(order, "300.01", "b")
    goodwill(order, "300", "c")
    assert order_refundable(order) == Decimal("0.00")


def test_the_same_idempotency_key_gives_the_same_refund() -> None:
    order = order_paying("500.00")
    first, again = goodwill(order, "100", "key-1"), goodwill(order, "100", "key-1")
    assert first.pk == again.pk
    assert Refund.objects.count() == 1
    with pytest.raises(RefundRefused, match="another order"):
        goodwill(order_paying("500.00"), "100", "key-1")


def test_goodwill_needs_a_reason_and_an_amount() -> None:
    order = order_paying("500.00")
    with pytest.raises(RefundRefused, match="needs a reason"):
        refund_create(
            order=order, lines=[RefundLineIn("goodwill", Decimal(5))], method="original_payment", idempotency_key="x"
        )
    with pytest.raises(RefundRefused, match="more than zero"):
        goodwill(order, "0", "y")


def test_a_card_refund_pays_once_and_is_recorded() -> None:
    refund = refund_execute(refund=goodwill(order_paying("500.00"), "120", "k"))
    assert (refund.state, refund.provider_reference) == (RefundState.SUCCEEDED, "fake:k")
    assert refund_execute(refund=refund).state == RefundState.SUCCEEDED
    assert FakeCardProvider.paid_total() == Decimal("120.00")
    assert list(refund.history.values_list("from_state", "to_state")) == [
        ("", "pending"),
        ("pending", "processing"),
        ("processing", "succeeded"),
    ]


def test_a_declined_refund_fails_visibly_and_can_be_tried_again() -> None:
    FakeCardProvider.reset("fail", "succeed")
    refund = refund_execute(refund=goodwill(order_paying("500.00"), "120", "k"))
    assert refund.state == RefundState.FAILED
    assert "card_declined" in refund.last_error
    assert order_refundable(refund.order) == Decimal("500.00")  # a failed refund holds no money
    assert refund_execute(refund=refund).state == RefundState.SUCCEEDED
    assert refund.attempts + 1 == Refund.objects.get().attempts == 2


def test_a_time_out_stays_processing_and_the_retry_never_pays_twice() -> None:
    FakeCardProvider.reset("timeout")
    refund = refund_execute(refund=goodwill(order_paying("500.00"), "120", "k"))
    assert refund.state == RefundState.PROCESSING
    assert "no answer" in refund.last_error
    assert refund_execute(refund=refund).state == RefundState.SUCCEEDED
    assert FakeCardProvider.paid_total() == Decimal("120.00")


def test_a_manual_refund_waits_for_staff_to_confirm_the_transfer() -> None:
    staff = User.objects.create_user("ekonomi", is_staff=True)
    refund = refund_execute(refund=goodwill(order_paying("500.00"), "80", "k", method="bank_transfer"))
    assert refund.state == RefundState.PROCESSING
    refund = refund_confirm(refund=refund, by=staff, reference="SEB 2026-11-23 #4411")
    assert (refund.state, refund.provider_reference) == (RefundState.SUCCEEDED, "SEB 2026-11-23 #4411")
    with pytest.raises(InvalidRefundTransition):
        refund_confirm(refund=refund, by=staff)


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_refund_never_exceeds_what_was_paid_under_concurrency() -> None:
    order = order_paying("1000.00")
    barrier = threading.Barrier(10)
    created: list[Refund] = []
    refused: list[str] = []

    def attempt(number: int) -> None:
        try:
            barrier.wait()
            created.append(goodwill(order, "300", f"concurrent-{number}"))
        except RefundRefused as refusal:
            refused.append(str(refusal))
        finally:
            connection.close()

    threads = [threading.Thread(target=attempt, args=(number,)) for number in range(10)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert (len(created), len(refused)) == (3, 7)
    for refund in created:
        refund_execute(refund=refund)
    assert FakeCardProvider.paid_total() == Decimal("900.00")
    assert order_refundable(order) == Decimal("100.00")


def test_the_customers_status_page_follows_the_refund(client) -> None:
    from django.urls import reverse

    from returns.access import status_token
    from returns.services import LineRequest, return_create

    order = order_paying("500.00")
    order.language = "en"
    order.save()
    return_request = return_create(
        order=order, lines=[LineRequest(order.lines.get().id, 1, "too_big")], resolution="refund", method="label"
    )
    url = reverse("returns:status", args=[status_token(return_request)])
    assert "on its way back" not in client.get(url).content.decode()

    refund = refund_create(
        order=order,
        lines=[RefundLineIn("goodwill", return_request.expected_refund, Decimal("25"))],
        method="original_payment",
        idempotency_key="r1",
        return_request=return_request,
    )
    assert "SEK451.00 is on its way back to you, at the latest on" in client.get(url).content.decode()
    refund_execute(refund=refund)
    assert "SEK451.00 was paid back on" in client.get(url).content.decode()


def test_staff_pay_and_confirm_from_the_admin_and_see_what_was_refused(admin_client) -> None:
    from django.urls import reverse

    order = order_paying("500.00")
    card, transfer = goodwill(order, "100", "card"), goodwill(order, "50", "transfer", method="bank_transfer")
    url = reverse("admin:refunds_refund_changelist")
    paid = admin_client.post(url, {"action": "pay", "_selected_action": [card.pk, transfer.pk]}, follow=True)
    assert f"Sent 2: #{card.pk} (Succeeded), #{transfer.pk} (Processing)" in paid.content.decode()

    confirmed = admin_client.post(
        url, {"action": "confirm_paid", "_selected_action": [card.pk, transfer.pk]}, follow=True
    )
    page = confirmed.content.decode()
    assert f"Confirmed 1: #{transfer.pk} (Succeeded)" in page
    assert f"Refused 1: #{card.pk} (Succeeded): Refund {card.pk} cannot go from Succeeded to Succeeded." in page


def test_late_refunds_are_flagged_in_the_admin(admin_client) -> None:
    import datetime as dt

    from django.urls import reverse

    refund = goodwill(order_paying("500.00"), "100", "late")
    Refund.objects.filter(pk=refund.pk).update(due_on=dt.date(2020, 1, 1))
    listing = admin_client.get(reverse("admin:refunds_refund_changelist") + "?due=late").content.decode()
    assert f'href="/admin/refunds/refund/{refund.pk}/change/' in listing
    assert 'alt="True"' in listing


def test_the_timeline_ends_with_refunded_on_the_day_the_money_went_out(client) -> None:
    import re

    from django.urls import reverse

    from returns.access import status_token
    from returns.services import LineRequest, return_create

    order = order_paying("500.00")
    order.language = "en"
    order.save()
    return_request = return_create(
        order=order, lines=[LineRequest(order.lines.get().id, 1, "too_big")], resolution="refund", method="label"
    )
    url = reverse("returns:status", args=[status_token(return_request)])
    last_step = re.compile(r'<li class="([^"]*)"[^>]*>\s*<span class="timeline-label">Refunded</span>')
    assert last_step.search(client.get(url).content.decode()).group(1) == ""
    refund = refund_create(
        order=order,
        lines=[RefundLineIn("goodwill", Decimal("100"))],
        method="original_payment",
        idempotency_key="t1",
        return_request=return_request,
    )
    refund_execute(refund=refund)
    assert last_step.search(client.get(url).content.decode()).group(1) == "done current"


@given(
    paid=st.decimals(min_value=1, max_value=5000, places=2),
    asks=st.lists(st.decimals(min_value=Decimal("0.01"), max_value=3000, places=2), min_size=1, max_size=8),
    fails=st.lists(st.booleans(), min_size=8, max_size=8),
)
@hypothesis_settings(max_examples=40, suppress_health_check=[HealthCheck.function_scoped_fixture])
def test_whatever_is_asked_the_refunds_that_count_never_exceed_what_was_paid(paid, asks, fails) -> None:
    FakeCardProvider.reset(*["fail" if failed else "succeed" for failed in fails])
    order = order_paying(str(paid))
    for number, amount in enumerate(asks):
        with contextlib.suppress(RefundRefused):  # refusing is fine; over-paying is not
            refund_execute(refund=goodwill(order, str(amount), f"prop-{order.pk}-{number}"))
        assert Decimal(0) <= order_refundable(order) <= paid
    assert FakeCardProvider.paid_total() <= paid
