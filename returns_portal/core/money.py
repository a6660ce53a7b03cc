"""Money: ``Decimal`` amounts in one of the shop's currencies, rounded in one place.

Every amount that is stored or shown goes through :func:`round_money`; sums
that must be split over lines (an order discount pro-rated over its lines, a
fee over a refund's lines) go through :func:`allocate`, which never loses or
invents a minor unit.
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import ROUND_HALF_UP, Decimal

from django.db import models
from django.utils.translation import gettext_lazy as _


class Currency(models.TextChoices):
    SEK = "SEK", _("Swedish krona")
    EUR = "EUR", _("Euro")
    NOK = "NOK", _("Norwegian krone")
    DKK = "DKK", _("Danish krone")


# Minor units per currency (ISO 4217). All four have two decimals today; the
# table is here so that adding, say, ISK (zero decimals) changes one line.
MINOR_UNITS = {Currency.SEK: 2, Currency.EUR: 2, Currency.NOK: 2, Currency.DKK: 2}

ZERO = Decimal("0")

# Money columns: large enough for any order, exact to the minor unit.
MONEY_DIGITS = 12
MONEY_PLACES = 2


# ISO 4217 exponents of the currencies that are not two-decimal, for amounts sent to payment providers,
# which count in minor units ("ore", "cents"): a currency not named here has two decimals.
_ZERO_DECIMALS = ("BIF", "CLP", "DJF", "GNF", "ISK", "JPY", "KMF", "KRW", "PYG", "RWF", "UGX", "UYI", "VND")
ISO_4217_EXPONENTS = {
    **dict.fromkeys((*_ZERO_DECIMALS, "VUV", "XAF", "XOF", "XPF"), 0),
    **dict.fromkeys(("BHD", "IQD", "JOD", "KWD", "LYD", "OMR", "TND"), 3),
    **dict.fromkeys(("CLF", "UYW"), 4),
}


def minor_unit_exponent(currency: str) -> int:
    return ISO_4217_EXPONENTS.get(currency.upper(), 2)


def to_minor_units(amount: Decimal, currency: str) -> int:
    """The amount as a whole number of the currency's minor units (SEK 12.50 -> 1250, ISK 500 -> 500).

    Refuses an amount finer than the minor unit rather than round it: money sent to a
    provider must be exactly the amount that was decided and stored.
    """
    scaled = Decimal(amount).scaleb(minor_unit_exponent(currency))
    if scaled != scaled.to_integral_value():
        raise ValueError(f"{amount} {currency} is not a whole number of minor units")
    return int(scaled)


def from_minor_units(value: int, currency: str) -> Decimal:
    """A provider's minor units as an amount (1250 SEK -> Decimal("12.50"), 1250 KWD -> Decimal("1.250"))."""
    exponent = minor_unit_exponent(currency)
    return Decimal(value).scaleb(-exponent).quantize(Decimal(1).scaleb(-exponent))


def quantum(currency: str) -> Decimal:
    return Decimal(1).scaleb(-MINOR_UNITS[Currency(currency)])


def round_money(amount: Decimal | int | str, currency: str) -> Decimal:
    """Round to the currency's minor unit, half away from zero (as shops and banks do)."""
    return Decimal(amount).quantize(quantum(currency), rounding=ROUND_HALF_UP)


def allocate(total: Decimal, weights: Sequence[Decimal], currency: str) -> list[Decimal]:
    """Split ``total`` over ``weights`` proportionally; the parts add up to ``total`` exactly.

    Largest-remainder method: every part is rounded down to the minor unit, then
    the minor units left over go to the parts that lost the most to rounding.
    """
    total = round_money(total, currency)
    weight_sum = sum(weights, ZERO)
    if not weights:
        return []
    if weight_sum == 0:
        return [total] + [round_money(0, currency)] * (len(weights) - 1)
    unit = quantum(currency)
    sign = 1 if total >= 0 else -1
    exact = [abs(total) * w / weight_sum for w in weights]
    parts = [(e // unit) * unit for e in exact]
    leftover = int((abs(total) - sum(parts, ZERO)) / unit)
    by_remainder = sorted(range(len(weights)), key=lambda i: exact[i] - parts[i], reverse=True)
    for i in by_remainder[:leftover]:
        parts[i] += unit
    return [round_money(sign * p, currency) for p in parts]
