"""The customer pages of this app kept in the cache (see `returns_portal.core.pagecache`), and
forgetting them when what they show changes: whoever changes a return or the policy calls these."""

from __future__ import annotations

from collections.abc import Iterable

from returns_portal.core.pagecache import forget, page_keys


def forget_status_pages(sender: object, instance: object, **kwargs: object) -> None:
    """Signal receiver: a return, its lines or its history changed, so its status page did."""
    return_id = getattr(instance, "return_request_id", None) or getattr(instance, "pk", None)
    if return_id is not None:
        forget_return_pages([return_id])


def forget_return_pages(return_ids: Iterable[int]) -> None:
    """What the carrier said changed these returns' status pages (events stored in bulk send no signal)."""
    forget(key for return_id in return_ids for new in (True, False) for key in page_keys("status", return_id, new))


def forget_policy_pages() -> None:
    forget([*page_keys("start"), *page_keys("policy")])
