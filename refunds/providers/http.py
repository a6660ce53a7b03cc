"""What the connected providers (Klarna, Adyen, Stripe) share: the time-out, reading an answer's headers,
and sorting the ways a request goes wrong into the three the refund services know.

- a **decline**: the provider looked at this refund and refused it for a business reason (amount too
  high, payment not refundable, order not captured): `PayoutResult(FAILED, error="<code>: <message>")`;
  staff read the reason, and another try of the same refund would be refused again.
- **nothing decided** (credentials refused, rate limited, a request with the same key still running,
  the provider down): `ProviderUnavailable`, tried again later with the same idempotency key.
- **no answer** (time-out, connection lost): `ProviderTimeout`; the refund may have happened, so it is
  asked again with the same key, and the provider answers what it did the first time.

Messages never carry a secret: they are built from the provider's own error code and text.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping

from django.conf import settings

from refunds.providers import Outcome, PayoutResult, ProviderUnavailable
from returns_portal.core.http import retry_after_seconds


def timeout_seconds() -> float:
    return float(settings.PAYMENT_PROVIDER_TIMEOUT_SECONDS)


def header(headers: Mapping[str, str], name: str) -> str:
    """A header's value whatever the case of its name (a webhook's headers may come as a plain dict)."""
    wanted = name.lower()
    return next((value for key, value in headers.items() if key.lower() == wanted), "")


def iso_time(value: object) -> dt.datetime | None:
    """A provider's ISO 8601 time ("2026-12-02T12:00:00+01:00", "...Z"), or None when it gave none."""
    if not isinstance(value, str):
        return None
    try:
        return dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None


def declined(code: str, message: str) -> PayoutResult:
    return PayoutResult(Outcome.FAILED, error=f"{code}: {message}" if code else message)


def undecided(provider: str, status: int, detail: str, headers: Mapping[str, str]) -> ProviderUnavailable:
    """An answer that decided nothing (401/403 credentials, 409 same key still running, 429, 5xx)."""
    reasons = {
        401: "refused the credentials",
        403: "refused the credentials or the account",
        409: "is still working on a request with this idempotency key",
        429: "is limiting the rate of requests",
    }
    reason = reasons.get(status, "is not available")
    message = f"{provider} {reason} (HTTP {status})" + (f": {detail}" if detail else "")
    return ProviderUnavailable(message, retry_after=retry_after_seconds(header(headers, "Retry-After")))
