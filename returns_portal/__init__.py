"""The project package: settings read from the environment, URLs, the Celery app, WSGI/ASGI, health,
error pages and the Content-Security-Policy; below all apps the building blocks (`core`); above
them the parts that compose all three (`pages`, `operations`, `privacy`, `staff`, `demo`).

The direction, checked by import-linter (pyproject.toml) and tests/test_direction.py:
core <- returns <- refunds <- followup <- pages, operations, privacy, staff, demo.
"""

from returns_portal.celery import app as celery_app

__all__ = ("celery_app",)
