"""Dates and amounts written the customer's way: one helper each, used by pages, PDFs and e-mails."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from functools import lru_cache

from babel.dates import format_date, format_skeleton
from babel.numbers import format_currency, format_decimal
from django.utils import translation

from returns_portal.core.money import round_money

# Babel locales for the portal's languages (Django says "nb", Babel "nb_NO").
BABEL_LOCALES = {"en": "en_IE", "sv": "sv_SE", "fi": "fi_FI", "nb": "nb_NO", "da": "da_DK"}


def _locale(language: str | None) -> str:
    language = (language or translation.get_language() or "en")[:2]
    return BABEL_LOCALES.get("nb" if language == "no" else language, "en_IE")


def format_money(amount: Decimal, currency: str, language: str | None = None) -> str:
    """``1 234,50 kr`` in Swedish, ``€1,234.50`` in English."""
    return _money(round_money(amount, currency), currency, _locale(language))


def format_day(day: dt.date, language: str | None = None) -> str:
    """``23 november 2026`` in Swedish, ``23 November 2026`` in English."""
    return _day(day, _locale(language))


# Babel parses its locale patterns on every call; pages repeat the same few amounts and days.
@lru_cache(maxsize=4096)
def _money(amount: Decimal, currency: str, locale: str) -> str:
    return format_currency(amount, currency, locale=locale)


@lru_cache(maxsize=4096)
def _day(day: dt.date, locale: str) -> str:
    return format_date(day, format="long", locale=locale)


def format_number(value: Decimal, language: str | None = None) -> str:
    """``12,5`` in Swedish, ``10`` rather than ``10.00`` or ``1E+1``: percentages and counts in prose."""
    return format_decimal(value, locale=_locale(language))


def format_month_day(month: int, day: int, language: str | None = None) -> str:
    """``24 december`` in Swedish, ``24 December`` in English: a yearly date without its year."""
    return format_skeleton("MMMMd", dt.date(2000, month, day), locale=_locale(language))
