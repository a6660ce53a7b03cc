"""The service points a customer can hand the parcel in at, for the picker on the "how" step.

The customer is waiting, so the carrier gets CARRIER_LOOKUP_TIMEOUT_SECONDS to answer. Its call
runs in a small pool of threads: when it is late the customer goes on with "any point" at once,
and the answer, when it still comes, is cached for the next visitor from that postcode. Lists are
kept for hours (service points rarely move); a carrier that failed is asked again a minute later.
No database transaction is open here: the lookup is a remote call.
"""

from __future__ import annotations

import dataclasses
import logging
import re
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.utils import translation

from returns.carriers import Carrier, ServicePoint, carrier_for
from returns.models import LABELLED_METHODS
from returns.services.address import postcode_normalized

log = logging.getLogger(__name__)

POINTS_SHOWN = 5
LIST_SECONDS = 6 * 3600
FAILED_SECONDS = 60
# Enough for a busy evening; a carrier that hangs fills the pool, and later lookups then simply time out.
_pool = ThreadPoolExecutor(max_workers=4, thread_name_prefix="service-points")


@dataclass(frozen=True)
class PointChoice:
    """The points one carrier offers near the customer, for the methods it carries.

    `answered` is False when the carrier failed or was too slow: the customer takes the parcel to
    any of its points.
    """

    carrier_key: str
    carrier_name: str
    methods: tuple[str, ...]
    points: tuple[ServicePoint, ...]
    answered: bool

    def point(self, point_id: str) -> ServicePoint | None:
        return next((point for point in self.points if point.id == point_id), None)

    def as_dict(self) -> dict[str, Any]:
        """For the session, which keeps what the customer was offered (and may choose from)."""
        return {
            "carrier_key": self.carrier_key,
            "carrier_name": self.carrier_name,
            "methods": list(self.methods),
            "points": [point_as_dict(point) for point in self.points],
            "answered": self.answered,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> PointChoice:
        return cls(
            carrier_key=data["carrier_key"],
            carrier_name=data["carrier_name"],
            methods=tuple(data["methods"]),
            points=tuple(point_from_dict(point) for point in data["points"]),
            answered=data["answered"],
        )


def point_as_dict(point: ServicePoint) -> dict[str, Any]:
    """The shape `ReturnRequest.service_point` keeps."""
    return dataclasses.asdict(point) | {"opening_hours": list(point.opening_hours)}


def point_from_dict(data: dict[str, Any]) -> ServicePoint:
    fields = {field.name for field in dataclasses.fields(ServicePoint)}
    values = {name: value for name, value in data.items() if name in fields}
    return ServicePoint(**values | {"opening_hours": tuple(values.get("opening_hours") or ())})


def service_point_choice(
    *, country: str, postcode: str, street: str, methods: Iterable[str], language: str = "en"
) -> PointChoice | None:
    """The points near `postcode` of the carrier that takes the labelled methods among `methods`.

    None when no such method is offered, the postcode is unknown, or the carrier has no list to
    choose from (the built-in carrier: any parcel shop takes its parcels).
    """
    labelled = [method for method in methods if method in LABELLED_METHODS]
    if not labelled or not postcode.strip():
        return None
    routes = {method: carrier_for(country=country, method=method) for method in labelled}
    # QR drop-off first: it is the method a chosen point matters most for (the code is shown there).
    ordered = sorted(labelled, key=lambda method: method != "qr")
    for method in ordered:
        key, carrier = routes[method]
        points, answered = nearest_points(
            carrier_key=key, carrier=carrier, country=country, postcode=postcode, street=street, language=language
        )
        if points or not answered:
            carried = tuple(each for each in ordered if routes[each][0] == key)
            return PointChoice(key, carrier.name, carried, tuple(points), answered)
    return None


def nearest_points(
    *, carrier_key: str, carrier: Carrier, country: str, postcode: str, street: str = "", language: str = "en"
) -> tuple[list[ServicePoint], bool]:
    """(points, whether the carrier answered): from the cache, else asked with the lookup's time limit.

    Kept per language: an adapter may write the opening hours' days in the active language.
    """
    key = _cache_key(carrier_key, country, postcode, language)
    cached = cache.get(key)
    if cached is not None:
        return [point_from_dict(point) for point in cached["points"]], cached["answered"]
    future = _pool.submit(_look_up, key, carrier, country, postcode, street, language)
    try:
        return future.result(timeout=settings.CARRIER_LOOKUP_TIMEOUT_SECONDS), True
    except FutureTimeout:
        log.warning("%s did not list service points near %s %s in time", carrier.name, country, postcode)
    except Exception:
        log.warning("%s could not list service points near %s %s", carrier.name, country, postcode, exc_info=True)
    return [], False


def _look_up(key: str, carrier: Carrier, country: str, postcode: str, street: str, language: str) -> list[ServicePoint]:
    """In a pool thread: ask the carrier, keep its answer (or, briefly, its failure) for the next visitor."""
    try:
        with translation.override(language):
            listed = carrier.service_points(country=country, postcode=postcode, street=street, limit=POINTS_SHOWN)
    except Exception:
        cache.set(key, {"points": [], "answered": False}, FAILED_SECONDS)
        raise
    points = [_tidy(point) for point in listed[:POINTS_SHOWN]]
    cache.set(key, {"points": [point_as_dict(point) for point in points], "answered": True}, LIST_SECONDS)
    return points


def _tidy(point: ServicePoint) -> ServicePoint:
    """Written the way the customer writes it: "113 61 Stockholm", not "11361 STOCKHOLM"."""
    city = point.city.title() if point.city.isupper() else point.city
    postcode = postcode_normalized(point.country, point.postcode) or point.postcode
    return dataclasses.replace(point, city=city, postcode=postcode)


def _cache_key(carrier_key: str, country: str, postcode: str, language: str) -> str:
    compact = re.sub(r"\s+", "", postcode).upper()
    return f"service-points:{carrier_key}:{country.upper()}:{compact}:{language}"
