"""What customers said, for the dashboard: the survey's answers per period. Grouped queries only."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Count

from followup.models import SurveyAnswer
from returns_portal.core.periods import Period


@dataclass(frozen=True)
class Satisfaction:
    answers: int
    average: Decimal | None
    per_score: list[tuple[int, int]]  # score 1-5, answers


def satisfaction(period: Period) -> Satisfaction:
    """Survey answers for returns requested in the period."""
    answered = SurveyAnswer.objects.filter(
        return_request__created_at__gte=period.start, return_request__created_at__lt=period.end
    )
    rows = dict(answered.values_list("score").annotate(n=Count("id")).values_list("score", "n").order_by())
    total = sum(rows.values())
    average = sum(score * n for score, n in rows.items()) / total if total else None
    return Satisfaction(
        answers=total,
        average=Decimal(average).quantize(Decimal("0.1")) if average is not None else None,
        per_score=[(score, rows.get(score, 0)) for score in range(1, 6)],
    )
