"""The bookkeeping report: every refund paid in a period with its VAT per rate, streamed as CSV.

One query over the refund lines, grouped per refund and VAT rate, ordered by payment;
rows are built as they arrive and only the totals (one per currency and rate) are
kept, so a year of refunds streams in constant memory. Totals reconcile with the
refunds to the cent: gross is the refund's amount, VAT the sum of its lines' VAT,
net the difference.
"""

from __future__ import annotations

import csv
from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from itertools import groupby
from typing import Any

from django.db.models import Q, Sum

from refunds.models import RefundLine, RefundState
from returns_portal.core.money import ZERO
from returns_portal.core.periods import Period

# The Nordic VAT rates (FI 25.5/14/10, SE 25/12/6, NO 25/15/12, DK 25), a column each.
NORDIC_RATES = [Decimal(rate) for rate in ("25.5", "25", "15", "14", "12", "10", "6", "0")]
HEADER = [
    "paid_on", "order", "return", "method", "currency", "gross",
    *[f"vat_{rate}" for rate in NORDIC_RATES], "vat_other", "net", "fees_kept", "store_credit_issued",
    "provider_reference",
]  # fmt: skip


CENT = Decimal("0.01")


def cents(value: Decimal) -> str:
    """Money as the CSV writes it: two decimals, a dot (SQLite sums come back with more digits)."""
    return str(Decimal(value).quantize(CENT))


@dataclass
class Totals:
    """Sums per currency, and VAT per currency and rate: the report's last rows."""

    gross: dict[str, Decimal] = field(default_factory=lambda: defaultdict(lambda: ZERO))
    vat: dict[tuple[str, Decimal], Decimal] = field(default_factory=lambda: defaultdict(lambda: ZERO))
    fees: dict[str, Decimal] = field(default_factory=lambda: defaultdict(lambda: ZERO))
    credit: dict[str, Decimal] = field(default_factory=lambda: defaultdict(lambda: ZERO))
    count: dict[str, int] = field(default_factory=lambda: defaultdict(int))


REPORT_FIELDS = [
    "refund_id", "refund__paid_at", "refund__order__number", "refund__return_request__number", "refund__method",
    "refund__currency", "refund__amount", "refund__provider_reference", "refund__store_credit__amount", "vat_rate",
]  # fmt: skip


def _grouped_lines(period: Period) -> Iterator[Any]:
    paid = Q(refund__state=RefundState.SUCCEEDED, refund__paid_at__gte=period.start, refund__paid_at__lt=period.end)
    rows = (
        RefundLine.objects.filter(paid)
        .values(*REPORT_FIELDS)
        .annotate(vat=Sum("vat_amount"), fees=Sum("amount", filter=Q(amount__lt=0)))
        .order_by("refund__paid_at", "refund_id", "vat_rate")
    )
    return rows.iterator(chunk_size=2000)


def report_rows(period: Period, totals: Totals) -> Iterator[list[str]]:
    """One row per refund paid in the period, oldest first; fills `totals` as it goes."""
    for _refund, group in groupby(_grouped_lines(period), key=lambda row: row["refund_id"]):
        lines = list(group)  # one per VAT rate of this refund: a handful
        first = lines[0]
        currency, gross = first["refund__currency"], first["refund__amount"]
        vat = {line["vat_rate"]: line["vat"] for line in lines if line["vat"]}
        fees = -sum((line["fees"] or ZERO for line in lines), ZERO)
        credit = first["refund__store_credit__amount"] or ZERO
        other = sum((amount for rate, amount in vat.items() if rate not in NORDIC_RATES), ZERO)
        totals.gross[currency] += gross
        totals.fees[currency] += fees
        totals.credit[currency] += credit
        totals.count[currency] += 1
        for rate, amount in vat.items():
            totals.vat[currency, rate] += amount
        yield [
            first["refund__paid_at"].date().isoformat(),
            first["refund__order__number"],
            first["refund__return_request__number"] or "",
            first["refund__method"],
            currency,
            cents(gross),
            *[cents(vat.get(rate, ZERO)) for rate in NORDIC_RATES],
            cents(other),
            cents(gross - sum(vat.values(), ZERO)),
            cents(fees),
            cents(credit),
            first["refund__provider_reference"],
        ]


def total_rows(totals: Totals) -> Iterator[list[str]]:
    """Per currency: the sums, then per VAT rate its VAT."""
    for currency in sorted(totals.gross):
        vat = {rate: amount for (cur, rate), amount in totals.vat.items() if cur == currency}
        other = sum((amount for rate, amount in vat.items() if rate not in NORDIC_RATES), ZERO)
        yield [
            "TOTAL", f"{totals.count[currency]} refunds", "", "", currency, cents(totals.gross[currency]),
            *[cents(vat.get(rate, ZERO)) for rate in NORDIC_RATES], cents(other),
            cents(totals.gross[currency] - sum(vat.values(), ZERO)), cents(totals.fees[currency]),
            cents(totals.credit[currency]), "",
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
