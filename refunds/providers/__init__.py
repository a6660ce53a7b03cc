"""Payment providers behind one small interface, chosen in settings by dotted path.

`REFUND_PROVIDERS` maps a refund method to a provider class. The services call
`refund()` outside any database transaction, always with the refund's
idempotency key: a provider must never pay the same key twice, so a retry after
a time-out is safe.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum
from typing import Protocol

from django.conf import settings
from django.utils.module_loading import import_string

DEFAULT_PROVIDERS = {
    "original_payment": "refunds.providers.manual.ManualProvider",
    "bank_transfer": "refunds.providers.manual.ManualProvider",
    "store_credit": "refunds.providers.store_credit.StoreCreditProvider",
}


class Outcome(StrEnum):
    SUCCEEDED = "succeeded"
    FAILED = "failed"
    WAITING = "waiting"  # accepted, the money moves later (or staff confirm it)


@dataclass(frozen=True)
class PayoutRequest:
    idempotency_key: str
    amount: Decimal
    currency: str
    order_number: str
    payment_method: str


@dataclass(frozen=True)
class PayoutResult:
    outcome: Outcome
    reference: str = ""
    error: str = ""


class ProviderTimeout(Exception):
    """No answer in time: the payout may or may not have happened; retry with the same key."""


class RefundProvider(Protocol):
    name: str

    def refund(self, request: PayoutRequest) -> PayoutResult: ...


def get_provider(method: str) -> RefundProvider:
    paths = {**DEFAULT_PROVIDERS, **getattr(settings, "REFUND_PROVIDERS", {})}
    provider_class: type[RefundProvider] = import_string(paths[method])
    return provider_class()
