"""Run the periodic jobs once: what Celery beat does on a schedule in production.

Useful without Redis (the embedded default runs tasks eagerly), or from cron.
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from followup.tasks import select_winback, sweep_outbox
from refunds.tasks import pay_waiting_store_credit, reconcile_processing_refunds
from returns.tasks import book_missing_carriers, expire_unsent_returns, track_parcels
from returns_portal.privacy.retention import personal_data_sweep


class Command(BaseCommand):
    help = (
        "Expire unsent returns, book missing carriers, track parcels, issue waiting store credit, reconcile refunds, "
        "send due follow-up e-mails, make win-back offers, and anonymise personal data past its retention period, once."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        expired = expire_unsent_returns()
        booked = book_missing_carriers()  # before the sweep, so confirmations waiting for a label go out
        tracked = track_parcels()
        credited = pay_waiting_store_credit()
        reconciled = reconcile_processing_refunds()  # a lost webhook: ask the payment providers
        offers = select_winback()
        queued = sweep_outbox()  # after the win-back selection, so its offers go out in this run
        anonymised = personal_data_sweep()
        self.stdout.write(
            f"Expired {expired} unsent returns; {booked} carrier bookings tried; {tracked} new parcel events; "
            f"{credited} store credits or automatic refunds paid; "
            f"{reconciled} refunds asked about at payment providers; "
            f"{offers} win-back offers; "
            f"{queued} e-mails sent or queued; personal data of {anonymised['returns']} returns and "
            f"{anonymised['customers']} customers anonymised."
        )
