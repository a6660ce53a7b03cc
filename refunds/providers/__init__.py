"""Payment providers behind one small interface, chosen in settings by dotted path.

`REFUND_PROVIDERS` maps a refund method to a provider class; a refund to the original payment of an
order paid through Klarna, Adyen or Stripe goes to that provider instead (`PAYMENT_PROVIDERS`, by
the order's `payment_provider`). The services call
`refund()` outside any database transaction, always with the refund's
idempotency key: a provider must never pay the same key twice, so a retry after
a time-out is safe.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
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
    WAITING = "waiting"  # accepted, the money moves later (a webhook confirms it, or staff do)


@dataclass(frozen=True)
class PayoutLine:
    """One line of what is paid back, as Klarna reconciles invoices: by line, with VAT."""

    kind: str  # refunds.models.RefundLineKind: item, return_fee, restocking_fee, shipping, goodwill
    reference: str  # the SKU for items, the kind otherwise
    name: str
    quantity: int  # units for items, 1 otherwise
    total_amount: Decimal  # signed: fees taken are negative
    vat_rate: Decimal  # percent, e.g. 25
    vat_amount: Decimal


@dataclass(frozen=True)
class PayoutRequest:
    idempotency_key: str
    amount: Decimal
    currency: str
    order_number: str
    payment_method: str
    payment_reference: str = ""  # Klarna's order id, Adyen's PSP reference, Stripe's PaymentIntent id
    lines: tuple[PayoutLine, ...] = ()
    description: str = ""  # e.g. "Return R-7K3P9QX", shown to the customer where the provider shows one


@dataclass(frozen=True)
class PayoutResult:
    outcome: Outcome
    reference: str = ""  # the provider's refund id
    error: str = ""  # the provider's reason, for staff, when it failed
    fee: Decimal | None = None  # what the provider charged for the refund, when it says


@dataclass(frozen=True)
class ProviderEvent:
    """A provider's webhook notification about a refund, verified and read."""

    event_id: str  # unique per provider and event: one seen twice changes nothing again
    kind: str  # the provider's own event name, e.g. "REFUND", "charge.refund.updated"
    outcome: Outcome | None  # None: an event that does not settle a refund (acknowledged and logged)
    refund_reference: str = ""  # the provider's refund id
    idempotency_key: str = ""  # our reference, when the provider echoes it
    error: str = ""
    fee: Decimal | None = None
    at: dt.datetime | None = None


class ProviderTimeout(Exception):
    """No answer in time: the payout may or may not have happened; retry with the same key."""


class ProviderUnavailable(Exception):
    """5xx, 429, a conflict still being processed, or refused credentials: nothing was decided; try again
    later with the same key (`retry_after` seconds, if the provider said)."""

    def __init__(self, message: str, *, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.retry_after = retry_after


class BadSignature(Exception):
    """A webhook whose signature does not verify: answer 400, change nothing."""


class RefundProvider(Protocol):
    name: str

    def refund(self, request: PayoutRequest) -> PayoutResult: ...


class ConnectedProvider(RefundProvider, Protocol):
    """A payment provider reached over the internet (Klarna, Adyen, Stripe): it also answers
    webhooks, questions about a refund left processing, and `provider_check`."""

    def refund_status(self, *, reference: str, request: PayoutRequest) -> PayoutResult:
        """What became of a refund asked for earlier (`reference` is the provider's refund id, "" if
        its answer was lost): WAITING while it is still under way."""
        ...

    def parse_webhook(self, *, headers: Mapping[str, str], body: bytes) -> list[ProviderEvent]:
        """The verified events of one webhook request; raises BadSignature."""
        ...

    def webhook_answer(self) -> tuple[int, str, str]:
        """(status, content type, body) the provider expects back for a webhook it sent."""
        ...

    def check(self) -> list[str]:
        """What works, one line each, for `provider_check`; raises ProviderUnavailable when it does not."""
        ...


def connected_key(method: str, payment_provider: str = "") -> str:
    """The payment provider (a key of PAYMENT_PROVIDERS) that pays a refund by `method` of an order paid
    through `payment_provider`, or "" when the refund goes the way REFUND_PROVIDERS says: only money back
    to the original payment goes through the provider that took it (a Klarna invoice included)."""
    if method == "original_payment" and payment_provider:
        return payment_provider
    return ""


def get_provider(method: str, payment_provider: str = "") -> RefundProvider:
    """The provider that pays a refund by `method` of an order paid through `payment_provider` (see
    `connected_key`); any other refund goes to REFUND_PROVIDERS' choice for its method."""
    if key := connected_key(method, payment_provider):
        return get_connected_provider(key)
    paths = {**DEFAULT_PROVIDERS, **getattr(settings, "REFUND_PROVIDERS", {})}
    provider_class: type[RefundProvider] = import_string(paths[method])
    return provider_class()


def get_connected_provider(key: str) -> ConnectedProvider:
    """The adapter of a payment provider by its key in PAYMENT_PROVIDERS; KeyError for another key."""
    provider_class: type[ConnectedProvider] = import_string(settings.PAYMENT_PROVIDERS[key])
    return provider_class()
