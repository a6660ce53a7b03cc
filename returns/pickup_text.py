"""What is said about a home pickup: to the customer (status page, confirmation e-mail, packing
instructions) and to staff (receiving list, return's page, support page).

The carrier's booking fills `pickup_reference` and `pickup_window`, or `pickup_problem` when it
cannot come (see `returns.services.booking`); until then the customer has only asked for a day.
Nothing here promises a time the carrier has not given, and the carrier's own words about a
refusal are for staff only.
"""

from __future__ import annotations

from django.conf import settings
from django.utils.translation import gettext as _

from returns.models import TO_BE_SENT_STATES, ReturnMethod, ReturnRequest
from returns_portal.core.l10n import format_day


def pickup_booked(return_request: ReturnRequest) -> bool:
    return not return_request.pickup_problem and bool(return_request.pickup_reference or return_request.pickup_window)


def pickup_lines(return_request: ReturnRequest) -> list[str]:
    """For the customer, in the active language: when the carrier comes, or what to do instead."""
    if return_request.method != ReturnMethod.PICKUP:
        return []
    if return_request.pickup_problem:
        return [
            _("The carrier could not book a pickup at your address, so nobody will come for the parcel."),
            _(
                "You can cancel this return on its page and start a new one with another return method, "
                "or contact the customer service of %(shop)s, who will help you send the parcel."
            )
            % {"shop": settings.SHOP_NAME},
        ]
    if return_request.pickup_date is None:
        return []
    day = format_day(return_request.pickup_date)
    if not pickup_booked(return_request):
        return [
            _("You asked for a pickup on %(day)s.") % {"day": day},
            _("The time the carrier comes is shown on your return's page as soon as the carrier has confirmed it."),
        ]
    window = return_request.pickup_window
    lines = [
        _("The carrier collects the parcel at your address on %(day)s, %(window)s.") % {"day": day, "window": window}
        if window
        else _("The carrier collects the parcel at your address on %(day)s.") % {"day": day}
    ]
    if return_request.pickup_reference:
        lines.append(_("Booking reference: %(reference)s.") % {"reference": return_request.pickup_reference})
    lines.append(_("Please have the parcel packed and ready."))
    return lines


def pickup_facts(return_request: ReturnRequest) -> list[tuple[str, str]]:
    """For the customer's e-mail: one line, while the parcel still waits to be collected."""
    if return_request.method != ReturnMethod.PICKUP or return_request.state not in TO_BE_SENT_STATES:
        return []
    if return_request.pickup_problem:
        return [(_("Pickup"), _("Could not be booked"))]
    if return_request.pickup_date is None:
        return []
    day = format_day(return_request.pickup_date)
    if not pickup_booked(return_request):
        return [(_("Pickup"), _("%(day)s, not confirmed yet") % {"day": day})]
    when = f"{day}, {return_request.pickup_window}" if return_request.pickup_window else day
    return [(_("Pickup"), " · ".join(part for part in (when, return_request.pickup_reference) if part))]


def pickup_for_staff(return_request: ReturnRequest) -> str:
    """One line for staff, in English: the day, then the booking or why there is none ('' if not a pickup)."""
    if return_request.method != ReturnMethod.PICKUP:
        return ""
    day = return_request.pickup_date
    when = f"{day:%a} {day.day} {day:%b %Y}" if day else "no day"
    if return_request.pickup_problem:
        return f"{when}: could not be booked: {return_request.pickup_problem}"
    if not pickup_booked(return_request):
        return f"{when}: not booked yet"
    parts = [
        when,
        return_request.pickup_window,
        f"ref {return_request.pickup_reference}" if return_request.pickup_reference else "",
    ]
    return ", ".join(part for part in parts if part)
