from django.apps import AppConfig
from django.db.models.signals import m2m_changed, post_delete, post_save


class ReturnsConfig(AppConfig):
    name = "returns"
    verbose_name = "Returns"

    def ready(self) -> None:
        # The tasks are queued by name (a carrier retry, a cancellation): registered in every process.
        from returns import checks, tasks  # noqa: F401  (registers the system checks and the tasks)
        from returns.cached_pages import forget_status_pages
        from returns.models import (
            ReturnEvent,
            ReturnLine,
            ReturnMethodOption,
            ReturnPolicy,
            ReturnReason,
            ReturnRequest,
            SeasonalExtension,
        )
        from returns.models.policy import forget_current_policy
        from returns.services.carrier_cancel import on_return_cancelled
        from returns.signals import return_state_changed

        # Not a business rule hidden in a receiver: only the carrier call that must wait for the commit.
        return_state_changed.connect(on_return_cancelled, dispatch_uid="returns-cancel-carrier-booking")
        for part_of_a_return in (ReturnRequest, ReturnLine, ReturnEvent):
            name = part_of_a_return.__name__
            post_save.connect(forget_status_pages, sender=part_of_a_return, dispatch_uid=f"forget-status-{name}")
        for model in (ReturnPolicy, SeasonalExtension, ReturnMethodOption, ReturnReason):
            post_save.connect(forget_current_policy, sender=model, dispatch_uid=f"forget-policy-save-{model.__name__}")
            post_delete.connect(forget_current_policy, sender=model, dispatch_uid=f"forget-policy-del-{model.__name__}")
        for through in (ReturnPolicy.non_returnable_categories.through, ReturnPolicy.non_returnable_products.through):
            m2m_changed.connect(forget_current_policy, sender=through, dispatch_uid=f"forget-policy-{through.__name__}")
