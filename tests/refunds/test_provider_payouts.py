"""Refunds of orders paid through Klarna, Adyen or Stripe go back through that provider, with the
payment's reference and the lines; a provider that answers later leaves the refund processing with its
refund id; a provider that is down is asked again later with the same key, and never pays twice."""

from __future__ import annotations

from decimal import Decimal

import pytest

from refunds.models import Refund, RefundMethod, RefundState
from refunds.payouts import payout_request
from refunds.providers import PayoutLine, get_provider
from refunds.providers.fake import FakeCardProvider, FakeConnectedProvider
from refunds.providers.manual import ManualProvider
from refunds.services import RETRY_MAX_ATTEMPTS, RefundLineIn, refund_create, refund_execute
from tests.refunds.paid_through import PROVIDERS, REFERENCES, order_paid_through, returned_and_inspected

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("free_returns")]


@pytest.mark.parametrize("provider", PROVIDERS)
def test_a_refund_to_the_original_payment_goes_through_the_provider_that_took_it(
    provider: str, connected: type[FakeConnectedProvider]
) -> None:
    assert isinstance(get_provider("original_payment", provider), FakeConnectedProvider)
    assert isinstance(get_provider("bank_transfer", provider), ManualProvider)  # switched away: paid by hand
    assert isinstance(get_provider("original_payment", ""), ManualProvider)  # no provider: as before
    order = order_paid_through(provider, "500.00")
    refund = returned_and_inspected(order).refunds.get()
    assert (refund.method, refund.provider) == (RefundMethod.ORIGINAL_PAYMENT, provider)
    paid = refund_execute(refund=refund)
    assert paid.state == RefundState.SUCCEEDED
    assert paid.provider_reference == "fake-refund-1" and paid.provider_fee == Decimal("1.50")
    assert connected.requests[0].payment_reference == REFERENCES[provider]


def test_an_order_without_a_provider_keeps_todays_refunds(connected: type[FakeConnectedProvider], settings) -> None:
    settings.REFUND_PROVIDERS = {"original_payment": "refunds.providers.fake.FakeCardProvider"}
    card = returned_and_inspected(order_paid_through("", "500.00")).refunds.get()
    invoice = returned_and_inspected(order_paid_through("", "500.00", payment_method="invoice")).refunds.get()
    assert (card.method, card.provider) == ("original_payment", "fakecard")
    assert (invoice.method, invoice.provider) == ("bank_transfer", "manual")
    assert refund_execute(refund=card).state == RefundState.SUCCEEDED
    assert FakeCardProvider.paid_total() == Decimal("500.00") and connected.requests == []


def test_a_klarna_invoice_is_refunded_through_klarna_not_by_bank_transfer(
    connected: type[FakeConnectedProvider],
) -> None:
    refund = returned_and_inspected(order_paid_through("klarna", "500.00", payment_method="invoice")).refunds.get()
    assert (refund.method, refund.provider) == ("original_payment", "klarna")


def test_the_provider_is_asked_with_the_lines_vat_and_a_description(
    connected: type[FakeConnectedProvider],
) -> None:
    order = order_paid_through("klarna", "500.00", "120.00", language="en")
    return_request = returned_and_inspected(order)
    refund = return_request.refunds.get()
    request = payout_request(refund)
    assert (request.amount, request.currency, request.order_number) == (Decimal("620.00"), "SEK", order.number)
    assert request.idempotency_key == f"return:{return_request.number}"
    assert request.description == f"Return {return_request.number}"  # in the order's language
    skus = {line.order_line.variant.sku: line.order_line for line in return_request.lines.all()}
    assert sorted(request.lines, key=lambda line: line.total_amount) == [
        PayoutLine("item", sku, skus[sku].variant.product.name, 1, Decimal(price), Decimal("25.00"), Decimal(vat))
        for sku, price, vat in sorted(
            [
                (sku, str(line.unit_price), "24.00" if line.unit_price == 120 else "100.00")
                for sku, line in skus.items()
            ],
            key=lambda row: Decimal(row[1]),
        )
    ]


def test_a_fee_line_and_a_goodwill_refund_are_named_by_their_kind(connected: type[FakeConnectedProvider]) -> None:
    order = order_paid_through("stripe", "500.00", language="en")
    goodwill = refund_create(
        order=order,
        lines=[RefundLineIn("goodwill", Decimal("50.00"))],
        method="original_payment",
        idempotency_key="goodwill:1",
        reason="Late delivery",
    )
    request = payout_request(goodwill)
    assert request.description == f"Refund for order {order.number}"
    assert request.lines == (PayoutLine("goodwill", "goodwill", "Goodwill", 1, Decimal("50.00"), Decimal("0.00"),
                                        Decimal("0.00")),)  # fmt: skip


def test_a_provider_that_answers_later_leaves_the_refund_processing_with_its_refund_id_in_the_history(
    connected: type[FakeConnectedProvider],
) -> None:
    connected.reset("wait")
    refund = returned_and_inspected(order_paid_through("adyen", "500.00")).refunds.get()
    waiting = refund_execute(refund=refund)
    waiting.refresh_from_db()
    assert (waiting.state, waiting.provider_reference, waiting.paid_at) == ("processing", "fake-refund-1", None)
    assert waiting.processing_since is not None
    assert waiting.history.filter(note__contains="Adyen accepted the refund as fake-refund-1").exists()
    assert not waiting.return_request.refunds.filter(state="succeeded").exists()


def test_a_provider_that_is_down_is_asked_again_later_with_the_same_key_and_pays_once(
    connected: type[FakeConnectedProvider], django_capture_on_commit_callbacks
) -> None:
    connected.reset("unavailable", "unavailable", "succeed")
    refund = returned_and_inspected(order_paid_through("stripe", "500.00")).refunds.get()
    with django_capture_on_commit_callbacks(execute=True):  # the retry task is queued on commit (eager here)
        refund_execute(refund=refund)
    refund.refresh_from_db()
    assert refund.state == RefundState.SUCCEEDED and refund.attempts == 3 and refund.last_error == ""
    assert {request.idempotency_key for request in connected.requests} == {refund.idempotency_key}
    assert connected.paid_total() == Decimal("500.00")


def test_a_provider_down_for_long_is_left_to_reconciliation_after_the_last_automatic_try(
    connected: type[FakeConnectedProvider], django_capture_on_commit_callbacks
) -> None:
    connected.reset(*["unavailable"] * 20)
    connected.retry_after = 120
    refund = returned_and_inspected(order_paid_through("stripe", "500.00")).refunds.get()
    with django_capture_on_commit_callbacks(execute=True):
        refund_execute(refund=refund)
    refund.refresh_from_db()
    assert (refund.state, refund.attempts) == ("processing", RETRY_MAX_ATTEMPTS)
    assert refund.last_error == "503 Service Unavailable"
    assert connected.paid_total() == 0


def test_a_time_out_leaves_it_processing_and_trying_again_gets_the_first_answer_without_paying_twice(
    connected: type[FakeConnectedProvider],
) -> None:
    connected.reset("timeout")
    refund = returned_and_inspected(order_paid_through("klarna", "500.00")).refunds.get()
    unanswered = refund_execute(refund=refund)
    assert unanswered.state == "processing" and "no answer" in unanswered.last_error
    again = refund_execute(refund=unanswered)
    again.refresh_from_db()
    assert again.state == "processing" and again.provider_reference == "fake-refund-1"  # accepted, waiting
    assert connected.paid_total() == 0 and len(connected.requests) == 2


def test_a_declined_refund_shows_the_providers_reason_and_a_retry_uses_the_same_key(
    connected: type[FakeConnectedProvider],
) -> None:
    connected.reset("fail", "succeed")
    refund = returned_and_inspected(order_paid_through("klarna", "500.00")).refunds.get()
    failed = refund_execute(refund=refund)
    assert (failed.state, failed.last_error) == ("failed", "refund_declined: the payment was disputed")
    assert failed.history.get(to_state="failed").note == "refund_declined: the payment was disputed"
    paid = refund_execute(refund=failed)
    assert paid.state == "succeeded" and paid.last_error == ""
    assert [request.idempotency_key for request in connected.requests] == [refund.idempotency_key] * 2
    assert refund_execute(refund=paid).state == "succeeded"  # paid: asked again, nothing more happens
    assert connected.paid_total() == Decimal("500.00") and len(connected.requests) == 2
    assert Refund.objects.count() == 1
