from django.apps import AppConfig


class PrivacyConfig(AppConfig):
    """Customers' data under the GDPR: export and erasure on request, and the retention sweep.

    It lives above the apps because it composes them: each app says what it holds about a person
    in its own `privacy` module (`returns`, `refunds`, `followup`), and this app asks each in turn.
    """

    name = "returns_portal.privacy"
    label = "privacy"
    verbose_name = "Customers' data"

    def ready(self) -> None:
        from returns_portal.privacy import checks  # noqa: F401  (registers the system check)
