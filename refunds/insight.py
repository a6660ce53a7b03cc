"""Money and satisfaction for the dashboard: refunds paid, how long they took, how many were late,
and what customers said. Grouped database queries only."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Avg, Count, DurationField, ExpressionWrapper, F, Q, Sum

from refunds.models import Refund, RefundState
from refunds.selectors import refunds_late
from returns.models import ReturnRequest
from returns_portal.core.periods import Period


@dataclass(frozen=True)
class MoneyFigures:
    paid: list[tuple[str, Decimal, int]]  # currency, amount, refunds
    average_days: Decimal | None  # from the customer's request to the money going out
    late_share: Decimal | None  # of refunds paid in the period, the share paid after their due day
    open_late: int  # not paid yet and already past their due day


def money(period: Period) -> MoneyFigures:
    paid = Refund.objects.filter(state=RefundState.SUCCEEDED, paid_at__gte=period.start, paid_at__lt=period.end)
    per_currency = paid.values("currency").annotate(amount=Sum("amount"), count=Count("id")).order_by("currency")
    waited = ExpressionWrapper(F("paid_at") - F("return_request__created_at"), output_field=DurationField())
    figures = paid.filter(return_request__isnull=False).aggregate(
        waited=Avg(waited), count=Count("id"), late=Count("id", filter=Q(paid_at__date__gt=F("due_on")))
    )
    average = figures["waited"]
    open_late = refunds_late().count()
    return MoneyFigures(
        paid=[(row["currency"], row["amount"], row["count"]) for row in per_currency],
        average_days=Decimal(average.total_seconds() / 86400).quantize(Decimal("0.1")) if average else None,
        late_share=Decimal(figures["late"]) / figures["count"] if figures["count"] else None,
        open_late=open_late,
    )


@dataclass(frozen=True)
class Satisfaction:
    answers: int
    average: Decimal | None
    per_score: list[tuple[int, int]]  # score 1-5, answers


def satisfaction(period: Period) -> Satisfaction:
    """Survey answers for returns requested in the period (read through the return: the answers
    belong to the follow-up app, which builds on this one)."""
    answered = ReturnRequest.objects.filter(
        created_at__gte=period.start, created_at__lt=period.end, survey_answer__isnull=False
    )
    rows = dict(
        answered.values_list("survey_answer__score").annotate(n=Count("id")).values_list("survey_answer__score", "n")
    )
    total = sum(rows.values())
    average = sum(score * n for score, n in rows.items()) / total if total else None
    return Satisfaction(
        answers=total,
        average=Decimal(average).quantize(Decimal("0.1")) if average is not None else None,
        per_score=[(score, rows.get(score, 0)) for score in range(1, 6)],
    )
