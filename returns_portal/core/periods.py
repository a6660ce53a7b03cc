"""A span of time that reports and dashboards are asked about: from ``start`` (included) to ``end``
(excluded), as aware datetimes, so the same period means the same rows in every query."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.utils import timezone


@dataclass(frozen=True)
class Period:
    start: dt.datetime
    end: dt.datetime


def last_days(days: int, *, now: dt.datetime | None = None) -> Period:
    now = now or timezone.now()
    return Period(now - dt.timedelta(days=days), now)
