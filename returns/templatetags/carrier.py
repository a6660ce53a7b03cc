"""The carrier's side of a return in templates: service points, the label-free code, parcel events."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import segno
from django import template
from django.utils import timezone
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _

from returns.models import ParcelEvent, TrackingStage
from returns_portal.core.l10n import format_day, format_number

register = template.Library()


@register.filter
def distance(metres: int | None) -> str:
    """``350 m`` near, ``1,2 km`` (in Swedish) farther; rounded as a person would say it."""
    if metres is None:
        return ""
    if metres < 1000:
        return f"{max(10, round(metres, -1))}\u00a0m"
    kilometres = round(Decimal(metres) / 1000, 1 if metres < 10_000 else 0)
    return f"{format_number(kilometres)}\u00a0km"


@register.filter
def point_address(point: dict[str, Any] | Any) -> str:
    """ "Street, postcode city" of a service point (a dict as stored, or a `ServicePoint`)."""
    get = point.get if isinstance(point, dict) else lambda name, default="": getattr(point, name, default)
    city_line = " ".join(part for part in (get("postcode", ""), get("city", "")) if part)
    return ", ".join(part for part in (get("street", ""), city_line) if part)


@register.filter
def point_line(point: dict[str, Any] | Any) -> str:
    """ "Name, street, postcode city": where to take the parcel, in one line."""
    name = point.get("name", "") if isinstance(point, dict) else getattr(point, "name", "")
    return ", ".join(part for part in (name, point_address(point)) if part)


@register.filter
def grouped(code: str) -> str:
    """A long code in groups of four ("0037 0733 7412 3456 7891"): easier to read out and to type in."""
    if len(code) <= 10 or not code.isalnum():
        return code
    return " ".join(code[start : start + 4] for start in range(0, len(code), 4))


@register.filter
def qr_svg(payload: str) -> SafeString:
    """The code as an inline SVG (the CSP allows no data: images), crisp at any size; the white card
    around it widens its quiet zone."""
    code = segno.make(payload, error="m")
    svg = code.svg_inline(scale=1, border=2, omitsize=True, svgclass="qr", lineclass="qr-modules", dark="#000")
    return mark_safe(svg.replace("<svg ", '<svg role="img" aria-hidden="true" focusable="false" ', 1))


def _tidy(words: str) -> str:
    """ "Stockholm", not "STOCKHOLM": carriers' systems shout place names."""
    return words.title() if words.isupper() and len(words) > 3 else words


@register.filter
def event_text(event: ParcelEvent) -> str:
    """What happened to the parcel, in the customer's language; the carrier's own words when the
    stage says too little."""
    moment = timezone.localtime(event.at)
    when = _("%(day)s at %(time)s") % {"day": format_day(moment.date()), "time": moment.strftime("%H:%M")}
    place = ", ".join(_tidy(part) for part in event.location.split(", ") if part)
    if event.stage == TrackingStage.HANDED_IN:
        if place:
            return _("Handed in at %(place)s on %(when)s") % {"place": place, "when": when}
        return _("Handed in on %(when)s") % {"when": when}
    if event.stage == TrackingStage.IN_TRANSIT:
        if place:
            return _("On its way, at %(place)s on %(when)s") % {"place": place, "when": when}
        return _("On its way on %(when)s") % {"when": when}
    if event.stage == TrackingStage.DELIVERED:
        return _("Arrived at the warehouse on %(when)s") % {"when": when}
    if event.stage == TrackingStage.BOOKED:
        return _("Booked with the carrier on %(when)s") % {"when": when}
    said = " · ".join(part for part in (event.description, place) if part)
    return _("%(when)s: %(said)s") % {"when": when, "said": said}
