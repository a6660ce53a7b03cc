"""The support agents' search: any return by order number, e-mail, return or tracking number, or name."""

from __future__ import annotations

from django.db.models import Prefetch, Q, QuerySet

from returns.models import ReturnLine, ReturnRequest
from returns.numbers import normalize_return_number

RESULTS = 20


def support_search(query: str) -> QuerySet[ReturnRequest]:
    """Newest first, at most RESULTS, with everything the result page shows in a fixed number of queries."""
    text = query.strip()
    if len(text) < 2:
        return ReturnRequest.objects.none()
    match = (
        Q(order__number__iexact=text)
        | Q(order__customer__email__iexact=text)
        | Q(tracking_number__iexact=text)
        | Q(order__customer__name__icontains=text)
    )
    if number := normalize_return_number(text):
        match |= Q(number=number)
    lines = ReturnLine.objects.select_related("order_line__variant__product", "reason")
    return (
        ReturnRequest.objects.filter(match)
        .select_related("order__customer", "replacement_order")
        # refunds and the e-mails sent: the apps above, read through their reverse relations
        .prefetch_related(Prefetch("lines", queryset=lines), "history", "refunds__store_credit", "outbox_messages")
        .order_by("-created_at")[:RESULTS]
    )
