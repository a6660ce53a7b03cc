"""The production WSGI app with the benchmark's URLs (the portal's, plus /hello/)."""

import os

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "returns_portal.settings")

from django.conf import settings
from django.core.wsgi import get_wsgi_application

settings.ROOT_URLCONF = "bench.urls"
application = get_wsgi_application()
