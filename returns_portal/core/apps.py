from django.apps import AppConfig


class CoreConfig(AppConfig):
    """Installed only so that its template tags (`{% load portal %}`) are found."""

    name = "returns_portal.core"
    label = "core"
