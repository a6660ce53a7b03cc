"""Amounts and days written the customer's way, in templates."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django import template
from django.utils import timezone

from returns_portal.core.l10n import format_day, format_money

register = template.Library()


@register.filter
def money(amount: Decimal, currency: str) -> str:
    return format_money(amount, currency)


@register.filter
def day(value: dt.date | dt.datetime) -> str:
    return format_day(timezone.localdate(value) if isinstance(value, dt.datetime) else value)
