"""Money for the dashboard: refunds paid, how long they took, how many were late. Grouped database
queries only."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Count, DurationField, ExpressionWrapper, F, Q, Sum

from refunds.models import Refund, RefundState
from refunds.selectors import refunds_late
from returns_portal.core.periods import Period


@dataclass(frozen=True)
class MoneyFigures:
    paid: list[tuple[str, Decimal, int]]  # currency, amount, refunds
    average_days: Decimal | None  # from the customer's request to the money going out
    late_share: Decimal | None  # of refunds paid in the period, the share paid after their due day
    open_late: int  # not paid yet and already past their due day


def money(period: Period) -> MoneyFigures:
    """One pass over the period's paid refunds, grouped by currency. The wait and the late share count
    refunds for a return only (a goodwill refund was never asked for through one); the wait is read from
    `Refund.requested_at`, not the return, so the query joins nothing (issue #15)."""
    paid = Refund.objects.filter(state=RefundState.SUCCEEDED, paid_at__gte=period.start, paid_at__lt=period.end)
    for_return = Q(return_request__isnull=False)  # the refund's own column: no join
    waited = ExpressionWrapper(F("paid_at") - F("requested_at"), output_field=DurationField())
    rows = list(
        paid.values("currency")
        .annotate(
            amount=Sum("amount"),
            count=Count("id"),
            waited=Sum(waited, filter=for_return),
            returns=Count("id", filter=for_return),
            late=Count("id", filter=for_return & Q(paid_at__date__gt=F("due_on"))),
        )
        .order_by("currency")
    )
    returns = sum(row["returns"] for row in rows)
    waited_total = sum((row["waited"] for row in rows if row["waited"] is not None), dt.timedelta())
    average = waited_total / returns if returns else None
    return MoneyFigures(
        paid=[(row["currency"], row["amount"], row["count"]) for row in rows],
        average_days=Decimal(average.total_seconds() / 86400).quantize(Decimal("0.1")) if average else None,
        late_share=Decimal(sum(row["late"] for row in rows)) / returns if returns else None,
        open_late=refunds_late().count(),
    )
