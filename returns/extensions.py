"""Extension points: what apps above `returns` add to its pages, registered from their `AppConfig.ready()`.

`returns` sits at the bottom of the apps and must not read their models, yet its pages show what
they did: the customer's status page shows the money paid back, and the order in the admin links to
the refunds app's goodwill page. So `returns` defines the plain data it can show and a place to
register the functions that answer it; with nothing registered (returns alone) the pages show no
payouts and no extra links.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum
from typing import TYPE_CHECKING, Generic, TypeVar

if TYPE_CHECKING:
    from returns.models import Order, ReturnRequest


class PayoutKind(StrEnum):
    MONEY = "money"
    STORE_CREDIT = "store_credit"  # paid out as a code to spend in the shop, not as money


class PayoutState(StrEnum):
    """Where a payout is; the status page's wording and its CSS class (`refund-<state>`) follow it."""

    PENDING = "pending"
    PROCESSING = "processing"
    SUCCEEDED = "succeeded"
    FAILED = "failed"  # did not go through yet: it is tried again


@dataclass(frozen=True)
class IssuedCredit:
    """A store credit code the customer can spend; `amount` includes the `bonus`."""

    code: str
    amount: Decimal
    bonus: Decimal
    currency: str
    expires_on: dt.date


@dataclass(frozen=True)
class Payout:
    """What goes back to the customer for a return, as their status page tells it."""

    kind: PayoutKind
    state: PayoutState
    amount: Decimal
    currency: str
    due_on: dt.date
    paid_at: dt.datetime | None = None
    credit: IssuedCredit | None = None  # the code a store credit payout issued, once issued


@dataclass(frozen=True)
class AdminLink:
    label: str
    url: str


F = TypeVar("F", bound=Callable[..., object])


class Hooks(Generic[F]):
    """Functions registered by apps above, called in the order they were registered.

    Registering the same function again (a second `ready()` in tests) changes nothing.
    """

    def __init__(self) -> None:
        self._functions: list[F] = []

    def register(self, function: F) -> F:
        if function not in self._functions:
            self._functions.append(function)
        return function

    def __iter__(self) -> Iterator[F]:
        return iter(tuple(self._functions))


PayoutSource = Callable[["ReturnRequest"], list[Payout]]
OrderLinkSource = Callable[["Order"], list[AdminLink]]

# Each answers in a constant number of queries: the status page's query count must not grow with its data.
payout_sources: Hooks[PayoutSource] = Hooks()
order_admin_links: Hooks[OrderLinkSource] = Hooks()


def payouts_of(return_request: ReturnRequest) -> list[Payout]:
    """The return's payouts, newest first, from every registered source."""
    return [payout for source in payout_sources for payout in source(return_request)]


def admin_links_of(order: Order) -> list[AdminLink]:
    """Links to other apps' admin pages about this order, shown with it in the admin."""
    return [link for source in order_admin_links for link in source(order)]
