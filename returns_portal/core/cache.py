"""The cache on Redis, forgiving a Redis outage.

Everything the portal keeps in the cache (rendered pages, the current policy, look-up counts)
can be had without it, so while Redis restarts a cache call answers as a miss or a no-op and the
page is rendered from the database, instead of a 500. What that costs for a few seconds: pages
are rendered afresh, and failed order look-ups are not counted. A forgotten key that could not
be deleted then is gone anyway when Redis comes back empty; a Redis that keeps its data across a
restart may serve such a page until it expires (`pagecache.PAGE_SECONDS`).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from typing import Any, TypeVar

from django.core.cache.backends.base import DEFAULT_TIMEOUT
from django.core.cache.backends.redis import RedisCache
from redis.exceptions import RedisError

log = logging.getLogger(__name__)
T = TypeVar("T")


def _forgiving(call: Callable[[], T], fallback: T, what: str) -> T:
    """`call()`, or `fallback` when Redis cannot be reached (one log line, no traceback: it is expected)."""
    try:
        return call()
    except (RedisError, OSError) as error:
        log.warning("Cache %s skipped, Redis unavailable: %s: %s", what, error.__class__.__name__, error)
        return fallback


class ForgivingRedisCache(RedisCache):
    """Django's Redis cache, where an unreachable Redis is a cache miss (reads) or nothing done (writes)."""

    def get(self, key: Any, default: Any = None, version: int | None = None) -> Any:
        return _forgiving(lambda: super(ForgivingRedisCache, self).get(key, default, version), default, "get")

    def get_many(self, keys: Iterable[Any], version: int | None = None) -> dict[Any, Any]:
        return _forgiving(lambda: super(ForgivingRedisCache, self).get_many(keys, version), {}, "get_many")

    def has_key(self, key: Any, version: int | None = None) -> bool:
        return _forgiving(lambda: super(ForgivingRedisCache, self).has_key(key, version), False, "has_key")

    def set(self, key: Any, value: Any, timeout: float | None = DEFAULT_TIMEOUT, version: int | None = None) -> None:
        _forgiving(lambda: super(ForgivingRedisCache, self).set(key, value, timeout, version), None, "set")

    def set_many(
        self, data: dict[Any, Any], timeout: float | None = DEFAULT_TIMEOUT, version: int | None = None
    ) -> list[Any]:
        return _forgiving(lambda: super(ForgivingRedisCache, self).set_many(data, timeout, version), list(data), "set")

    def add(self, key: Any, value: Any, timeout: float | None = DEFAULT_TIMEOUT, version: int | None = None) -> bool:
        return _forgiving(lambda: super(ForgivingRedisCache, self).add(key, value, timeout, version), False, "add")

    def incr(self, key: Any, delta: int = 1, version: int | None = None) -> int:
        return _forgiving(lambda: super(ForgivingRedisCache, self).incr(key, delta, version), delta, "incr")

    def touch(self, key: Any, timeout: float | None = DEFAULT_TIMEOUT, version: int | None = None) -> bool:
        return _forgiving(lambda: super(ForgivingRedisCache, self).touch(key, timeout, version), False, "touch")

    def delete(self, key: Any, version: int | None = None) -> bool:
        return _forgiving(lambda: super(ForgivingRedisCache, self).delete(key, version), False, "delete")

    def delete_many(self, keys: Iterable[Any], version: int | None = None) -> None:
        _forgiving(lambda: super(ForgivingRedisCache, self).delete_many(keys, version), None, "delete")
