"""The Celery app: `celery -A returns_portal worker` and `celery -A returns_portal beat`."""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "returns_portal.settings")

app = Celery("returns_portal")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
