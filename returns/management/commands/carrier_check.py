"""`manage.py carrier_check`: do the configured carriers' credentials and services work?

For the default carrier (RETURN_CARRIER) and every carrier a route in the admin
names: which of its variables are empty (names only, never values), then the
carrier's own `check()`, each line marked OK or FAIL. Exits 1 if anything failed,
so a deploy script can stop on it.
"""

from __future__ import annotations

import re
from collections import defaultdict
from typing import Any
from urllib.parse import urljoin

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.urls import reverse

from returns.carriers import DEFAULT_CARRIER, DEFAULT_KEY, carrier_named
from returns.models import CarrierRoute

SECRET_NAMES = re.compile(r"KEY|SECRET|TOKEN|PASSWORD|API_ID")


class Command(BaseCommand):
    help = "Check that the configured carriers' credentials and services work (OK/FAIL per line; exit 1 on FAIL)."

    def handle(self, *args: Any, **options: Any) -> None:
        routes = _routes()
        failures = 0
        for key in [DEFAULT_KEY, *sorted(key for key in routes if key != DEFAULT_KEY)]:
            failures += self._check(key, routes.get(key, []))
        if failures:
            raise CommandError(f"{failures} check(s) failed.", returncode=1)
        self.stdout.write("All carriers work.")

    def _check(self, key: str, routes: list[str]) -> int:
        """Print one carrier's lines; how many failed."""
        path = _path(key)
        used_for = ", ".join(routes) if routes else ("where no route names a carrier" if key == DEFAULT_KEY else "")
        self.stdout.write(f"{key} ({path or 'not in CARRIERS'})" + (f": {used_for}" if used_for else ""))
        if path is None:
            return self._line(False, f"A route names {key!r}, which settings.CARRIERS does not have.")
        try:
            carrier = carrier_named(key)
        except Exception as error:
            return self._line(False, f"Cannot load {path}: {error}")
        failures = sum(self._line(False, f"{name} is not set.") for name in _missing(key, path))
        try:
            lines = carrier.check()
        except Exception as error:  # CarrierUnavailable, CarrierRejected, or whatever the adapter met
            return failures + self._line(False, _redacted(str(error) or type(error).__name__, key, path))
        for line in lines:
            self._line(True, _redacted(line, key, path))
        if callable(getattr(carrier, "parse_webhook", None)):
            url = urljoin(settings.PORTAL_URL, reverse("returns:carrier_events", args=[key]))
            self.stdout.write(f"  info  Webhook URL to give the carrier: {url}")
        return failures

    def _line(self, ok: bool, text: str) -> int:
        if ok:
            self.stdout.write(f"  {self.style.SUCCESS('OK  ')}  {text}")
            return 0
        self.stdout.write(f"  {self.style.ERROR('FAIL')}  {text}")
        return 1


def _routes() -> dict[str, list[str]]:
    """Each carrier key the admin's routes name, with the routes ("SE label")."""
    routes: dict[str, list[str]] = defaultdict(list)
    for country, method, key in CarrierRoute.objects.order_by("country", "method").values_list(
        "country", "method", "carrier"
    ):
        routes[key].append(f"{country} {method}")
    return routes


def _path(key: str) -> str | None:
    if key == DEFAULT_KEY:
        return str(getattr(settings, "RETURN_CARRIER", DEFAULT_CARRIER))
    return settings.CARRIERS.get(key)


def _variables(key: str, path: str) -> list[str]:
    """The settings a carrier needs: those named after its key or class (POSTNORD_*, NSHIFT_*)."""
    prefixes = {f"{path.rsplit('.', 1)[-1].removesuffix('Carrier').upper()}_"}
    if key != DEFAULT_KEY:
        prefixes.add(f"{key.upper().replace('-', '_')}_")
    return sorted(name for name in dir(settings) if name.isupper() and name.startswith(tuple(prefixes)))


def _missing(key: str, path: str) -> list[str]:
    return [name for name in _variables(key, path) if getattr(settings, name, "") in ("", None)]


def _redacted(text: str, key: str, path: str) -> str:
    """A carrier's words with any configured value of its variables blanked: an error may quote a URL
    that carries the API key."""
    for name in _variables(key, path):
        value = getattr(settings, name, "")
        if SECRET_NAMES.search(name) and isinstance(value, str) and value:
            text = text.replace(value, "***")
    return text
