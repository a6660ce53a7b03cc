"""Amounts as providers count them: whole minor units of the currency, by its ISO 4217 exponent."""

from __future__ import annotations

from decimal import Decimal

import pytest

from returns_portal.core.money import from_minor_units, to_minor_units


@pytest.mark.parametrize(
    ("amount", "currency", "minor"),
    [
        (Decimal("949.00"), "SEK", 94900),
        (Decimal("12.5"), "EUR", 1250),
        (Decimal("-49.00"), "NOK", -4900),
        (Decimal("0.01"), "DKK", 1),
        (Decimal("500"), "ISK", 500),  # no decimals
        (Decimal("1500"), "JPY", 1500),
        (Decimal("1.250"), "KWD", 1250),  # three decimals
        (Decimal("3.5"), "BHD", 3500),
    ],
)
def test_amounts_go_to_minor_units_and_come_back_the_same(amount: Decimal, currency: str, minor: int) -> None:
    assert to_minor_units(amount, currency) == minor
    assert from_minor_units(minor, currency) == amount


def test_an_amount_finer_than_the_minor_unit_is_refused_rather_than_rounded() -> None:
    with pytest.raises(ValueError, match="not a whole number of minor units"):
        to_minor_units(Decimal("10.005"), "SEK")
    with pytest.raises(ValueError, match=r"10\.5 ISK"):
        to_minor_units(Decimal("10.5"), "ISK")


def test_minor_units_come_back_with_the_currencys_decimals() -> None:
    assert str(from_minor_units(94900, "SEK")) == "949.00"
    assert str(from_minor_units(1250, "KWD")) == "1.250"
    assert str(from_minor_units(500, "ISK")) == "500"
