"""Run the periodic jobs once: what Celery beat does on a schedule in production.

Useful without Redis (the embedded default runs tasks eagerly), or from cron.
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from followup.tasks import select_winback, sweep_outbox
from refunds.tasks import pay_waiting_store_credit
from returns.tasks import book_missing_carriers, expire_unsent_returns
from returns_portal.privacy.retention import personal_data_sweep


class Command(BaseCommand):
    help = (
        "Expire unsent returns, book missing carriers, issue waiting store credit, send due follow-up e-mails, "
        "make win-back offers, and anonymise personal data past its retention period, once."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        expired = expire_unsent_returns()
        booked = book_missing_carriers()  # before the sweep, so confirmations waiting for a label go out
        credited = pay_waiting_store_credit()
        offers = select_winback()
        queued = sweep_outbox()  # after the win-back selection, so its offers go out in this run
        anonymised = personal_data_sweep()
        self.stdout.write(
            f"Expired {expired} unsent returns; {booked} carrier bookings tried; {credited} store credits issued; "
            f"{offers} win-back offers; "
            f"{queued} e-mails sent or queued; personal data of {anonymised['returns']} returns and "
            f"{anonymised['customers']} customers anonymised."
        )
