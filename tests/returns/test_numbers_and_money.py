"""Return numbers and money: pure helpers, no database."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from returns.numbers import ALPHABET, check_character, new_return_number, normalize_return_number
from returns_portal.core.l10n import format_money
from returns_portal.core.money import allocate, round_money


def test_new_numbers_are_valid_and_read_back_from_sloppy_typing() -> None:
    number = new_return_number()
    assert number.startswith("R-") and len(number) == 9
    assert normalize_return_number(number) == number
    assert normalize_return_number(" " + number.lower().replace("-", " ") + "\n") == number
    assert normalize_return_number(number[2:]) == number  # typed without the prefix


@given(st.text(alphabet=ALPHABET, min_size=6, max_size=6), st.integers(0, 6), st.sampled_from(ALPHABET))
def test_one_mistyped_character_is_always_caught(body: str, position: int, wrong: str) -> None:
    chars = list(body + check_character(body))
    if chars[position] == wrong:
        return
    chars[position] = wrong
    assert normalize_return_number("".join(chars)) is None


@given(st.text(alphabet=ALPHABET, min_size=6, max_size=6), st.integers(0, 5))
def test_two_swapped_neighbours_are_always_caught(body: str, position: int) -> None:
    chars = list(body + check_character(body))
    if chars[position] == chars[position + 1]:
        return
    chars[position], chars[position + 1] = chars[position + 1], chars[position]
    assert normalize_return_number("".join(chars)) is None


@pytest.mark.parametrize("text", ["", "R-", "R-ABC", "R-0000000", "R-ABCDEFGI", "hello world"])
def test_garbage_is_not_a_return_number(text: str) -> None:
    assert normalize_return_number(text) is None


def test_rounding_is_half_up_to_the_minor_unit() -> None:
    assert round_money(Decimal("10.005"), "SEK") == Decimal("10.01")
    assert round_money(Decimal("-10.005"), "EUR") == Decimal("-10.01")
    assert round_money(Decimal("7"), "DKK") == Decimal("7.00")


def test_allocate_splits_a_discount_without_losing_a_cent() -> None:
    assert allocate(Decimal("100.00"), [Decimal(1)] * 3, "SEK") == [
        Decimal("33.34"),
        Decimal("33.33"),
        Decimal("33.33"),
    ]


@given(
    st.decimals(min_value=-10000, max_value=10000, places=2),
    st.lists(st.decimals(min_value=0, max_value=5000, places=2), min_size=1, max_size=20),
)
def test_allocated_parts_add_up_exactly_and_stay_within_a_cent_of_fair(total: Decimal, weights: list[Decimal]) -> None:
    parts = allocate(total, weights, "EUR")
    assert sum(parts, Decimal(0)) == total
    weight_sum = sum(weights, Decimal(0))
    if weight_sum:
        for part, weight in zip(parts, weights, strict=True):
            assert abs(part - total * weight / weight_sum) < Decimal("0.01")


@pytest.mark.parametrize(
    ("language", "currency", "expected"),
    [
        ("sv", "SEK", "1\xa0234,50\xa0kr"),
        ("fi", "EUR", "1\xa0234,50\xa0€"),
        ("nb", "NOK", "1\xa0234,50\xa0kr"),
        ("da", "DKK", "1.234,50\xa0kr."),
        ("en", "EUR", "€1,234.50"),
    ],
)
def test_amounts_are_written_the_customers_way(language: str, currency: str, expected: str) -> None:
    assert format_money(Decimal("1234.5"), currency, language).replace("\u202f", "\xa0") == expected
