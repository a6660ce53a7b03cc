"""Run the periodic jobs once: what Celery beat does on a schedule in production.

Useful without Redis (the embedded default runs tasks eagerly), or from cron.
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from followup.tasks import select_winback, sweep_outbox
from returns.tasks import expire_unsent_returns


class Command(BaseCommand):
    help = "Expire unsent returns, send due follow-up e-mails, and make win-back offers, once."

    def handle(self, *args: Any, **options: Any) -> None:
        expired = expire_unsent_returns()
        offers = select_winback()
        queued = sweep_outbox()  # after the win-back selection, so its offers go out in this run
        self.stdout.write(
            f"Expired {expired} unsent returns; {offers} win-back offers; {queued} e-mails sent or queued."
        )
