"""Eligibility as pure functions: which units of an order can still be returned, and if not, why.

Everything here takes plain data (dates, ints, frozen dataclasses) and returns
plain data, so it is tested without a database and property-tested with
hypothesis. ``returns.selectors.order_eligibility`` feeds it from the models.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field
from enum import StrEnum

from django.utils.translation import gettext as _

from returns_portal.core.l10n import format_day

MonthDay = tuple[int, int]


class Ineligible(StrEnum):
    FINAL_SALE = "final_sale"
    NOT_DELIVERED = "not_delivered"
    WINDOW_CLOSED = "window_closed"
    ALREADY_RETURNED = "already_returned"


def _on(year: int, month_day: MonthDay) -> dt.date:
    """The month-day in `year`; 29 February falls back to the 28th in common years."""
    month, day = month_day
    if (month, day) == (2, 29) and not _is_leap(year):
        day = 28
    return dt.date(year, month, day)


def _is_leap(year: int) -> bool:
    return year % 4 == 0 and (year % 100 != 0 or year % 400 == 0)


@dataclass(frozen=True)
class ExtensionRule:
    """Bought between two month-days (the span may cross New Year): returnable until a month-day."""

    bought_from: MonthDay
    bought_to: MonthDay
    returnable_until: MonthDay

    def __post_init__(self) -> None:
        for name in ("bought_from", "bought_to", "returnable_until"):
            month, day = getattr(self, name)
            try:
                dt.date(2000, month, day)  # a leap year, so 29 February is a real day
            except (ValueError, TypeError):
                raise ValueError(f"{name.replace('_', ' ')}: {month}-{day} is not a day of the year") from None

    def deadline_for(self, bought: dt.date) -> dt.date | None:
        """The extended deadline when `bought` falls in the span, else None."""
        crosses_new_year = self.bought_from > self.bought_to
        start_year = (
            bought.year - 1 if crosses_new_year and bought < _on(bought.year, self.bought_from) else bought.year
        )
        start = _on(start_year, self.bought_from)
        end = _on(start_year + 1 if crosses_new_year else start_year, self.bought_to)
        if not start <= bought <= end:
            return None
        until = _on(end.year, self.returnable_until)
        return until if until >= end else _on(end.year + 1, self.returnable_until)


@dataclass(frozen=True)
class PolicyRules:
    window_days: int
    extensions: tuple[ExtensionRule, ...] = ()
    non_returnable_categories: frozenset[int] = field(default_factory=frozenset)
    non_returnable_products: frozenset[int] = field(default_factory=frozenset)


@dataclass(frozen=True)
class LineFacts:
    line_id: int
    product_id: int
    category_id: int
    product_returnable: bool
    quantity: int
    already_returned: int = 0


@dataclass(frozen=True)
class OrderFacts:
    placed_on: dt.date
    delivered_on: dt.date | None
    lines: tuple[LineFacts, ...]


@dataclass(frozen=True)
class LineEligibility:
    line_id: int
    returnable_quantity: int
    reason: Ineligible | None
    deadline: dt.date | None

    @property
    def eligible(self) -> bool:
        return self.returnable_quantity > 0


def return_deadline(order: OrderFacts, rules: PolicyRules) -> dt.date | None:
    """Last day a return may be started: the window after delivery, or a seasonal date if later."""
    if order.delivered_on is None:
        return None
    deadlines = [order.delivered_on + dt.timedelta(days=rules.window_days)]
    deadlines += [d for rule in rules.extensions if (d := rule.deadline_for(order.placed_on)) is not None]
    return max(deadlines)


def is_final_sale(line: LineFacts, rules: PolicyRules) -> bool:
    return (
        not line.product_returnable
        or line.product_id in rules.non_returnable_products
        or line.category_id in rules.non_returnable_categories
    )


def line_eligibility(line: LineFacts, order: OrderFacts, rules: PolicyRules, today: dt.date) -> LineEligibility:
    deadline = return_deadline(order, rules)
    left = max(0, line.quantity - line.already_returned)
    reason: Ineligible | None = None
    if is_final_sale(line, rules):
        reason = Ineligible.FINAL_SALE
    elif deadline is None:
        reason = Ineligible.NOT_DELIVERED
    elif today > deadline:
        reason = Ineligible.WINDOW_CLOSED
    elif left == 0:
        reason = Ineligible.ALREADY_RETURNED
    return LineEligibility(line.line_id, 0 if reason else left, reason, deadline)


def eligibility(order: OrderFacts, rules: PolicyRules, today: dt.date) -> dict[int, LineEligibility]:
    """Per order line: how many units can still be returned, and why none can."""
    return {line.line_id: line_eligibility(line, order, rules, today) for line in order.lines}


def anything_returnable(results: Iterable[LineEligibility]) -> bool:
    return any(result.eligible for result in results)


def ineligibility_text(result: LineEligibility) -> str:
    """Why a line cannot be returned, in plain words and the active language."""
    if result.reason is Ineligible.FINAL_SALE:
        return _("This item cannot be returned: it is sold as final sale or for hygiene reasons.")
    if result.reason is Ineligible.NOT_DELIVERED:
        return _("This item has not been delivered yet. You can return it once it has arrived.")
    if result.reason is Ineligible.WINDOW_CLOSED and result.deadline is not None:
        return _("The return period for this item ended on %(date)s.") % {"date": format_day(result.deadline)}
    if result.reason is Ineligible.ALREADY_RETURNED:
        return _("This item has already been returned.")
    return ""
