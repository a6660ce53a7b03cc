"""Klarna Order Management, against a local server answering as docs.klarna.com documents it."""

from __future__ import annotations

import base64
import json
import uuid
from decimal import Decimal
from typing import Any

import pytest
from pytest_httpserver import HTTPServer

from refunds.providers import BadSignature, Outcome, PayoutLine, ProviderTimeout, ProviderUnavailable
from refunds.providers.klarna import KlarnaProvider, klarna_key
from tests.refunds.providers.conftest import Stall, payout

ORDER = "f3392f8b-6116-4073-ab96-e330819e2c07"
REFUNDS = f"/ordermanagement/v1/orders/{ORDER}/refunds"
REFUND_ID = "b2cb8a4e-7e9a-4a8b-9b1a-3c5e2f1d0a11"


@pytest.fixture(autouse=True)
def klarna(settings: Any, httpserver: HTTPServer) -> None:
    settings.KLARNA_BASE_URL = httpserver.url_for("/").rstrip("/")
    settings.KLARNA_USERNAME = "PK12345_test"
    settings.KLARNA_PASSWORD = "klarna-secret"


def refund_created(httpserver: HTTPServer) -> None:
    httpserver.expect_request(REFUNDS, method="POST").respond_with_data(
        "",
        status=201,
        headers={"Refund-Id": REFUND_ID, "Location": f"{REFUNDS}/{REFUND_ID}"},
    )


def klarna_error(status: int, code: str, message: str) -> dict[str, Any]:
    return {"error_code": code, "error_messages": [message], "correlation_id": "6a9b1cb1-73a3-4936-a030-481ba4bb203b"}


def test_a_refund_is_posted_with_basic_auth_the_idempotency_key_and_lines_in_minor_units(
    httpserver: HTTPServer,
) -> None:
    refund_created(httpserver)

    result = KlarnaProvider().refund(payout(payment_reference=ORDER))

    assert (result.outcome, result.reference) == (Outcome.SUCCEEDED, REFUND_ID)  # 201 is final at Klarna
    sent = httpserver.log[0][0]
    assert sent.headers["Authorization"] == "Basic " + base64.b64encode(b"PK12345_test:klarna-secret").decode()
    assert sent.headers["Klarna-Idempotency-Key"] == klarna_key("return:R-7K3P9QX")  # Klarna advises a UUIDv5
    assert sent.get_json() == {
        "refunded_amount": 94900,
        "reference": "return:R-7K3P9QX",
        "description": "Return R-7K3P9QX",
        "order_lines": [
            {
                "type": "physical",
                "reference": "TSHIRT-M-BLUE",
                "name": "T-shirt",
                "quantity": 2,
                "unit_price": 49900,
                "tax_rate": 2500,
                "total_amount": 99800,
                "total_discount_amount": 0,
                "total_tax_amount": 19960,
            },
            {
                "type": "return_fee",
                "reference": "return_fee",
                "name": "Return fee",
                "quantity": 1,
                "unit_price": -4900,
                "tax_rate": 2500,
                "total_amount": -4900,
                "total_discount_amount": 0,
                "total_tax_amount": -980,
            },
        ],
    }


def test_the_idempotency_key_is_the_same_uuid5_for_the_same_refund_on_every_try() -> None:
    assert klarna_key("return:R-7K3P9QX") == klarna_key("return:R-7K3P9QX") != klarna_key("return:R-2")
    assert uuid.UUID(klarna_key("return:R-7K3P9QX")).version == 5


def test_a_partial_refund_of_units_whose_total_does_not_divide_keeps_its_total_exactly(httpserver: HTTPServer) -> None:
    refund_created(httpserver)
    three = PayoutLine("item", "SOCK", "Socks", 3, Decimal("100.00"), Decimal("25"), Decimal("20.00"))

    KlarnaProvider().refund(payout(payment_reference=ORDER, amount=Decimal("100.00"), lines=(three,)))

    body = httpserver.log[0][0].get_json()
    assert body["refunded_amount"] == 10000
    [line] = body["order_lines"]
    assert (line["quantity"], line["unit_price"], line["total_discount_amount"], line["total_amount"]) == (
        3,
        3334,
        2,
        10000,
    )
    assert line["quantity"] * line["unit_price"] - line["total_discount_amount"] == line["total_amount"]


def test_lines_that_do_not_add_up_are_left_out_rather_than_refused(httpserver: HTTPServer) -> None:
    refund_created(httpserver)

    KlarnaProvider().refund(payout(payment_reference=ORDER, amount=Decimal("500.00")))

    assert httpserver.log[0][0].get_json() == {
        "refunded_amount": 50000,
        "reference": "return:R-7K3P9QX",
        "description": "Return R-7K3P9QX",
    }


@pytest.mark.parametrize(
    ("status", "code", "message"),
    [
        (403, "REFUND_NOT_ALLOWED", "Refund not allowed"),
        (403, "NOT_ALLOWED", "Refunded amount exceeds the captured amount"),
        (400, "BAD_VALUE", "Bad value: refunded_amount"),
        (404, "NO_SUCH_ORDER", "Order not found"),
        (422, "UNPROCESSABLE_ENTITY", "The sum of the order lines does not match the refunded amount"),
    ],
)
def test_klarna_refusing_the_refund_is_a_decline_with_its_code_and_message(
    httpserver: HTTPServer, status: int, code: str, message: str
) -> None:
    httpserver.expect_request(REFUNDS, method="POST").respond_with_json(
        klarna_error(status, code, message), status=status
    )

    result = KlarnaProvider().refund(payout(payment_reference=ORDER))

    assert result.outcome == Outcome.FAILED
    assert result.error.startswith(f"{code}: {message}")
    assert "correlation id 6a9b1cb1" in result.error


@pytest.mark.parametrize(
    ("status", "code", "retry_after"),
    [
        (401, "UNAUTHORIZED", None),
        (409, "CONFLICT", None),
        (429, "TOO_MANY_REQUESTS", 30.0),
        (500, "INTERNAL_SERVER_ERROR", None),
        (503, "TEMPORARILY_UNAVAILABLE", None),
    ],
)
def test_answers_that_decide_nothing_leave_the_refund_to_be_tried_again(
    httpserver: HTTPServer, status: int, code: str, retry_after: float | None
) -> None:
    headers = {"Retry-After": "30"} if retry_after else {}
    httpserver.expect_request(REFUNDS, method="POST").respond_with_json(
        klarna_error(status, code, "no"), status=status, headers=headers
    )

    with pytest.raises(ProviderUnavailable) as raised:
        KlarnaProvider().refund(payout(payment_reference=ORDER))

    assert f"HTTP {status}" in raised.value.message
    assert raised.value.retry_after == retry_after
    assert "klarna-secret" not in raised.value.message


def test_no_answer_in_time_is_a_time_out(stall: Stall) -> None:
    stall(REFUNDS, "POST")

    with pytest.raises(ProviderTimeout):
        KlarnaProvider().refund(payout(payment_reference=ORDER))


def test_an_order_without_a_klarna_order_id_is_declined_without_a_call(httpserver: HTTPServer) -> None:
    result = KlarnaProvider().refund(payout(payment_reference=""))

    assert result.outcome == Outcome.FAILED
    assert httpserver.log == []


def test_missing_credentials_decide_nothing(settings: Any) -> None:
    settings.KLARNA_PASSWORD = ""

    with pytest.raises(ProviderUnavailable, match="KLARNA_USERNAME and KLARNA_PASSWORD"):
        KlarnaProvider().refund(payout(payment_reference=ORDER))


def order_with_refunds(*refunds: dict[str, Any]) -> dict[str, Any]:
    return {"order_id": ORDER, "status": "CAPTURED", "captured_amount": 199600, "refunds": list(refunds)}


KLARNA_REFUND = {
    "refund_id": REFUND_ID,
    "refunded_amount": 94900,
    "refunded_at": "2026-12-02T11:58:00.000Z",
    "reference": "return:R-7K3P9QX",
    "description": "Return R-7K3P9QX",
}


def test_refund_status_finds_the_refund_by_its_id(httpserver: HTTPServer) -> None:
    httpserver.expect_request(f"{REFUNDS}/{REFUND_ID}", method="GET").respond_with_json(KLARNA_REFUND)

    result = KlarnaProvider().refund_status(reference=REFUND_ID, request=payout(payment_reference=ORDER))

    assert (result.outcome, result.reference) == (Outcome.SUCCEEDED, REFUND_ID)


def test_refund_status_after_a_lost_answer_finds_it_by_our_reference_on_the_order(httpserver: HTTPServer) -> None:
    other = {**KLARNA_REFUND, "refund_id": "other", "reference": "return:R-OTHER"}
    httpserver.expect_request(f"/ordermanagement/v1/orders/{ORDER}", method="GET").respond_with_json(
        order_with_refunds(other, KLARNA_REFUND)
    )

    result = KlarnaProvider().refund_status(reference="", request=payout(payment_reference=ORDER))

    assert (result.outcome, result.reference) == (Outcome.SUCCEEDED, REFUND_ID)


def test_refund_status_of_a_refund_klarna_never_made_is_failed(httpserver: HTTPServer) -> None:
    httpserver.expect_request(f"/ordermanagement/v1/orders/{ORDER}", method="GET").respond_with_json(
        order_with_refunds()
    )

    result = KlarnaProvider().refund_status(reference="", request=payout(payment_reference=ORDER))

    assert result.outcome == Outcome.FAILED
    assert "none was made" in result.error


def test_a_notification_is_believed_only_as_klarna_api_reports_the_order(httpserver: HTTPServer) -> None:
    httpserver.expect_request(f"/ordermanagement/v1/orders/{ORDER}", method="GET").respond_with_json(
        order_with_refunds(KLARNA_REFUND)
    )
    forged_claims = {"order_id": ORDER, "refunds": [{"refund_id": "forged", "refunded_amount": 10**8}]}

    events = KlarnaProvider().parse_webhook(headers={}, body=json.dumps(forged_claims).encode())

    [event] = events
    assert (event.event_id, event.outcome, event.refund_reference, event.idempotency_key) == (
        f"refund:{REFUND_ID}",
        Outcome.SUCCEEDED,
        REFUND_ID,
        "return:R-7K3P9QX",
    )
    assert event.at is not None and event.at.isoformat() == "2026-12-02T11:58:00+00:00"


def test_a_notification_sent_again_gives_the_same_events(httpserver: HTTPServer) -> None:
    httpserver.expect_request(f"/ordermanagement/v1/orders/{ORDER}", method="GET").respond_with_json(
        order_with_refunds(KLARNA_REFUND)
    )
    body = json.dumps({"order_id": ORDER}).encode()

    assert KlarnaProvider().parse_webhook(headers={}, body=body) == KlarnaProvider().parse_webhook(
        headers={}, body=body
    )


@pytest.mark.parametrize("body", [b"not json", b"{}", b'{"order_id": ""}', b"[1, 2]"])
def test_a_notification_naming_no_order_is_refused_unread(httpserver: HTTPServer, body: bytes) -> None:
    with pytest.raises(BadSignature):
        KlarnaProvider().parse_webhook(headers={}, body=body)
    assert httpserver.log == []


def test_a_notification_naming_an_order_klarna_does_not_know_is_refused(httpserver: HTTPServer) -> None:
    httpserver.expect_request("/ordermanagement/v1/orders/made-up", method="GET").respond_with_json(
        klarna_error(404, "NO_SUCH_ORDER", "Order not found"), status=404
    )

    with pytest.raises(BadSignature):
        KlarnaProvider().parse_webhook(headers={}, body=b'{"order_id": "made-up"}')


def test_check_proves_the_credentials_with_an_order_that_cannot_exist(httpserver: HTTPServer) -> None:
    httpserver.expect_request(
        "/ordermanagement/v1/orders/00000000-0000-0000-0000-000000000000", method="GET"
    ).respond_with_json(klarna_error(404, "NO_SUCH_ORDER", "Order not found"), status=404)

    lines = KlarnaProvider().check()

    assert lines == ["Klarna: credentials accepted by localhost (live)"]
    assert httpserver.log[0][0].headers["Authorization"].startswith("Basic ")


def test_check_reports_refused_credentials(httpserver: HTTPServer) -> None:
    httpserver.expect_request(
        "/ordermanagement/v1/orders/00000000-0000-0000-0000-000000000000", method="GET"
    ).respond_with_json(klarna_error(401, "UNAUTHORIZED", "Bad credentials"), status=401)

    with pytest.raises(ProviderUnavailable, match="refused the credentials"):
        KlarnaProvider().check()


def test_klarna_expects_a_plain_200_back() -> None:
    assert KlarnaProvider().webhook_answer() == (200, "text/plain", "")
