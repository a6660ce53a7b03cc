from django.apps import AppConfig


class OperationsConfig(AppConfig):
    """Installed only so that `manage.py` finds its commands."""

    name = "returns_portal.operations"
    label = "operations"
