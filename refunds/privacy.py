"""What the refunds app holds about a person, for the right of access and the right to erasure.

Refunds and their lines, store credit, and the free texts around them (a goodwill refund's reason,
a provider's error, notes in the history, the provider's webhook events as sent). Bookkeeping law
keeps the rest for years: amounts, VAT, dates, methods and the provider's reference stay, so the
bookkeeping report still adds up. There are no bank details to erase: payouts go back through the
provider, which holds them.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from django.db.models import Q, QuerySet

from refunds.models import UNSETTLED_STATES, PaymentEvent, Refund, RefundEvent, RefundLine, StoreCredit
from returns.models import Customer

REFUND_FIELDS = [
    "id", "order__number", "return_request__number", "amount", "currency", "method", "provider",
    "provider_reference", "state", "reason", "due_on", "created_at", "paid_at", "last_error",
]  # fmt: skip
CREDIT_FIELDS = ["code", "refund_id", "amount", "bonus", "currency", "expires_on", "created_at", "redeemed_at"]


def _refunds_of(customer: Customer) -> QuerySet[Refund]:
    return Refund.objects.filter(order__customer=customer).order_by("created_at", "pk")


def open_matters(customer: Customer) -> list[str]:
    # Money still on its way to the customer: erasing now would leave nobody to pay it to.
    unsettled = _refunds_of(customer).filter(state__in=UNSETTLED_STATES)
    return [
        f"refund {pk} of order {order} is {state}"
        for pk, order, state in unsettled.values_list("pk", "order__number", "state")
    ]


def export(*, email: str, customer: Customer | None) -> dict[str, Any]:
    """The customer's refunds with their lines and history, and their store credit."""
    if customer is None:
        return {}
    refunds = list(_refunds_of(customer).values(*REFUND_FIELDS))
    ids = [refund["id"] for refund in refunds]
    lines = list(
        RefundLine.objects.filter(refund_id__in=ids).values("refund_id", "kind", "amount", "vat_rate", "vat_amount")
    )
    history = list(
        RefundEvent.objects.filter(refund_id__in=ids).values("refund_id", "at", "from_state", "to_state", "note")
    )
    for refund in refunds:
        refund["lines"] = [_without_refund(line) for line in lines if line["refund_id"] == refund["id"]]
        refund["history"] = [_without_refund(event) for event in history if event["refund_id"] == refund["id"]]
    credit = StoreCredit.objects.filter(refund_id__in=ids).order_by("created_at").values(*CREDIT_FIELDS)
    return {"refunds": refunds, "store_credit": list(credit)}


def _without_refund(row: Mapping[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in row.items() if key != "refund_id"}


def erase(*, email: str, customer: Customer | None) -> dict[str, int]:
    """Clear the free texts of every refund of the customer's orders, goodwill ones included."""
    if customer is None:
        return {}
    return _erase(Refund.objects.filter(order__customer=customer))


def erase_returns(return_ids: Iterable[int]) -> dict[str, int]:
    """Clear the free texts of the refunds of these returns."""
    return _erase(Refund.objects.filter(return_request_id__in=list(return_ids)))


def _erase(refunds: QuerySet[Refund]) -> dict[str, int]:
    RefundEvent.objects.filter(refund__in=refunds).exclude(note="").update(note="")
    # A provider's event as sent may name the shopper (Adyen's additionalData, a Klarna order's addresses).
    PaymentEvent.objects.filter(refund__in=refunds).update(payload={}, note="")
    texts = Q(reason__gt="") | Q(last_error__gt="")
    refunds.filter(texts).update(reason="", last_error="")
    return {"refunds": refunds.count()}
