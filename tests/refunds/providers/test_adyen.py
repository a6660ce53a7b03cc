"""Adyen Checkout through Adyen's library, against a local server answering as Adyen/adyen-openapi
(CheckoutService-v71, Webhooks-v1) documents it; webhooks signed as "Verify HMAC signatures" says."""

from __future__ import annotations

import base64
import copy
import hashlib
import hmac
import json
from decimal import Decimal
from typing import Any

import pytest
import requests
from pytest_httpserver import HTTPServer

from refunds.providers import BadSignature, Outcome, PayoutLine, ProviderTimeout, ProviderUnavailable
from refunds.providers.adyen import AdyenProvider
from tests.refunds.providers.conftest import Stall, payout

PAYMENT_PSP = "993617894903480A"
REFUND_PSP = "993617894906488A"
REFUNDS = f"/v71/payments/{PAYMENT_PSP}/refunds"
HMAC_KEY = "44782DEF547AAA06C910C43932B1EB0C71FC68D9D0C057550C48EC2ACF6BA056"


@pytest.fixture(autouse=True)
def adyen(settings: Any, httpserver: HTTPServer) -> None:
    settings.ADYEN_CHECKOUT_URL = httpserver.url_for("/v71")
    settings.ADYEN_API_KEY = "AQE-adyen-secret-key"
    settings.ADYEN_MERCHANT_ACCOUNT = "NordicShopECOM"
    settings.ADYEN_HMAC_KEY = HMAC_KEY


def adyen_error(status: int, code: str, message: str, error_type: str = "validation") -> dict[str, Any]:
    return {"status": status, "errorCode": code, "message": message, "errorType": error_type}


def refund_received(amount: dict[str, Any]) -> dict[str, Any]:
    return {
        "merchantAccount": "NordicShopECOM",
        "paymentPspReference": PAYMENT_PSP,
        "reference": "return:R-7K3P9QX",
        "pspReference": REFUND_PSP,
        "status": "received",
        "amount": amount,
    }


def test_a_refund_is_posted_with_the_api_key_idempotency_key_and_minor_units(httpserver: HTTPServer) -> None:
    httpserver.expect_request(REFUNDS, method="POST").respond_with_json(
        refund_received({"currency": "SEK", "value": 94900}), status=201
    )

    result = AdyenProvider().refund(payout(payment_reference=PAYMENT_PSP))

    assert (result.outcome, result.reference) == (Outcome.WAITING, REFUND_PSP)  # the REFUND webhook settles it
    sent = httpserver.log[0][0]
    assert sent.headers["X-API-Key"] == "AQE-adyen-secret-key"
    assert sent.headers["Idempotency-Key"] == "return:R-7K3P9QX"
    assert sent.get_json() == {
        "merchantAccount": "NordicShopECOM",
        "amount": {"value": 94900, "currency": "SEK"},
        "reference": "return:R-7K3P9QX",
        "lineItems": [
            {
                "id": "TSHIRT-M-BLUE",
                "description": "T-shirt",
                "quantity": 2,
                "amountIncludingTax": 49900,
                "amountExcludingTax": 39920,
                "taxAmount": 9980,
                "taxPercentage": 2500,
            },
            {
                "id": "return_fee",
                "description": "Return fee",
                "quantity": 1,
                "amountIncludingTax": -4900,
                "amountExcludingTax": -3920,
                "taxAmount": -980,
                "taxPercentage": 2500,
            },
        ],
    }


def test_a_line_whose_units_do_not_divide_its_total_goes_as_one_unit(httpserver: HTTPServer) -> None:
    httpserver.expect_request(REFUNDS, method="POST").respond_with_json(
        refund_received({"currency": "SEK", "value": 10000}), status=201
    )
    socks = PayoutLine("item", "SOCK", "Socks", 3, Decimal("100.00"), Decimal("25"), Decimal("20.00"))

    AdyenProvider().refund(payout(payment_reference=PAYMENT_PSP, amount=Decimal("100.00"), lines=(socks,)))

    [line] = httpserver.log[0][0].get_json()["lineItems"]
    assert (line["quantity"], line["amountIncludingTax"], line["taxAmount"]) == (1, 10000, 2000)


def test_a_partial_refund_sends_only_its_amount(httpserver: HTTPServer) -> None:
    httpserver.expect_request(REFUNDS, method="POST").respond_with_json(
        refund_received({"currency": "EUR", "value": 1250}), status=201
    )

    AdyenProvider().refund(payout(payment_reference=PAYMENT_PSP, amount=Decimal("12.50"), currency="EUR", lines=()))

    assert httpserver.log[0][0].get_json()["amount"] == {"value": 1250, "currency": "EUR"}


def test_a_key_longer_than_adyen_keeps_is_sent_as_its_sha256(httpserver: HTTPServer) -> None:
    httpserver.expect_request(REFUNDS, method="POST").respond_with_json(
        refund_received({"currency": "SEK", "value": 94900}), status=201
    )
    long_key = "api:" + "k" * 100

    AdyenProvider().refund(payout(payment_reference=PAYMENT_PSP, idempotency_key=long_key))

    sent = httpserver.log[0][0]
    assert sent.headers["Idempotency-Key"] == hashlib.sha256(long_key.encode()).hexdigest()
    assert sent.get_json()["reference"] == sent.headers["Idempotency-Key"]


@pytest.mark.parametrize(
    ("status", "code", "message"),
    [
        (422, "137", "Invalid amount specified"),
        (422, "167", "Original pspReference required for this operation"),
        (400, "702", 'Unexpected input: ", expected: }'),
    ],
)
def test_adyen_refusing_the_refund_is_a_decline(httpserver: HTTPServer, status: int, code: str, message: str) -> None:
    httpserver.expect_request(REFUNDS, method="POST").respond_with_json(
        adyen_error(status, code, message), status=status
    )

    result = AdyenProvider().refund(payout(payment_reference=PAYMENT_PSP))

    assert (result.outcome, result.error) == (Outcome.FAILED, f"{code}: {message}")


@pytest.mark.parametrize(
    ("status", "code", "retry_after", "says"),
    [
        (401, "000", None, "refused the credentials"),
        (403, "901", None, "refused the credentials or the account"),
        (422, "704", None, "still working on a request with this idempotency key"),
        (429, "", 12.0, "limiting the rate"),
        (500, "905", None, "not available"),
        (503, "", None, "not available"),
    ],
)
def test_answers_that_decide_nothing_leave_the_refund_to_be_tried_again(
    httpserver: HTTPServer, status: int, code: str, retry_after: float | None, says: str
) -> None:
    headers = {"Retry-After": "12"} if retry_after else {}
    httpserver.expect_request(REFUNDS, method="POST").respond_with_json(
        adyen_error(status, code, "no", "security"), status=status, headers=headers
    )

    with pytest.raises(ProviderUnavailable) as raised:
        AdyenProvider().refund(payout(payment_reference=PAYMENT_PSP))

    assert says in raised.value.message
    assert raised.value.retry_after == retry_after
    assert "AQE-adyen-secret-key" not in raised.value.message


def test_no_answer_in_time_is_a_time_out(stall: Stall) -> None:
    stall(REFUNDS, "POST")

    with pytest.raises(ProviderTimeout):
        AdyenProvider().refund(payout(payment_reference=PAYMENT_PSP))


def test_refund_status_says_where_staff_look_since_adyen_has_no_status_api(httpserver: HTTPServer) -> None:
    result = AdyenProvider().refund_status(reference=REFUND_PSP, request=payout(payment_reference=PAYMENT_PSP))

    assert (result.outcome, result.reference) == (Outcome.WAITING, REFUND_PSP)
    assert f"PSP reference {REFUND_PSP}" in result.error
    assert httpserver.log == []


def test_check_asks_for_the_merchant_accounts_payment_methods(httpserver: HTTPServer) -> None:
    httpserver.expect_request("/v71/paymentMethods", method="POST").respond_with_json(
        {"paymentMethods": [{"name": "Cards", "type": "scheme"}, {"name": "Klarna", "type": "klarna"}]}
    )

    lines = AdyenProvider().check()

    assert lines == [
        "Adyen: API key accepted for merchant account NordicShopECOM (test, 2 payment methods)",
        "Adyen: HMAC key set (hex) for verifying webhooks",
    ]
    assert httpserver.log[0][0].get_json() == {"merchantAccount": "NordicShopECOM"}


def test_check_reports_a_refused_key(httpserver: HTTPServer) -> None:
    httpserver.expect_request("/v71/paymentMethods", method="POST").respond_with_json(
        adyen_error(401, "000", "HTTP Status Response - Unauthorized", "security"), status=401
    )

    with pytest.raises(ProviderUnavailable, match="refused the credentials"):
        AdyenProvider().check()


def test_check_reports_an_hmac_key_that_is_not_hex(httpserver: HTTPServer, settings: Any) -> None:
    settings.ADYEN_HMAC_KEY = "not-hex"
    httpserver.expect_request("/v71/paymentMethods", method="POST").respond_with_json({"paymentMethods": []})

    with pytest.raises(ProviderUnavailable, match="ADYEN_HMAC_KEY"):
        AdyenProvider().check()


# --- Webhooks -----------------------------------------------------------------------------------


def signed(item: dict[str, Any], key: str = HMAC_KEY) -> dict[str, Any]:
    """The item with its hmacSignature, computed as Adyen's "Verify HMAC signatures" describes."""
    fields = [
        item.get("pspReference", ""),
        item.get("originalReference", ""),
        item.get("merchantAccountCode", ""),
        item.get("merchantReference", ""),
        str(item["amount"]["value"]),
        item["amount"]["currency"],
        item.get("eventCode", ""),
        item.get("success", ""),
    ]
    digest = hmac.new(bytes.fromhex(key), ":".join(fields).encode(), hashlib.sha256).digest()
    additional = {**item.get("additionalData", {}), "hmacSignature": base64.b64encode(digest).decode()}
    return {**item, "additionalData": additional}


def item(event_code: str = "REFUND", success: str = "true", **changes: Any) -> dict[str, Any]:
    return {
        "amount": {"currency": "SEK", "value": 94900},
        "eventCode": event_code,
        "eventDate": "2026-12-02T12:00:00+01:00",
        "merchantAccountCode": "NordicShopECOM",
        "merchantReference": "return:R-7K3P9QX",
        "originalReference": PAYMENT_PSP,
        "paymentMethod": "visa",
        "pspReference": REFUND_PSP,
        "reason": "",
        "success": success,
        **changes,
    }


def notification(*items: dict[str, Any]) -> bytes:
    return json.dumps({"live": "false", "notificationItems": [{"NotificationRequestItem": i} for i in items]}).encode()


def test_a_signed_refund_notification_settles_the_refund() -> None:
    [event] = AdyenProvider().parse_webhook(headers={}, body=notification(signed(item())))

    assert (event.kind, event.outcome, event.refund_reference, event.idempotency_key, event.error) == (
        "REFUND",
        Outcome.SUCCEEDED,
        REFUND_PSP,
        "return:R-7K3P9QX",
        "",
    )
    assert event.event_id == f"REFUND:{REFUND_PSP}:true"
    assert event.at is not None and event.at.isoformat() == "2026-12-02T12:00:00+01:00"
    assert event.fee is None  # Adyen's refund webhook reports no fee


@pytest.mark.parametrize(
    ("event_code", "success", "reason", "outcome", "error"),
    [
        (
            "REFUND",
            "false",
            "Transaction hasn't been captured, refund not possible",
            Outcome.FAILED,
            "REFUND: Transaction hasn't been captured, refund not possible",
        ),
        ("REFUND_FAILED", "true", "Refund Failed", Outcome.FAILED, "REFUND_FAILED: Refund Failed"),
        (
            "REFUNDED_REVERSED",
            "true",
            "test_AUTHORISATION_1",
            Outcome.FAILED,
            "REFUNDED_REVERSED: test_AUTHORISATION_1",
        ),
        ("CAPTURE", "true", "", None, ""),
        ("REPORT_AVAILABLE", "true", "", None, ""),
    ],
)
def test_each_documented_event_code_has_its_outcome(
    event_code: str, success: str, reason: str, outcome: Outcome | None, error: str
) -> None:
    body = notification(signed(item(event_code, success, reason=reason)))

    [event] = AdyenProvider().parse_webhook(headers={}, body=body)

    assert (event.kind, event.outcome, event.error) == (event_code, outcome, error)


def test_a_batch_of_signed_items_gives_one_event_each() -> None:
    other = item(
        pspReference="883617894906499B", merchantReference="return:R-2", amount={"currency": "EUR", "value": 10}
    )
    body = notification(signed(item()), signed(other), signed(item("CAPTURE", pspReference="883617894906500C")))

    events = AdyenProvider().parse_webhook(headers={}, body=body)

    assert [(e.kind, e.refund_reference, e.outcome) for e in events] == [
        ("REFUND", REFUND_PSP, Outcome.SUCCEEDED),
        ("REFUND", "883617894906499B", Outcome.SUCCEEDED),
        ("CAPTURE", "883617894906500C", None),
    ]


def test_one_badly_signed_item_refuses_the_whole_batch() -> None:
    forged = signed(item(pspReference="883617894906499B"), key="00" * 32)

    with pytest.raises(BadSignature):
        AdyenProvider().parse_webhook(headers={}, body=notification(signed(item()), forged))


def test_a_tampered_amount_breaks_the_signature() -> None:
    tampered = copy.deepcopy(signed(item()))
    tampered["amount"]["value"] = 9490000

    with pytest.raises(BadSignature):
        AdyenProvider().parse_webhook(headers={}, body=notification(tampered))


def test_a_success_turned_around_breaks_the_signature() -> None:
    tampered = {**signed(item(success="false")), "success": "true"}

    with pytest.raises(BadSignature):
        AdyenProvider().parse_webhook(headers={}, body=notification(tampered))


@pytest.mark.parametrize(
    "body",
    [
        notification(item()),  # no signature
        notification({**item(), "additionalData": {"hmacSignature": ""}}),
        b"not json",
        b'{"notificationItems": []}',
        b'{"live": "false"}',
    ],
)
def test_unsigned_or_malformed_notifications_are_refused(body: bytes) -> None:
    with pytest.raises(BadSignature):
        AdyenProvider().parse_webhook(headers={}, body=body)


def test_without_an_hmac_key_nothing_is_believed(settings: Any) -> None:
    settings.ADYEN_HMAC_KEY = ""

    with pytest.raises(BadSignature):
        AdyenProvider().parse_webhook(headers={}, body=notification(signed(item())))


def test_a_replayed_notification_is_the_same_event_and_a_changed_outcome_another() -> None:
    first = AdyenProvider().parse_webhook(headers={}, body=notification(signed(item(success="false"))))
    replay = AdyenProvider().parse_webhook(headers={}, body=notification(signed(item(success="false"))))
    later = AdyenProvider().parse_webhook(headers={}, body=notification(signed(item(success="true"))))

    assert first[0].event_id == replay[0].event_id
    assert later[0].event_id != first[0].event_id


def test_out_of_order_events_each_keep_their_own_outcome() -> None:
    failed_later = AdyenProvider().parse_webhook(headers={}, body=notification(signed(item("REFUND_FAILED"))))
    refund_first = AdyenProvider().parse_webhook(headers={}, body=notification(signed(item("REFUND"))))

    assert [failed_later[0].outcome, refund_first[0].outcome] == [Outcome.FAILED, Outcome.SUCCEEDED]
    assert failed_later[0].refund_reference == refund_first[0].refund_reference == REFUND_PSP


def test_an_event_for_another_merchant_account_settles_nothing() -> None:
    body = notification(signed(item(merchantAccountCode="SomeoneElseECOM")))

    [event] = AdyenProvider().parse_webhook(headers={}, body=body)

    assert event.outcome is None


def test_adyen_expects_accepted_back() -> None:
    assert AdyenProvider().webhook_answer() == (200, "text/plain", "[accepted]")


def test_a_live_checkout_url_is_called_as_configured(settings: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    """Adyen's library rewrites URLs between test and live; the live one configured must survive that."""
    live = "https://1797a841fbb37ca7-NordicShop-checkout-live.adyenpayments.com/checkout/v71"
    settings.ADYEN_CHECKOUT_URL = live
    called: list[str] = []

    def offline(method: str, url: str, **kwargs: Any) -> None:
        called.append(url)
        raise requests.ConnectionError("offline")

    monkeypatch.setattr("Adyen.httpclient.requests.request", offline)

    with pytest.raises(ProviderTimeout):
        AdyenProvider().refund(payout(payment_reference=PAYMENT_PSP))
    assert called == [f"{live}/payments/{PAYMENT_PSP}/refunds"]
