from django.apps import AppConfig


class DemoConfig(AppConfig):
    """The demo shop (`manage.py seed_demo`). It composes all three apps, so it sits above them."""

    name = "returns_portal.demo"
    label = "demo"
