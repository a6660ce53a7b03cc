"""`manage.py provider_check`: whether the payment providers' accounts answer, before a refund finds out.

For each provider that orders name or whose variables are set: which variables are missing (names,
never values), then the adapter's own check (`ConnectedProvider.check`), one OK or FAIL line each.
Exits with 1 when any provider that is needed fails, so a deploy script can stop on it.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db.models import Count

from refunds.checks import PROVIDER_VARIABLES
from refunds.providers import ProviderTimeout, ProviderUnavailable, get_connected_provider
from returns.models import Order


class Command(BaseCommand):
    help = "Check that the configured payment providers (Klarna, Adyen, Stripe) accept the shop's credentials."

    def handle(self, *args: Any, **options: Any) -> None:
        orders = dict(
            Order.objects.exclude(payment_provider="")
            .values_list("payment_provider")
            .annotate(count=Count("pk"))
            .order_by()
        )
        failed = []
        for key in sorted(set(settings.PAYMENT_PROVIDERS) | set(orders)):
            variables = PROVIDER_VARIABLES.get(key, ())
            configured = any(getattr(settings, name, "") for name in variables)
            count = orders.get(key, 0)
            used = f"{count} order{'' if count == 1 else 's'}" if count else "no orders"
            if not configured and key not in orders:
                self.stdout.write(f"-    {key}: not configured, {used}: skipped")
                continue
            problem = self._check(key, variables, used)
            if problem:
                failed.append(key)
        if failed:
            raise CommandError(f"{len(failed)} payment provider(s) failed: {', '.join(failed)}", returncode=1)
        self.stdout.write(self.style.SUCCESS("Every payment provider in use answers."))

    def _check(self, key: str, variables: tuple[str, ...], used: str) -> bool:
        """Print the provider's lines; True when it failed."""
        if key not in settings.PAYMENT_PROVIDERS:
            self._fail(key, f"orders name it ({used}), but PAYMENT_PROVIDERS has no {key!r}")
            return True
        missing = [name for name in variables if not getattr(settings, name, "")]
        if missing:
            self._fail(key, f"{used}; missing {', '.join(missing)}")
            return True
        try:
            lines = get_connected_provider(key).check()
        except (ProviderUnavailable, ProviderTimeout) as problem:
            self._fail(key, f"{used}; {problem}")
            return True
        for line in lines:
            said = line.removeprefix(f"{key.title()}: ")  # the adapters name themselves; the key is said already
            self.stdout.write(self.style.SUCCESS("OK") + f"   {key}: {said}")
        return False

    def _fail(self, key: str, message: str) -> None:
        self.stdout.write(self.style.ERROR("FAIL") + f" {key}: {message}")
