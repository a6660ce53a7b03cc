"""One way for carrier adapters to call a JSON API: a time-out on every call, and the answers that mean
"try later" or "refused" turned into the carrier interface's exceptions.

Messages name the carrier and the cause, never a URL or a request: PostNord takes its key in the query
string, so a URL in a message (or in a chained exception a log prints) would leak it. That is why the
`requests` exception is dropped (``from None``) rather than chained.
"""

from __future__ import annotations

from collections.abc import Callable, Collection
from typing import Any

import requests
from django.conf import settings

from returns.carriers import CarrierRejected, CarrierUnavailable
from returns_portal.core.http import retry_after_seconds

Rejection = Callable[[requests.Response], CarrierRejected]

# What a carrier names in a validation message, and what the customer can fix about it.
FIELD_WORDS = (
    ("postcode", ("postalcode", "postcode", "zipcode", "zip")),
    ("phone", ("phone", "sms", "mobile")),
    ("email", ("email",)),
    ("address", ("street", "address", "city", "name")),
)


def call(
    method: str,
    url: str,
    *,
    carrier: str,
    timeout: float,
    rejection: Rejection,
    accept: Collection[int] = (),
    **kwargs: Any,
) -> requests.Response:
    """The carrier's answer to one request, if it is a success or a status in `accept`.

    Raises CarrierUnavailable for a time-out, a connection error, refused credentials, 429 and 5xx, and
    `rejection(response)` for any other 4xx.
    """
    try:
        response = requests.request(method, url, timeout=timeout, **kwargs)
    except requests.Timeout:
        raise CarrierUnavailable(f"{carrier} did not answer within {timeout:g} s.") from None
    except requests.RequestException:
        raise CarrierUnavailable(f"{carrier} could not be reached.") from None
    status = response.status_code
    if response.ok or status in accept:
        return response
    if status in (401, 403):
        raise CarrierUnavailable(f"{carrier} refused the API key ({status}).")
    if status == 429:
        raise CarrierUnavailable(
            f"{carrier} asks to slow down (429).",
            retry_after=retry_after_seconds(response.headers.get("Retry-After", "")),
        )
    if status >= 500:
        raise CarrierUnavailable(f"{carrier} had a server error ({status}); try again later.")
    raise rejection(response)


def setting(carrier: str, name: str) -> str:
    """A carrier setting read at call time; an empty one makes the carrier unavailable, named for staff."""
    value: str = getattr(settings, name, "")
    if not value:
        raise CarrierUnavailable(f"{carrier} is not configured: {name} is empty.")
    return value


def json_body(response: requests.Response) -> Any:
    """The decoded JSON, or None when the body is empty or not JSON (some errors come as HTML from a proxy)."""
    try:
        return response.json()
    except ValueError:
        return None


def field_named(*names: str) -> str:
    """The customer-fixable field ("postcode", "phone", "email", "address") a carrier's field names point at."""
    text = " ".join(names).lower().replace("_", "").replace(".", "")
    for field, words in FIELD_WORDS:
        if any(word in text for word in words):
            return field
    return ""
