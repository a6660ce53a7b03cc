"""Start-up checks of the payment providers: a wrong one stops `manage.py check`, not a refund."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.conf import settings
from django.core import checks

from refunds.models import RefundMethod
from refunds.providers import DEFAULT_PROVIDERS, RefundProvider
from returns_portal.core.plugins import plugin_errors


@checks.register()
def refund_providers_setting(app_configs: Any, **kwargs: Any) -> list[checks.CheckMessage]:
    """REFUND_PROVIDERS maps known refund methods to classes with the provider interface.

    The defaults are checked with it, as `get_provider` merges them.
    """
    providers = getattr(settings, "REFUND_PROVIDERS", {})
    if not isinstance(providers, Mapping):
        return [
            checks.Error(
                f"REFUND_PROVIDERS is a {type(providers).__name__}, not a mapping.",
                hint="Set REFUND_PROVIDERS to a dict from refund method to dotted path, "
                "like {'original_payment': 'refunds.providers.manual.ManualProvider'}.",
                id="refunds.E001",
            )
        ]
    errors: list[checks.CheckMessage] = []
    for method, path in {**DEFAULT_PROVIDERS, **providers}.items():
        errors += _provider_errors(method, path)
    return errors


def _provider_errors(method: object, path: object) -> list[checks.CheckMessage]:
    if method not in RefundMethod.values:
        known = ", ".join(repr(value) for value in RefundMethod.values)
        return [
            checks.Error(
                f"REFUND_PROVIDERS maps {method!r}, which is no refund method.",
                hint=f"The refund methods are {known}.",
                id="refunds.E002",
            )
        ]
    return plugin_errors(
        path,
        interface=RefundProvider,
        setting=f"REFUND_PROVIDERS[{method!r}]",
        default=DEFAULT_PROVIDERS.get(str(method), DEFAULT_PROVIDERS["original_payment"]),
        ids=("refunds.E003", "refunds.E004", "refunds.E005"),
    )
