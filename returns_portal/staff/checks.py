"""A production portal whose staff log in with a password alone is worth a warning in `check --deploy`."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core import checks


@checks.register(checks.Tags.security, deploy=True)
def two_factor_in_production(app_configs: Any, **kwargs: Any) -> list[checks.CheckMessage]:
    if settings.PRODUCTION and settings.STAFF_TWO_FACTOR != "required":
        return [
            checks.Warning(
                "STAFF_TWO_FACTOR is 'optional' in production: "
                "staff who have not enrolled log in with a password alone.",
                hint="Unset STAFF_TWO_FACTOR (production requires it by default) or set it to 'required'.",
                id="staff.W001",
            )
        ]
    return []
