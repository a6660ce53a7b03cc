"""Start-up checks of the carrier settings: a wrong one stops `manage.py check`, not a customer's first booking."""

from __future__ import annotations

import re
from typing import Any

from django.conf import settings
from django.core import checks

from returns.carriers import DEFAULT_CARRIER, DEFAULT_KEY, Carrier
from returns_portal.core.plugins import plugin_errors

# A key is part of the carrier's webhook URL and is stored on each return (`carrier_key`, 20 characters).
CARRIER_KEY = re.compile(r"[a-z0-9-]{1,20}")


@checks.register()
def carrier_setting(app_configs: Any, **kwargs: Any) -> list[checks.CheckMessage]:
    """RETURN_CARRIER names a class with the carrier interface of `returns.carriers`."""
    return plugin_errors(
        getattr(settings, "RETURN_CARRIER", DEFAULT_CARRIER),
        interface=Carrier,
        setting="RETURN_CARRIER",
        default=DEFAULT_CARRIER,
        ids=("returns.E001", "returns.E002", "returns.E003"),
    )


@checks.register()
def carriers_setting(app_configs: Any, **kwargs: Any) -> list[checks.CheckMessage]:
    """Every entry of CARRIERS (what the admin's routes may name) is a key a URL and a return can hold,
    naming a class with the carrier interface. Routes themselves live in the database: the admin refuses
    an unknown key, and `manage.py carrier_check` reports one a settings change left behind."""
    carriers = getattr(settings, "CARRIERS", {})
    if not isinstance(carriers, dict):
        return [checks.Error("CARRIERS is not a dict of key -> dotted path.", id="returns.E005")]
    errors: list[checks.CheckMessage] = []
    for key, path in carriers.items():
        if not (isinstance(key, str) and CARRIER_KEY.fullmatch(key)) or key == DEFAULT_KEY:
            errors.append(
                checks.Error(
                    f"CARRIERS key {key!r} is not a carrier key.",
                    hint=f"Use up to 20 lowercase letters, digits or dashes, and not {DEFAULT_KEY!r}.",
                    id="returns.E005",
                )
            )
        errors += plugin_errors(
            path,
            interface=Carrier,
            setting=f"CARRIERS[{key!r}]",
            default=DEFAULT_CARRIER,
            ids=("returns.E006", "returns.E007", "returns.E008"),
        )
    return errors


@checks.register()
def carrier_country(app_configs: Any, **kwargs: Any) -> list[checks.CheckMessage]:
    """The country ends every tracking number; the built-in carrier refuses anything else when it books."""
    country = getattr(settings, "RETURN_CARRIER_COUNTRY", "SE")
    if isinstance(country, str) and re.fullmatch(r"[A-Z]{2}", country):
        return []
    return [
        checks.Error(
            f"RETURN_CARRIER_COUNTRY = {country!r} is not a country code.",
            hint="Set RETURN_CARRIER_COUNTRY to the ISO 3166 code of the shop's country in capitals, like 'SE'.",
            id="returns.E004",
        )
    ]
