"""Start-up checks of the payment providers: a wrong one stops `manage.py check`, not a refund."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.conf import settings
from django.core import checks

from refunds.models import RefundMethod
from refunds.providers import DEFAULT_PROVIDERS, ConnectedProvider, RefundProvider
from returns.models import PaymentProvider
from returns_portal.core.plugins import plugin_errors

# The environment variables each payment provider needs (names only: `provider_check` says which are missing).
PROVIDER_VARIABLES: dict[str, tuple[str, ...]] = {
    PaymentProvider.KLARNA: ("KLARNA_USERNAME", "KLARNA_PASSWORD"),
    PaymentProvider.ADYEN: ("ADYEN_API_KEY", "ADYEN_MERCHANT_ACCOUNT", "ADYEN_HMAC_KEY"),
    PaymentProvider.STRIPE: ("STRIPE_SECRET_KEY", "STRIPE_WEBHOOK_SECRET"),
}


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


@checks.register()
def payment_providers_setting(app_configs: Any, **kwargs: Any) -> list[checks.CheckMessage]:
    """PAYMENT_PROVIDERS maps the providers an order may name (`Order.payment_provider`) to classes with
    the connected provider's interface: an order paid through one that is missing could not be refunded."""
    providers = getattr(settings, "PAYMENT_PROVIDERS", {})
    hint = "Set PAYMENT_PROVIDERS to a dict from payment provider to dotted path, as the default settings do."
    if not isinstance(providers, Mapping):
        return [checks.Error(f"PAYMENT_PROVIDERS is a {type(providers).__name__}, not a mapping.", hint=hint,
                             id="refunds.E006")]  # fmt: skip
    errors: list[checks.CheckMessage] = []
    for key in PaymentProvider.values:
        if key not in providers:
            errors.append(checks.Error(f"PAYMENT_PROVIDERS has no {key!r}, which orders may name.", hint=hint,
                                       id="refunds.E006"))  # fmt: skip
    for key, path in providers.items():
        errors += plugin_errors(
            path,
            interface=ConnectedProvider,
            setting=f"PAYMENT_PROVIDERS[{key!r}]",
            default=f"refunds.providers.{key}.{str(key).title()}Provider",
            ids=("refunds.E007", "refunds.E008", "refunds.E009"),
        )
    return errors
