"""Limits on order look-ups, so order numbers cannot be tried against e-mail addresses at speed.

Failed look-ups are counted per client address and per order number in the
cache (Redis in production, so all web machines share the counts).
"""

from __future__ import annotations

from django.core.cache import cache

MAX_FAILURES = 10
WINDOW_SECONDS = 15 * 60


def _keys(client: str, order_number: str) -> list[str]:
    return [f"lookup-fail:client:{client}", f"lookup-fail:order:{order_number.strip().upper()}"]


def lookup_blocked(*, client: str, order_number: str) -> bool:
    counts = cache.get_many(_keys(client, order_number))
    return any(count >= MAX_FAILURES for count in counts.values())


def lookup_failed(*, client: str, order_number: str) -> None:
    for key in _keys(client, order_number):
        if cache.add(key, 1, WINDOW_SECONDS):
            continue  # first failure opens the window
        try:
            cache.incr(key)
        except ValueError:  # expired between add and incr
            cache.add(key, 1, WINDOW_SECONDS)
