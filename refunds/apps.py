from django.apps import AppConfig
from django.db.models.signals import post_save


class RefundsConfig(AppConfig):
    name = "refunds"
    verbose_name = "Refunds"

    def ready(self) -> None:
        from refunds.models import Refund
        from refunds.receivers import propose_refund_when_inspected
        from returns.signals import return_state_changed

        post_save.connect(forget_status_page, sender=Refund, dispatch_uid="refunds-forget-status-page")
        return_state_changed.connect(propose_refund_when_inspected, dispatch_uid="refunds-propose-on-inspection")


def forget_status_page(sender: object, instance: object, **kwargs: object) -> None:
    """The customer's status page shows the refund: a changed refund makes it render again."""
    from returns.cached_pages import forget_status_pages

    if getattr(instance, "return_request_id", None):
        forget_status_pages(sender, instance)
