"""Celery entry points for follow-ups: thin, idempotent, calling the sending and win-back modules.

The names are stable: the outbox queues the send task by its name (`followup.outbox.SEND_TASK`), so it
imports nothing that sends; beat schedules the others by name.
"""

from __future__ import annotations

from celery import shared_task

from followup.outbox import SEND_TASK
from followup.sending import outbox_send_many, outbox_sweep
from followup.winback import winback_candidates, winback_offer

WINBACK_BATCH = 500


@shared_task(name=SEND_TASK)
def send_messages(ids: list[int]) -> dict[str, int]:
    """Send these outbox messages; any already sent, or being sent by another worker, are skipped."""
    return outbox_send_many(ids)


@shared_task(name="followup.sweep_outbox")
def sweep_outbox() -> int:
    """Queue every due message (lost tasks, retries, scheduled thank-yous); returns how many."""
    return outbox_sweep()


@shared_task(name="followup.select_winback")
def select_winback() -> int:
    """Select the customers for a win-back offer in one query, and make the offers in batches."""
    pairs = winback_candidates()
    for start in range(0, len(pairs), WINBACK_BATCH):
        make_winback_offers.delay(pairs[start : start + WINBACK_BATCH])
    return len(pairs)


@shared_task(name="followup.make_winback_offers")
def make_winback_offers(pairs: list[tuple[int, int]]) -> int:
    made = [winback_offer(return_id=return_id, customer_id=customer_id) for return_id, customer_id in pairs]
    return sum(1 for offer in made if offer is not None)
