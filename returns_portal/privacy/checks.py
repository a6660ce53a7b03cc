"""Start-up checks of the privacy settings: a wrong value would erase too early or never."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.checks import CheckMessage, Error, register


@register()
def privacy_settings(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    errors: list[CheckMessage] = []
    months = settings.PERSONAL_DATA_RETENTION_MONTHS
    if not isinstance(months, int) or isinstance(months, bool) or months < 1:
        errors.append(
            Error(
                f"PERSONAL_DATA_RETENTION_MONTHS must be a whole number of months, at least 1, not {months!r}.",
                hint="36 keeps customers' data through the Nordic complaint periods; see the README.",
                id="privacy.E001",
            )
        )
    if not settings.PRIVACY_HASH_KEY:
        errors.append(
            Error(
                "PRIVACY_HASH_KEY must not be empty: it keys the hashes of forgotten people's objections.",
                id="privacy.E002",
            )
        )
    return errors
