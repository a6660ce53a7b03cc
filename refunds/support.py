"""The support agents' search: any return by order number, e-mail, return or tracking number, or name,
with where its money is. The API's look-up answers with it; the support page adds the e-mails sent."""

from __future__ import annotations

from django.db.models import Prefetch, QuerySet

from returns.models import ReturnRequest
from returns.selectors import return_match, staff_return_lines

RESULTS = 20


def support_search(query: str) -> QuerySet[ReturnRequest]:
    """Newest first, at most RESULTS, with everything the result page shows in a fixed number of queries
    (see `returns.selectors.return_match` for what matches)."""
    if len(query.strip()) < 2:
        return ReturnRequest.objects.none()
    return (
        ReturnRequest.objects.filter(return_match(query))
        .select_related("order__customer", "replacement_order")
        .prefetch_related(Prefetch("lines", queryset=staff_return_lines()), "history", "refunds__store_credit")
        .order_by("-created_at")[:RESULTS]
    )
