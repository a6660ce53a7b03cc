from django.apps import AppConfig


class StaffConfig(AppConfig):
    """Staff logins and sessions: the lockout after wrong passwords (django-axes), the idle timeout, two-factor."""

    name = "returns_portal.staff"
    label = "staff"

    def ready(self) -> None:
        from django.contrib.auth.signals import user_logged_in

        from returns_portal.staff import checks  # noqa: F401  (registers the deploy check)
        from returns_portal.staff.sessions import start_idle_clock

        user_logged_in.connect(start_idle_clock, dispatch_uid="staff-idle-clock")
