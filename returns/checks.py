"""Start-up checks of the carrier settings: a wrong one stops `manage.py check`, not a customer's first booking."""

from __future__ import annotations

import re
from typing import Any

from django.conf import settings
from django.core import checks

from returns.carriers import DEFAULT_CARRIER, Carrier
from returns_portal.core.plugins import plugin_errors


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
