from django.apps import AppConfig


class FollowupConfig(AppConfig):
    name = "followup"
    verbose_name = "Follow-ups"

    def ready(self) -> None:
        # The outbox queues the send task by name: importing the tasks registers it in every process,
        # a web process in eager mode included, not only in a worker that autodiscovers them.
        from followup import (
            checks,  # noqa: F401  (registers the system checks)
            receivers,
            tasks,  # noqa: F401
        )
        from refunds.signals import refund_state_changed
        from returns.signals import return_carrier_booked, return_carrier_refused, return_created, return_state_changed

        return_created.connect(receivers.on_return_created, dispatch_uid="followup-confirmation")
        return_state_changed.connect(receivers.on_return_state_changed, dispatch_uid="followup-return-events")
        return_carrier_booked.connect(receivers.on_carrier_booked, dispatch_uid="followup-carrier-booked")
        return_carrier_refused.connect(receivers.on_carrier_refused, dispatch_uid="followup-carrier-refused")
        refund_state_changed.connect(receivers.on_refund_state_changed, dispatch_uid="followup-refund-events")
