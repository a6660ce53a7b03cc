"""Klarna Order Management: refunds of a captured Klarna order, by line with VAT, as Klarna reconciles invoices.

Klarna has no official Python library, so this speaks its REST API with `requests` (HTTP Basic with
the API credentials). What it follows, from docs.klarna.com:

- "Refund orders" / "Refund with return fees": POST /ordermanagement/v1/orders/{order_id}/refunds with
  `refunded_amount`, `description`, `reference` and `order_lines` in minor units; fees we keep are
  `return_fee` lines with a negative amount, and the lines add up to `refunded_amount` exactly. The
  answer is 201 with the refund's id in the `Refund-Id` header.
- "Order management in a nutshell": a successful answer *is* the outcome ("if an operation returns a
  successful response, you can consider it successful"), so a 201 is SUCCEEDED, not WAITING.
- "Escalation & retry policy": the `Klarna-Idempotency-Key` header makes a retry safe (kept 24 hours);
  Klarna advises a UUIDv5, so the header is the UUIDv5 of our key (the same key, the same UUID).
- "Error codes and messages for Order Management": 403 `*_NOT_ALLOWED` and 400/404/422 refuse the
  refund itself; 401, 409, 429 and 5xx decide nothing.

Klarna sends no signed notification about Order Management refunds (its only push for merchants, Klarna
Checkout's, carries an order id and nothing else, and Klarna documents fetching the order back). So
`parse_webhook` trusts nothing in a request but the order id it names: what it reports comes from
Klarna's API, asked with our credentials.
"""

from __future__ import annotations

import json
import logging
import uuid
from collections.abc import Mapping
from typing import Any
from urllib.parse import quote, urlsplit

import requests
from django.conf import settings

from refunds.providers import (
    BadSignature,
    Outcome,
    PayoutLine,
    PayoutRequest,
    PayoutResult,
    ProviderEvent,
    ProviderTimeout,
    ProviderUnavailable,
)
from refunds.providers.http import declined, iso_time, timeout_seconds, undecided
from returns_portal.core.money import to_minor_units

log = logging.getLogger(__name__)

ORDERS = "/ordermanagement/v1/orders"

# Our refund line kinds as Klarna's order line types. A fee we keep is Klarna's `return_fee` (negative);
# goodwill lowers what the customer paid, which is what a Klarna `discount` line says.
LINE_TYPES = {
    "item": "physical",
    "shipping": "shipping_fee",
    "return_fee": "return_fee",
    "restocking_fee": "return_fee",
    "goodwill": "discount",
}

# An order id that cannot exist: asking for it proves the credentials without touching an order.
NO_SUCH_ORDER = "00000000-0000-0000-0000-000000000000"


class KlarnaProvider:
    name = "klarna"

    def refund(self, request: PayoutRequest) -> PayoutResult:
        if not request.payment_reference:
            return declined("NO_KLARNA_ORDER", "the order has no Klarna order id to refund")
        response = self._call(
            "POST",
            f"{ORDERS}/{quote(request.payment_reference, safe='')}/refunds",
            body=refund_body(request),
            idempotency_key=klarna_key(request.idempotency_key),
        )
        if response.status_code == 201:
            return PayoutResult(Outcome.SUCCEEDED, reference=response.headers.get("Refund-Id", ""))
        return _refused(response)

    def refund_status(self, *, reference: str, request: PayoutRequest) -> PayoutResult:
        """A Klarna refund exists or it does not: found (by its id, or by our reference on the order's
        refunds when the first answer was lost) it succeeded; not found, it was never made, and paying
        it again is safe."""
        order_path = f"{ORDERS}/{quote(request.payment_reference, safe='')}"
        if reference:
            response = self._call("GET", f"{order_path}/refunds/{quote(reference, safe='')}")
            if response.status_code == 200:
                return PayoutResult(Outcome.SUCCEEDED, reference=reference)
            if response.status_code not in (400, 404):
                raise _unavailable(response)
        response = self._call("GET", order_path)
        if response.status_code != 200:
            return _refused(response)
        for refund in _json(response).get("refunds") or []:
            if refund.get("reference") == _reference(request):
                return PayoutResult(Outcome.SUCCEEDED, reference=str(refund.get("refund_id", "")))
        return declined("NOT_FOUND", f"Klarna has no refund with reference {request.idempotency_key}: none was made")

    def parse_webhook(self, *, headers: Mapping[str, str], body: bytes) -> list[ProviderEvent]:
        """A request naming a Klarna order (`{"order_id": ...}`, as Klarna's pushes name one): the order's
        refunds as Klarna's API reports them. Klarna signs nothing here, so a request naming no order, or
        one Klarna does not know, is refused as unverifiable (BadSignature); nothing else in it is read."""
        order_id = _order_id_of(body)
        response = self._call("GET", f"{ORDERS}/{quote(order_id, safe='')}")
        if response.status_code in (400, 404):
            raise BadSignature(f"Klarna knows no order {order_id}")
        if response.status_code != 200:
            raise _unavailable(response)
        return [_refund_event(refund) for refund in _json(response).get("refunds") or []]

    def webhook_answer(self) -> tuple[int, str, str]:
        return 200, "text/plain", ""

    def check(self) -> list[str]:
        """Asks for an order that cannot exist: 404 means Klarna accepted the credentials (Order
        Management has no cheaper authenticated read), 401 that it did not."""
        response = self._call("GET", f"{ORDERS}/{NO_SUCH_ORDER}")
        if response.status_code not in (200, 404):
            raise _unavailable(response)
        host = urlsplit(settings.KLARNA_BASE_URL).hostname or settings.KLARNA_BASE_URL
        environment = "playground" if "playground" in host else "live"
        return [f"Klarna: credentials accepted by {host} ({environment})"]

    def _call(
        self, method: str, path: str, *, body: dict[str, Any] | None = None, idempotency_key: str = ""
    ) -> requests.Response:
        if not (settings.KLARNA_USERNAME and settings.KLARNA_PASSWORD):
            raise ProviderUnavailable("Klarna: KLARNA_USERNAME and KLARNA_PASSWORD are not set")
        headers = {"Klarna-Idempotency-Key": idempotency_key} if idempotency_key else {}
        try:
            return requests.request(
                method,
                settings.KLARNA_BASE_URL.rstrip("/") + path,
                json=body,
                headers=headers,
                auth=(settings.KLARNA_USERNAME, settings.KLARNA_PASSWORD),
                timeout=timeout_seconds(),
            )
        except (requests.Timeout, requests.ConnectionError) as lost:
            raise ProviderTimeout(f"Klarna: no answer in {timeout_seconds():g} s ({type(lost).__name__})") from lost
        except requests.RequestException as broken:
            raise ProviderUnavailable(f"Klarna: the request failed ({type(broken).__name__})") from broken


def refund_body(request: PayoutRequest) -> dict[str, Any]:
    body: dict[str, Any] = {
        "refunded_amount": to_minor_units(request.amount, request.currency),
        "reference": _reference(request),
    }
    if request.description:
        body["description"] = request.description[:255]
    lines = [order_line(line, request.currency) for line in request.lines]
    if lines and sum(line["total_amount"] for line in lines) == body["refunded_amount"]:
        body["order_lines"] = lines
    elif lines:
        # Klarna refuses lines that do not add up; the refund still goes, without its lines.
        log.warning("Refund %s: its lines do not add up to its amount; sent without lines", request.idempotency_key)
    return body


def klarna_key(idempotency_key: str) -> str:
    return str(uuid.uuid5(uuid.NAMESPACE_URL, f"returns-portal:refund:{idempotency_key}"))


def _json(response: requests.Response) -> dict[str, Any]:
    try:
        payload = response.json()
    except ValueError:
        return {}
    return payload if isinstance(payload, dict) else {}


def _reference(request: PayoutRequest) -> str:
    return request.idempotency_key[:255]  # Klarna keeps 255 characters of a refund's reference


def order_line(line: PayoutLine, currency: str) -> dict[str, Any]:
    """A Klarna order line: unit_price x quantity - total_discount_amount = total_amount, in minor units.

    When the total does not divide by the quantity, the unit price is rounded up and the difference is
    the line's discount, so the line's total stays exactly ours.
    """
    total = to_minor_units(line.total_amount, currency)
    quantity = max(line.quantity, 1)
    unit_price = -(-total // quantity)
    return {
        "type": LINE_TYPES.get(line.kind, "physical"),
        "reference": line.reference[:64],
        "name": line.name[:255] or line.reference,
        "quantity": quantity,
        "unit_price": unit_price,
        "tax_rate": int((line.vat_rate * 100).to_integral_value()),
        "total_amount": total,
        "total_discount_amount": unit_price * quantity - total,
        "total_tax_amount": to_minor_units(line.vat_amount, currency),
    }


def _order_id_of(body: bytes) -> str:
    try:
        payload = json.loads(body or b"{}")
    except ValueError:
        raise BadSignature("not a Klarna notification: the body is not JSON") from None
    order_id = (payload.get("order_id") or payload.get("klarna_order_id")) if isinstance(payload, dict) else None
    if not isinstance(order_id, str) or not order_id.strip():
        raise BadSignature("not a Klarna notification: it names no order")
    return order_id.strip()


def _refund_event(refund: Mapping[str, Any]) -> ProviderEvent:
    refund_id = str(refund.get("refund_id", ""))
    return ProviderEvent(
        event_id=f"refund:{refund_id}",
        kind="refund",
        outcome=Outcome.SUCCEEDED,
        refund_reference=refund_id,
        idempotency_key=str(refund.get("reference") or ""),
        at=iso_time(refund.get("refunded_at")),
    )


def _error(response: requests.Response) -> tuple[str, str]:
    """Klarna's error code and messages (with its correlation id, which Klarna's support asks for)."""
    payload = _json(response)
    if not payload:
        return "", response.reason or ""
    messages = "; ".join(str(message) for message in payload.get("error_messages") or [])
    correlation = payload.get("correlation_id")
    return str(payload.get("error_code") or ""), messages + (f" (correlation id {correlation})" if correlation else "")


def _refused(response: requests.Response) -> PayoutResult:
    """A refusal of this refund is a decline; anything else decided nothing and is raised."""
    code, message = _error(response)
    business = response.status_code in (400, 404, 422) or (response.status_code == 403 and code.endswith("NOT_ALLOWED"))
    if business:
        return declined(code or f"HTTP_{response.status_code}", message)
    raise _unavailable(response)


def _unavailable(response: requests.Response) -> ProviderUnavailable:
    code, message = _error(response)
    return undecided("Klarna", response.status_code, f"{code}: {message}" if code else message, response.headers)
