"""Celery entry points: thin, idempotent, calling services."""

from celery import shared_task

from returns.services import returns_expire_unsent


@shared_task(name="returns.expire_unsent_returns")
def expire_unsent_returns() -> int:
    """Approved returns never sent within the policy's days become expired; returns how many."""
    return returns_expire_unsent()
