"""The bookkeeping report: every refund paid in a period with its VAT per rate, streamed as CSV.

One query over the refunds paid, ordered by payment, each with its lines' VAT summed per Nordic rate
(and the other rates together) by the database; rows are formatted as they arrive, as tuples, and
only the totals (one per currency and rate) are kept, so a year of refunds streams in constant
memory, in a couple of seconds. Totals reconcile with the refunds to the cent: gross is the refund's
amount, VAT the sum of its lines' VAT, net the difference. The last columns say who paid it (the
payment provider, or manual, store_credit), its id there, and the provider's fee where it reported one
(empty where it did not: not the same as no fee).
"""

from __future__ import annotations

import csv
import datetime as dt
from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from itertools import chain, groupby
from operator import itemgetter
from typing import Any

from django.db.models import CharField, Q
from django.db.models.functions import Cast, TruncDate

from refunds.models import RefundLine, RefundState
from returns_portal.core.money import ZERO
from returns_portal.core.periods import Period

# The Nordic VAT rates (FI 25.5/14/10, SE 25/12/6, NO 25/15/12, DK 25), a column each.
NORDIC_RATES = [Decimal(rate) for rate in ("25.5", "25", "15", "14", "12", "10", "6", "0")]
HEADER = [
    "paid_on", "order", "return", "method", "currency", "gross",
    *[f"vat_{rate}" for rate in NORDIC_RATES], "vat_other", "net", "fees_kept", "store_credit_issued",
    "provider_reference", "provider", "provider_fee",
]  # fmt: skip


NO_AMOUNT = "0.00"


def cents(value: Decimal | None) -> str:
    """Money as the CSV writes it: two decimals, a dot (SQLite sums come back with more digits)."""
    return NO_AMOUNT if value is None else f"{value:.2f}"


@dataclass
class Totals:
    """Sums per currency, and VAT per currency and Nordic rate (the other rates together under None):
    the report's last rows."""

    gross: dict[str, Decimal] = field(default_factory=lambda: defaultdict(lambda: ZERO))
    vat: dict[tuple[str, Decimal | None], Decimal] = field(default_factory=lambda: defaultdict(lambda: ZERO))
    fees: dict[str, Decimal] = field(default_factory=lambda: defaultdict(lambda: ZERO))
    credit: dict[str, Decimal] = field(default_factory=lambda: defaultdict(lambda: ZERO))
    count: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    provider_fees: dict[str, Decimal] = field(default_factory=lambda: defaultdict(lambda: ZERO))


LINE_FIELDS = [
    "refund_id", "paid_on", "refund__order__number", "refund__return_request__number", "refund__method",
    "refund__currency", "refund__amount", "refund__store_credit__amount", "refund__provider_reference",
    "refund__provider", "refund__provider_fee", "vat_rate", "vat_amount", "amount",
]  # fmt: skip
RATES = [*NORDIC_RATES, None]  # None: every other rate
COLUMN = {rate: index for index, rate in enumerate(NORDIC_RATES)}
OTHER = len(NORDIC_RATES)


def _lines_paid(period: Period) -> Iterator[tuple[Any, ...]]:
    """The lines of the refunds paid in the period, each with its refund's columns, oldest refund first:
    one plain ordered read, no grouping (grouping in the database sorts the wide rows twice); the day is
    the database's (in UTC, as the report always gave it)."""
    paid = Q(refund__state=RefundState.SUCCEEDED, refund__paid_at__gte=period.start, refund__paid_at__lt=period.end)
    rows = (
        RefundLine.objects.filter(paid)
        .annotate(paid_on=Cast(TruncDate("refund__paid_at", tzinfo=dt.UTC), CharField()))
        .values_list(*LINE_FIELDS)
        .order_by("refund__paid_at", "refund_id")
    )
    return rows.iterator(chunk_size=5000)


def report_rows(period: Period, totals: Totals) -> Iterator[list[str]]:
    """One row per refund paid in the period, oldest first; fills `totals` as it goes."""
    for _refund, lines in groupby(_lines_paid(period), key=itemgetter(0)):
        _refund, paid_on, order, return_number, method, currency, gross, credit, reference, provider, fee, *_rest = (
            first
        ) = next(lines)
        vat: dict[int, Decimal] = defaultdict(lambda: ZERO)  # per column of RATES: a refund has a rate or two
        fees = ZERO
        for *_refund_columns, rate, amount, line_amount in chain((first,), lines):
            vat[COLUMN.get(rate, OTHER)] += amount
            if line_amount < 0:
                fees -= line_amount
        cells, vat_total = [NO_AMOUNT] * len(RATES), ZERO
        for column, amount in vat.items():
            if amount:
                cells[column] = cents(amount)
                totals.vat[currency, RATES[column]] += amount
                vat_total += amount
        totals.gross[currency] += gross
        totals.fees[currency] += fees
        totals.credit[currency] += credit or ZERO
        totals.count[currency] += 1
        totals.provider_fees[currency] += fee or ZERO
        yield [
            paid_on, order, return_number or "", method, currency, cents(gross), *cells, cents(gross - vat_total),
            cents(fees), cents(credit), reference, provider, "" if fee is None else cents(fee),
        ]  # fmt: skip


def total_rows(totals: Totals) -> Iterator[list[str]]:
    """Per currency: the sums, then per VAT rate its VAT."""
    for currency in sorted(totals.gross):
        vat = [totals.vat.get((currency, rate), ZERO) for rate in RATES]
        yield [
            "TOTAL", f"{totals.count[currency]} refunds", "", "", currency, cents(totals.gross[currency]),
            *[cents(amount) for amount in vat], cents(totals.gross[currency] - sum(vat, ZERO)),
            cents(totals.fees[currency]), cents(totals.credit[currency]), "", "", cents(totals.provider_fees[currency]),
        ]  # fmt: skip


class _Echo:
    """csv.writer writes to this and gets the line back, so rows can be streamed (Django's recipe)."""

    def write(self, value: str) -> str:
        return value


def report_csv(period: Period) -> Iterable[str]:
    writer = csv.writer(_Echo())
    totals = Totals()
    yield writer.writerow(HEADER)
    for row in report_rows(period, totals):
        yield writer.writerow(row)
    for row in total_rows(totals):
        yield writer.writerow(row)
