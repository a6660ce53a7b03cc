"""Eligibility rules: pure functions, no database."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given
from hypothesis import strategies as st

from returns.policy import (
    ExtensionRule,
    Ineligible,
    LineFacts,
    OrderFacts,
    PolicyRules,
    eligibility,
    ineligibility_text,
    return_deadline,
)

CHRISTMAS = ExtensionRule(bought_from=(11, 15), bought_to=(12, 24), returnable_until=(1, 31))
RULES = PolicyRules(window_days=30, extensions=(CHRISTMAS,))


def line(line_id: int = 1, quantity: int = 2, already_returned: int = 0, **kwargs: object) -> LineFacts:
    facts = {"product_id": 10, "category_id": 20, "product_returnable": True} | kwargs
    return LineFacts(line_id=line_id, quantity=quantity, already_returned=already_returned, **facts)


def order(placed: dt.date, delivered: dt.date | None, *lines: LineFacts) -> OrderFacts:
    return OrderFacts(placed_on=placed, delivered_on=delivered, lines=lines or (line(),))


def test_window_counts_from_delivery_and_includes_the_last_day() -> None:
    facts = order(dt.date(2026, 3, 1), dt.date(2026, 3, 4))
    assert eligibility(facts, RULES, dt.date(2026, 4, 3))[1].returnable_quantity == 2
    closed = eligibility(facts, RULES, dt.date(2026, 4, 4))[1]
    assert (closed.returnable_quantity, closed.reason, closed.deadline) == (
        0,
        Ineligible.WINDOW_CLOSED,
        dt.date(2026, 4, 3),
    )


def test_christmas_purchase_is_returnable_until_31_january() -> None:
    facts = order(dt.date(2026, 11, 20), dt.date(2026, 11, 22))
    assert return_deadline(facts, RULES) == dt.date(2027, 1, 31)
    assert eligibility(facts, RULES, dt.date(2027, 1, 31))[1].eligible
    assert not eligibility(facts, RULES, dt.date(2027, 2, 1))[1].eligible


def test_extension_never_shortens_the_normal_window() -> None:
    facts = order(dt.date(2026, 12, 24), dt.date(2027, 1, 10))
    assert return_deadline(facts, RULES) == dt.date(2027, 2, 9)


def test_purchase_outside_the_season_gets_the_normal_window() -> None:
    facts = order(dt.date(2026, 12, 25), dt.date(2026, 12, 28))
    assert return_deadline(facts, RULES) == dt.date(2027, 1, 27)


def test_season_spanning_new_year_applies_to_january_purchases() -> None:
    sale = ExtensionRule(bought_from=(12, 27), bought_to=(1, 6), returnable_until=(2, 28))
    rules = PolicyRules(window_days=14, extensions=(sale,))
    assert return_deadline(order(dt.date(2027, 1, 3), dt.date(2027, 1, 5)), rules) == dt.date(2027, 2, 28)
    assert return_deadline(order(dt.date(2026, 12, 28), dt.date(2026, 12, 30)), rules) == dt.date(2027, 2, 28)


def test_extension_rule_refuses_a_day_that_does_not_exist() -> None:
    with pytest.raises(ValueError, match="returnable until: 2-30"):
        ExtensionRule(bought_from=(11, 15), bought_to=(12, 24), returnable_until=(2, 30))


def test_not_delivered_yet() -> None:
    result = eligibility(order(dt.date(2026, 3, 1), None), RULES, dt.date(2026, 3, 2))[1]
    assert (result.returnable_quantity, result.reason) == (0, Ineligible.NOT_DELIVERED)


@pytest.mark.parametrize(
    ("facts", "rules"),
    [
        (line(product_returnable=False), RULES),
        (line(product_id=7), PolicyRules(window_days=30, non_returnable_products=frozenset({7}))),
        (line(category_id=9), PolicyRules(window_days=30, non_returnable_categories=frozenset({9}))),
    ],
)
def test_final_sale_by_product_flag_policy_product_or_category(facts: LineFacts, rules: PolicyRules) -> None:
    result = eligibility(order(dt.date(2026, 3, 1), dt.date(2026, 3, 2), facts), rules, dt.date(2026, 3, 3))
    assert result[facts.line_id].reason is Ineligible.FINAL_SALE


def test_already_returned_units_are_not_returnable_again() -> None:
    facts = order(dt.date(2026, 3, 1), dt.date(2026, 3, 2), line(1, quantity=3, already_returned=1), line(2, 1, 1))
    result = eligibility(facts, RULES, dt.date(2026, 3, 3))
    assert result[1].returnable_quantity == 2
    assert (result[2].returnable_quantity, result[2].reason) == (0, Ineligible.ALREADY_RETURNED)


def test_reasons_are_explained_in_the_customers_language() -> None:
    from django.utils import translation

    closed = eligibility(order(dt.date(2026, 1, 1), dt.date(2026, 1, 2)), RULES, dt.date(2026, 6, 1))[1]
    with translation.override("en"):
        assert ineligibility_text(closed) == "The return period for this item ended on 1 February 2026."


days = st.dates(min_value=dt.date(2020, 1, 1), max_value=dt.date(2035, 12, 31))
extensions = st.builds(
    ExtensionRule,
    bought_from=st.tuples(st.integers(1, 12), st.integers(1, 28)),
    bought_to=st.tuples(st.integers(1, 12), st.integers(1, 28)),
    returnable_until=st.tuples(st.integers(1, 12), st.integers(1, 28)),
)
rules_strategy = st.builds(
    PolicyRules,
    window_days=st.integers(14, 365),
    extensions=st.lists(extensions, max_size=2).map(tuple),
    non_returnable_categories=st.frozensets(st.integers(1, 5), max_size=2),
    non_returnable_products=st.frozensets(st.integers(1, 5), max_size=2),
)
line_strategy = st.builds(
    LineFacts,
    line_id=st.integers(1, 10**6),
    product_id=st.integers(1, 5),
    category_id=st.integers(1, 5),
    product_returnable=st.booleans(),
    quantity=st.integers(1, 50),
    already_returned=st.integers(0, 60),
)


@given(
    placed=days,
    delivery_delay=st.one_of(st.none(), st.integers(0, 60)),
    lines=st.lists(line_strategy, min_size=1, max_size=8, unique_by=lambda facts: facts.line_id),
    rules=rules_strategy,
    today=days,
)
def test_returnable_quantity_is_never_negative_nor_more_than_bought_minus_returned(
    placed: dt.date, delivery_delay: int | None, lines: list[LineFacts], rules: PolicyRules, today: dt.date
) -> None:
    delivered = None if delivery_delay is None else placed + dt.timedelta(days=delivery_delay)
    facts = OrderFacts(placed_on=placed, delivered_on=delivered, lines=tuple(lines))
    results = eligibility(facts, rules, today)
    assert set(results) == {facts_line.line_id for facts_line in lines}
    for facts_line in lines:
        result = results[facts_line.line_id]
        assert 0 <= result.returnable_quantity <= max(0, facts_line.quantity - facts_line.already_returned)
        assert (result.returnable_quantity == 0) == (result.reason is not None)


@given(placed=days, delay=st.integers(0, 60), rules=rules_strategy)
def test_deadline_is_never_before_the_normal_window(placed: dt.date, delay: int, rules: PolicyRules) -> None:
    delivered = placed + dt.timedelta(days=delay)
    facts = OrderFacts(placed_on=placed, delivered_on=delivered, lines=(line(),))
    deadline = return_deadline(facts, rules)
    assert deadline is not None
    assert deadline >= delivered + dt.timedelta(days=rules.window_days)
