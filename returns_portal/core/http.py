"""Small pieces of HTTP shared by the adapters that call carriers and payment providers."""

from __future__ import annotations

import datetime as dt
from email.utils import parsedate_to_datetime

from django.utils import timezone


def retry_after_seconds(value: str) -> float | None:
    """Seconds to wait from a Retry-After header's value, in either of its forms: a number of seconds or
    an HTTP date (RFC 9110 10.2.3). None when there is none or it cannot be read."""
    value = value.strip()
    if not value:
        return None
    try:
        return max(float(value), 0.0)
    except ValueError:
        pass
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=dt.UTC)
    return max((when - timezone.now()).total_seconds(), 0.0)
