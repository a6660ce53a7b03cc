from django.apps import AppConfig
from django.db.models.signals import post_save


class RefundsConfig(AppConfig):
    name = "refunds"
    verbose_name = "Refunds"

    def ready(self) -> None:
        from refunds.models import Refund

        post_save.connect(forget_status_page, sender=Refund, dispatch_uid="refunds-forget-status-page")


def forget_status_page(sender: object, instance: object, **kwargs: object) -> None:
    """The customer's status page shows the refund: a changed refund makes it render again."""
    from returns.pagecache import forget_status_pages

    if getattr(instance, "return_request_id", None):
        forget_status_pages(sender, instance)
