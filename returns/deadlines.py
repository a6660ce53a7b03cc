"""The return's dates, counted in the shop's local days: one rule for every page, PDF, e-mail and task.

A customer reads "send by 12 December" as "any time on 12 December, shop time". So
a deadline is a local day, and it has passed only when that whole day has: the
expiry task, the label, the status page and the refund promise all ask here.
"""

from __future__ import annotations

import datetime as dt

from django.utils import timezone

from returns.models import EU_WITHDRAWAL_DAYS, ReturnPolicy, ReturnRequest

# Staff lists flag refunds due within this many days as "due soon".
DUE_SOON_DAYS = 3


def local_day_starts(day: dt.date) -> dt.datetime:
    """The first moment of `day` in the shop's time zone (daylight saving included)."""
    return timezone.make_aware(dt.datetime.combine(day, dt.time.min))


def send_by(*, approved_at: dt.datetime, policy: ReturnPolicy | None = None) -> dt.date:
    """The last local day on which an approved return may be handed to the carrier."""
    days = (policy or ReturnPolicy.current()).send_within_days
    return timezone.localdate(approved_at) + dt.timedelta(days=days)


def return_send_by(return_request: ReturnRequest, policy: ReturnPolicy | None = None) -> dt.date:
    """The send-by day of an approved return, counted from its approval: its last change of state."""
    return send_by(approved_at=return_request.state_changed_at, policy=policy)


def approved_before_expiry_cutoff(*, now: dt.datetime, policy: ReturnPolicy | None = None) -> dt.datetime:
    """Returns approved before this moment have seen their whole send-by day pass by `now`."""
    days = (policy or ReturnPolicy.current()).send_within_days
    return local_day_starts(timezone.localdate(now) - dt.timedelta(days=days))


def refund_due_on(*, requested_at: dt.datetime, policy: ReturnPolicy | None = None) -> dt.date:
    """The earlier of the shop's promise and the 14 days EU law allows, counted from the request's local day."""
    days = min((policy or ReturnPolicy.current()).refund_within_days, EU_WITHDRAWAL_DAYS)
    return timezone.localdate(requested_at) + dt.timedelta(days=days)


def due_soon_until(today: dt.date) -> dt.date:
    """The last day a refund due from `today` on is "due soon" (see DUE_SOON_DAYS)."""
    return today + dt.timedelta(days=DUE_SOON_DAYS)
