"""What returns teach: return rates per product and category, reasons, trends, product flags, and
customers whose returns look unusual. Every figure is a grouped database query; Python only
combines the few grouped rows (one per product, category, reason or week). Units sold and returned
come from the rollups that `returns.rollups` keeps up to date, not from a year of order lines.

A period is a cohort of orders: "the return rate of March" is the units bought in March that came
back (in any later month), so a rate never mixes sales of one month with returns of another.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Count, Q, Sum

from returns import rollups
from returns.models import (
    VOID_STATES,
    Condition,
    OrderLine,
    ReturnLine,
    ReturnPolicy,
    ReturnReason,
    Variant,
)
from returns_portal.core.periods import Period

# A product is flagged when its rate is this many times its category's, with at least this many
# units back, and one reason explains at least this share of them.
FLAG_RATIO, FLAG_MIN_UNITS, FLAG_DOMINANT_SHARE = Decimal("1.5"), 5, Decimal("0.5")
# What to do about a product that keeps coming back for one reason, in plain words (for staff: English).
HINTS = {
    "too_small": "Often returned as too small: check the size guide, or say it runs small.",
    "too_big": "Often returned as too big: check the size guide, or say it runs large.",
    "not_as_described": "Often not as described: improve the description and the photos.",
    "defective": "Often defective: a quality problem; talk to the supplier.",
    "damaged": "Often damaged on arrival: check the packaging.",
    "wrong_item": "Often the wrong item sent: check picking and the SKU labels in the warehouse.",
    "arrived_late": "Often arrived too late: check delivery times for this product.",
    "changed_mind": "Often returned on second thought: check that price and photos set the right expectations.",
}
SUSPECT_CONDITIONS = (Condition.MISSING, Condition.WRONG_ITEM)


@dataclass(frozen=True)
class Rate:
    key: int
    name: str
    category: str
    sold: int
    returned: int

    @property
    def rate(self) -> Decimal:
        return Decimal(self.returned) / self.sold if self.sold else Decimal(0)


@dataclass(frozen=True)
class Flag:
    product: Rate
    category_rate: Decimal
    reason: str
    reason_label: str
    share: Decimal
    hint: str


@dataclass(frozen=True)
class Cohort:
    """Units sold and returned per product, category and reason for the orders of a period: read per
    variant (sold) and per variant and reason (returned) from the rollups, combined here."""

    products: list[Rate]
    categories: list[Rate]
    reasons: list[tuple[str, str, int]]  # code, label, units; most units first
    dominant: dict[int, tuple[str, int]]  # product id: its most frequent reason and that reason's units


def cohort(period: Period) -> Cohort:
    sold = rollups.units_sold(period)
    returned = rollups.units_returned(period)
    variants = {
        row[0]: row[1:]
        for row in Variant.objects.filter(pk__in=set(sold)).values_list(
            "pk", "product_id", "product__name", "product__category_id", "product__category__name"
        )
    }
    product_sold: dict[int, int] = defaultdict(int)
    category_sold: dict[int, int] = defaultdict(int)
    for variant, units in sold.items():
        product, _name, category, _category_name = variants[variant]
        product_sold[product] += units
        category_sold[category] += units
    product_back: dict[int, int] = defaultdict(int)
    category_back: dict[int, int] = defaultdict(int)
    by_reason: dict[str, int] = defaultdict(int)
    product_reason: dict[tuple[int, str], int] = defaultdict(int)
    for (variant, reason), units in returned.items():
        if variant not in variants:
            continue  # an exchange's replacement variant is never returned in the same cohort
        product, _name, category, _category_name = variants[variant]
        product_back[product] += units
        category_back[category] += units
        by_reason[reason] += units
        product_reason[product, reason] += units
    names = {product: (name, category_name) for product, name, _category, category_name in variants.values()}
    category_names = {category: name for _product, _name, category, name in variants.values()}
    products = sorted(
        (Rate(key, names[key][0], names[key][1], units, product_back[key]) for key, units in product_sold.items()),
        key=lambda rate: (-rate.returned, rate.name),
    )
    categories = sorted(
        (Rate(key, category_names[key], "", units, category_back[key]) for key, units in category_sold.items()),
        key=lambda rate: (-rate.rate, rate.name),
    )
    labels = {reason.code: reason.label() for reason in ReturnReason.objects.all()}
    reasons = sorted(((code, labels.get(code, code), units) for code, units in by_reason.items()), key=lambda r: -r[2])
    dominant: dict[int, tuple[str, int]] = {}
    for (product, reason), units in sorted(product_reason.items()):
        if units > dominant.get(product, ("", 0))[1]:
            dominant[product] = (reason, units)
    return Cohort(products, categories, reasons, dominant)


def product_rates(period: Period) -> list[Rate]:
    """Every product sold in the period with its units sold and returned, most returned first."""
    return cohort(period).products


def category_rates(period: Period) -> list[Rate]:
    return cohort(period).categories


def reasons(period: Period) -> list[tuple[str, str, int]]:
    """(code, label, units) per reason, most units first."""
    return cohort(period).reasons


def dominant_reasons(period: Period) -> dict[int, tuple[str, int]]:
    """Per product: its most frequent reason and that reason's units."""
    return cohort(period).dominant


def weekly_trend(period: Period) -> list[tuple[dt.date, int, int]]:
    """(week, returns, units) for returns requested in the period, week by week."""
    return rollups.weekly_requested(period)


def product_flags(period: Period, figures: Cohort | None = None) -> list[Flag]:
    """Products returned well above their category, mostly for one reason, with what to do about it."""
    figures = figures or cohort(period)
    categories = {rate.name: rate.rate for rate in figures.categories}
    labels = {code: label for code, label, _units in figures.reasons}
    flags = []
    for product in figures.products:
        category_rate = categories.get(product.category, Decimal(0))
        reason, units = figures.dominant.get(product.key, ("", 0))
        if product.returned < FLAG_MIN_UNITS or not category_rate or product.rate < category_rate * FLAG_RATIO:
            continue
        share = Decimal(units) / product.returned
        if share < FLAG_DOMINANT_SHARE or reason not in HINTS:
            continue
        flags.append(Flag(product, category_rate, reason, labels.get(reason, reason), share, HINTS[reason]))
    return flags


@dataclass(frozen=True)
class CustomerFlag:
    customer_id: int
    reasons: tuple[str, ...]


def customer_flags(customer_ids: list[int], *, now: dt.datetime) -> dict[int, CustomerFlag]:
    """Customers among `customer_ids` whose returns cross the policy's thresholds, and why. For staff
    to look at more closely, never to act on by themselves."""
    policy = ReturnPolicy.current()
    since = now - dt.timedelta(days=policy.abuse_period_days)
    bought = dict(
        OrderLine.objects.filter(order__customer_id__in=customer_ids, order__placed_at__gte=since)
        .filter(order__replacement_for__isnull=True)
        .values_list("order__customer_id")
        .annotate(units=Sum("quantity"))
        .values_list("order__customer_id", "units")
    )
    returned = (
        ReturnLine.objects.filter(
            return_request__order__customer_id__in=customer_ids, return_request__created_at__gte=since
        )
        .exclude(return_request__state__in=VOID_STATES)
        .values("return_request__order__customer_id")
        .annotate(
            returns=Count("return_request", distinct=True),
            units=Sum("quantity"),
            suspect=Count("id", filter=Q(condition__in=SUSPECT_CONDITIONS)),
        )
    )
    flags = {}
    for row in returned:
        customer = row["return_request__order__customer_id"]
        why = []
        if row["returns"] >= policy.abuse_max_returns:
            why.append(f"{row['returns']} returns in {policy.abuse_period_days} days")
        units_bought = bought.get(customer, 0)
        if units_bought >= 4 and Decimal(row["units"]) / units_bought * 100 >= policy.abuse_max_rate_percent:
            why.append(f"returned {row['units']} of {units_bought} units bought")
        if row["suspect"] >= 2:
            why.append(f"{row['suspect']} parcels empty or with another item")
        if why:
            flags[customer] = CustomerFlag(customer, tuple(why))
    return flags
