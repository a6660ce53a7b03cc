"""The benchmark's WSGI app: the production portal, and /hello/ answered by Django with no middleware at all.

The pages are measured against the least a Django request costs on the same gunicorn process (the
floor), not against a view behind the portal's own middleware, which would hide what that costs.
"""

import os

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "returns_portal.settings")

from collections.abc import Callable, Iterable
from typing import Any

from django.conf import settings
from django.core.handlers.wsgi import WSGIHandler
from django.core.wsgi import get_wsgi_application
from django.test.utils import override_settings

HELLO = "/hello/"

settings.ROOT_URLCONF = "bench.urls"
portal = get_wsgi_application()


class BareHandler(WSGIHandler):
    """Django's WSGI handler that loads an empty MIDDLEWARE: URL resolution, the view, nothing else."""

    def load_middleware(self, is_async: bool = False) -> None:
        with override_settings(MIDDLEWARE=[]):
            super().load_middleware(is_async)


bare = BareHandler()


def application(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
    """/hello/ to the bare handler, every other path to the portal."""
    handler = bare if environ.get("PATH_INFO") == HELLO else portal
    return handler(environ, start_response)
