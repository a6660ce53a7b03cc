from django.apps import AppConfig


class FollowupConfig(AppConfig):
    name = "followup"
    verbose_name = "Follow-ups"

    def ready(self) -> None:
        from followup import receivers
        from refunds.signals import refund_state_changed
        from returns.signals import return_created, return_state_changed

        return_created.connect(receivers.on_return_created, dispatch_uid="followup-confirmation")
        return_state_changed.connect(receivers.on_return_state_changed, dispatch_uid="followup-return-events")
        refund_state_changed.connect(receivers.on_refund_state_changed, dispatch_uid="followup-refund-events")
