from django.apps import AppConfig
from django.db.models.signals import post_save


class RefundsConfig(AppConfig):
    name = "refunds"
    verbose_name = "Refunds"

    def ready(self) -> None:
        from refunds import checks  # noqa: F401  (registers the system checks)
        from refunds.models import Refund
        from refunds.receivers import propose_refund_when_inspected
        from refunds.status_panel import forget_status_page, return_payouts
        from returns import extensions
        from returns.signals import return_state_changed

        extensions.payout_sources.register(return_payouts)
        post_save.connect(forget_status_page, sender=Refund, dispatch_uid="refunds-forget-status-page")
        return_state_changed.connect(propose_refund_when_inspected, dispatch_uid="refunds-propose-on-inspection")
