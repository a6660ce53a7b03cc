"""Stripe through its official library, against a local server answering as docs.stripe.com documents
the Refunds API; events signed as "Check the webhook signatures" says, at the tests' frozen clock."""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from decimal import Decimal
from typing import Any

import pytest
import stripe as stripe_library
from pytest_httpserver import HTTPServer

from refunds.providers import BadSignature, Outcome, ProviderTimeout, ProviderUnavailable
from refunds.providers import stripe as adapter
from refunds.providers.stripe import StripeProvider
from tests.refunds.providers.conftest import Stall, payout

INTENT = "pi_3NirD82eZvKYlo2C1oE4P5Lq"
REFUND = "re_3NirD82eZvKYlo2C1Q8Hk3Jd"
SECRET = "whsec_test_portal_signing_secret"


@pytest.fixture(autouse=True)
def stripe(settings: Any, httpserver: HTTPServer) -> None:
    settings.STRIPE_API_BASE = httpserver.url_for("/").rstrip("/")
    settings.STRIPE_SECRET_KEY = "sk_test_portal_secret_key"
    settings.STRIPE_WEBHOOK_SECRET = SECRET


def refund_object(status: str = "succeeded", **changes: Any) -> dict[str, Any]:
    return {
        "id": REFUND,
        "object": "refund",
        "amount": 94900,
        "balance_transaction": {
            "id": "txn_3NirD82eZvKYlo2C1bTmnlVw",
            "object": "balance_transaction",
            "amount": -94900,
            "currency": "sek",
            "fee": 0,
            "net": -94900,
            "type": "refund",
        },
        "charge": "ch_3NirD82eZvKYlo2C1qZWkNsx",
        "created": 1764676800,
        "currency": "sek",
        "failure_reason": None,
        "metadata": {"idempotency_key": "return:R-7K3P9QX", "order_number": "100234"},
        "payment_intent": INTENT,
        "reason": None,
        "status": status,
        **changes,
    }


def stripe_error(kind: str, code: str, message: str) -> dict[str, Any]:
    return {"error": {"type": kind, "code": code, "message": message}}


def test_a_refund_is_created_with_the_key_metadata_and_minor_units(httpserver: HTTPServer) -> None:
    httpserver.expect_request("/v1/refunds", method="POST").respond_with_json(refund_object())

    result = StripeProvider().refund(payout(payment_reference=INTENT))

    assert (result.outcome, result.reference, result.fee) == (Outcome.SUCCEEDED, REFUND, Decimal("0.00"))
    sent = httpserver.log[0][0]
    assert sent.headers["Authorization"] == "Bearer sk_test_portal_secret_key"
    assert sent.headers["Idempotency-Key"] == "return:R-7K3P9QX"
    assert sent.form.to_dict() == {
        "payment_intent": INTENT,
        "amount": "94900",
        "metadata[idempotency_key]": "return:R-7K3P9QX",
        "metadata[order_number]": "100234",
        "expand[0]": "balance_transaction",
    }


def test_a_partial_refund_sends_only_its_amount(httpserver: HTTPServer) -> None:
    httpserver.expect_request("/v1/refunds", method="POST").respond_with_json(refund_object(amount=1250))

    StripeProvider().refund(payout(payment_reference=INTENT, amount=Decimal("12.50")))

    assert httpserver.log[0][0].form["amount"] == "1250"


@pytest.mark.parametrize(
    ("status", "outcome", "error"),
    [
        ("pending", Outcome.WAITING, ""),
        ("requires_action", Outcome.WAITING, ""),
        ("failed", Outcome.FAILED, "failed: expired_or_canceled_card"),
        ("canceled", Outcome.FAILED, "canceled: expired_or_canceled_card"),
    ],
)
def test_the_refunds_status_is_its_outcome(httpserver: HTTPServer, status: str, outcome: Outcome, error: str) -> None:
    answer = refund_object(status, balance_transaction=None, failure_reason="expired_or_canceled_card")
    httpserver.expect_request("/v1/refunds", method="POST").respond_with_json(answer)

    result = StripeProvider().refund(payout(payment_reference=INTENT))

    assert (result.outcome, result.error, result.fee) == (outcome, error, None)


def test_a_fee_in_another_currency_than_the_refund_is_not_reported(httpserver: HTTPServer) -> None:
    answer = refund_object()
    answer["balance_transaction"] = {**answer["balance_transaction"], "currency": "eur", "fee": 25}
    httpserver.expect_request("/v1/refunds", method="POST").respond_with_json(answer)

    assert StripeProvider().refund(payout(payment_reference=INTENT)).fee is None


@pytest.mark.parametrize(
    ("status", "kind", "code", "message"),
    [
        (400, "invalid_request_error", "charge_already_refunded", "Charge ch_1 has already been refunded."),
        (400, "invalid_request_error", "amount_too_large", "Refund amount is greater than unrefunded amount."),
        (404, "invalid_request_error", "resource_missing", "No such payment_intent: 'pi_x'"),
        (402, "card_error", "expired_card", "Your card has expired."),
    ],
)
def test_stripe_refusing_the_refund_is_a_decline(
    httpserver: HTTPServer, status: int, kind: str, code: str, message: str
) -> None:
    httpserver.expect_request("/v1/refunds", method="POST").respond_with_json(
        stripe_error(kind, code, message), status=status
    )

    result = StripeProvider().refund(payout(payment_reference=INTENT))

    assert (result.outcome, result.error) == (Outcome.FAILED, f"{code}: {message}")


@pytest.mark.parametrize(
    ("status", "kind", "retry_after", "says"),
    [
        (401, "invalid_request_error", None, "refused the credentials"),
        (403, "invalid_request_error", None, "refused the credentials or the account"),
        (409, "idempotency_error", None, "still working on a request with this idempotency key"),
        (429, "invalid_request_error", 2.0, "limiting the rate"),
        (500, "api_error", None, "not available"),
    ],
)
def test_answers_that_decide_nothing_leave_the_refund_to_be_tried_again(
    httpserver: HTTPServer, status: int, kind: str, retry_after: float | None, says: str
) -> None:
    headers = {"Retry-After": "2"} if retry_after else {}
    httpserver.expect_request("/v1/refunds", method="POST").respond_with_json(
        stripe_error(kind, "", "no"), status=status, headers=headers
    )

    with pytest.raises(ProviderUnavailable) as raised:
        StripeProvider().refund(payout(payment_reference=INTENT))

    assert says in raised.value.message
    assert raised.value.retry_after == retry_after
    assert "sk_test_portal_secret_key" not in raised.value.message
    assert len(httpserver.log) == 1  # the library does not retry on its own


def test_a_key_reused_with_other_parameters_decides_nothing(httpserver: HTTPServer) -> None:
    message = "Keys for idempotent requests can only be used with the same parameters they were first used with."
    httpserver.expect_request("/v1/refunds", method="POST").respond_with_json(
        stripe_error("idempotency_error", "", message), status=400
    )

    with pytest.raises(ProviderUnavailable, match="idempotency key reused"):
        StripeProvider().refund(payout(payment_reference=INTENT))


def test_no_answer_in_time_is_a_time_out(stall: Stall) -> None:
    stall("/v1/refunds", "POST")

    with pytest.raises(ProviderTimeout):
        StripeProvider().refund(payout(payment_reference=INTENT))


def test_refund_status_retrieves_the_refund(httpserver: HTTPServer) -> None:
    httpserver.expect_request(f"/v1/refunds/{REFUND}", method="GET").respond_with_json(refund_object("pending"))

    result = StripeProvider().refund_status(reference=REFUND, request=payout(payment_reference=INTENT))

    assert (result.outcome, result.reference) == (Outcome.WAITING, REFUND)


def test_refund_status_after_a_lost_answer_finds_it_by_our_key_in_its_metadata(httpserver: HTTPServer) -> None:
    other = refund_object(id="re_other", metadata={"idempotency_key": "return:R-OTHER"})
    httpserver.expect_request("/v1/refunds", method="GET").respond_with_json(
        {"object": "list", "url": "/v1/refunds", "has_more": False, "data": [other, refund_object()]}
    )

    result = StripeProvider().refund_status(reference="", request=payout(payment_reference=INTENT))

    assert (result.outcome, result.reference) == (Outcome.SUCCEEDED, REFUND)
    assert httpserver.log[0][0].args.to_dict() == {"payment_intent": INTENT, "limit": "100"}


def test_refund_status_of_a_refund_stripe_never_made_is_failed(httpserver: HTTPServer) -> None:
    httpserver.expect_request("/v1/refunds", method="GET").respond_with_json(
        {"object": "list", "url": "/v1/refunds", "has_more": False, "data": []}
    )

    result = StripeProvider().refund_status(reference="", request=payout(payment_reference=INTENT))

    assert result.outcome == Outcome.FAILED


def test_check_reads_the_balance(httpserver: HTTPServer) -> None:
    httpserver.expect_request("/v1/balance", method="GET").respond_with_json(
        {"object": "balance", "available": [{"amount": 0, "currency": "sek"}], "pending": [], "livemode": False}
    )

    assert StripeProvider().check() == ["Stripe: key accepted (test mode)", "Stripe: webhook signing secret set"]


def test_check_reports_a_refused_key(httpserver: HTTPServer) -> None:
    httpserver.expect_request("/v1/balance", method="GET").respond_with_json(
        stripe_error("invalid_request_error", "", "Invalid API Key provided: sk_test_****"), status=401
    )

    with pytest.raises(ProviderUnavailable, match="refused the credentials"):
        StripeProvider().check()


# --- Webhooks -----------------------------------------------------------------------------------


def event(kind: str = "refund.updated", refund: dict[str, Any] | None = None, event_id: str = "evt_1") -> bytes:
    body = {
        "id": event_id,
        "object": "event",
        "api_version": "2025-09-30.clover",
        "created": int(time.time()),
        "livemode": False,
        "type": kind,
        "data": {"object": refund or {**refund_object(), "balance_transaction": "txn_3NirD82eZvKYlo2C1bTmnlVw"}},
    }
    return json.dumps(body).encode()


def signature(body: bytes, *, at: int | None = None, secret: str = SECRET) -> dict[str, str]:
    """A Stripe-Signature header: t=<timestamp>,v1=<HMAC-SHA256 of "<timestamp>.<body>">."""
    timestamp = int(time.time()) if at is None else at
    signed = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()
    return {"Stripe-Signature": f"t={timestamp},v1={signed}"}


@pytest.mark.parametrize("kind", ["refund.created", "refund.updated", "refund.failed", "charge.refund.updated"])
def test_a_signed_refund_event_carries_the_refund_and_our_key(kind: str) -> None:
    body = event(kind)

    [received] = StripeProvider().parse_webhook(headers=signature(body), body=body)

    assert (received.event_id, received.kind, received.outcome) == ("evt_1", kind, Outcome.SUCCEEDED)
    assert (received.refund_reference, received.idempotency_key) == (REFUND, "return:R-7K3P9QX")
    assert received.at is not None and int(received.at.timestamp()) == int(time.time())


@pytest.mark.parametrize(
    ("status", "outcome"),
    [("pending", None), ("requires_action", None), ("failed", Outcome.FAILED), ("canceled", Outcome.FAILED)],
)
def test_an_events_outcome_is_its_refunds_status(status: str, outcome: Outcome | None) -> None:
    body = event("refund.failed", refund_object(status, failure_reason="lost_or_stolen_card"))

    [received] = StripeProvider().parse_webhook(headers=signature(body), body=body)

    assert received.outcome == outcome
    assert received.error == (f"{status}: lost_or_stolen_card" if outcome else "")


def test_an_event_about_something_else_is_acknowledged_without_an_outcome() -> None:
    body = event("charge.refunded", {"id": "ch_1", "object": "charge", "refunded": True})

    [received] = StripeProvider().parse_webhook(headers=signature(body), body=body)

    assert (received.kind, received.outcome, received.refund_reference) == ("charge.refunded", None, "")


def test_events_out_of_order_each_keep_their_own_outcome_and_id() -> None:
    succeeded = event("refund.updated", refund_object("succeeded"), event_id="evt_2")
    created = event("refund.created", refund_object("pending"), event_id="evt_1")

    later, earlier = (StripeProvider().parse_webhook(headers=signature(b), body=b)[0] for b in (succeeded, created))

    assert [(later.event_id, later.outcome), (earlier.event_id, earlier.outcome)] == [
        ("evt_2", Outcome.SUCCEEDED),
        ("evt_1", None),
    ]


def test_a_replayed_event_is_the_same_event() -> None:
    body = event()

    first = StripeProvider().parse_webhook(headers=signature(body), body=body)
    again = StripeProvider().parse_webhook(headers=signature(body), body=body)

    assert first == again


def test_a_signature_with_another_secret_is_refused() -> None:
    body = event()

    with pytest.raises(BadSignature):
        StripeProvider().parse_webhook(headers=signature(body, secret="whsec_someone_else"), body=body)


def test_a_tampered_body_is_refused() -> None:
    body = event()
    headers = signature(body)

    with pytest.raises(BadSignature):
        StripeProvider().parse_webhook(headers=headers, body=body.replace(b"94900", b"9490000"))


def test_a_stale_signature_is_refused_as_a_replay() -> None:
    body = event()

    with pytest.raises(BadSignature):
        StripeProvider().parse_webhook(headers=signature(body, at=int(time.time()) - 301), body=body)


def test_a_signature_within_the_tolerance_is_accepted() -> None:
    body = event()

    assert StripeProvider().parse_webhook(headers=signature(body, at=int(time.time()) - 299), body=body)


@pytest.mark.parametrize("headers", [{}, {"Stripe-Signature": ""}, {"Stripe-Signature": "t=1,v1=abc"}])
def test_a_missing_or_malformed_signature_is_refused(headers: dict[str, str]) -> None:
    with pytest.raises(BadSignature):
        StripeProvider().parse_webhook(headers=headers, body=event())


def test_the_signature_header_is_found_whatever_its_case() -> None:
    body = event()
    headers = {"stripe-signature": signature(body)["Stripe-Signature"]}

    assert StripeProvider().parse_webhook(headers=headers, body=body)


def test_without_a_signing_secret_nothing_is_believed(settings: Any) -> None:
    settings.STRIPE_WEBHOOK_SECRET = ""
    body = event()

    with pytest.raises(BadSignature):
        StripeProvider().parse_webhook(headers=signature(body), body=body)


def test_the_module_named_stripe_uses_the_stripe_library() -> None:
    assert adapter.stripe is stripe_library
    assert hasattr(adapter.stripe, "StripeClient")


def test_stripe_expects_a_200_back() -> None:
    assert StripeProvider().webhook_answer() == (200, "application/json", '{"received": true}')
