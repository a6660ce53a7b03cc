"""Queries: the bridge from the models to the pure rules in `returns.policy`."""

from __future__ import annotations

import datetime as dt

from django.db.models import Q, QuerySet, Sum
from django.db.models.functions import Coalesce
from django.utils import timezone

from returns.models import VOID_STATES, Order, OrderLine, ReturnPolicy
from returns.policy import LineEligibility, LineFacts, OrderFacts, PolicyRules, eligibility


def policy_rules(policy: ReturnPolicy) -> PolicyRules:
    return PolicyRules(
        window_days=policy.window_days,
        extensions=tuple(extension.as_rule() for extension in policy.extensions.all()),
        non_returnable_categories=frozenset(policy.non_returnable_categories.values_list("id", flat=True)),
        non_returnable_products=frozenset(policy.non_returnable_products.values_list("id", flat=True)),
    )


def order_lines_with_returned(order: Order) -> QuerySet[OrderLine]:
    """The order's lines with their product, and `already_returned`: units claimed by returns still alive."""
    alive = ~Q(return_lines__return_request__state__in=VOID_STATES)
    return (
        order.lines.select_related("variant__product__category")
        .annotate(already_returned=Coalesce(Sum("return_lines__quantity", filter=alive), 0))
        .order_by("id")
    )


def order_facts(order: Order, lines: QuerySet[OrderLine] | None = None) -> OrderFacts:
    lines = order_lines_with_returned(order) if lines is None else lines
    return OrderFacts(
        placed_on=_local_day(order.placed_at),
        delivered_on=_local_day(order.delivered_at) if order.delivered_at else None,
        lines=tuple(
            LineFacts(
                line_id=line.id,
                product_id=line.variant.product_id,
                category_id=line.variant.product.category_id,
                product_returnable=line.variant.product.returnable,
                quantity=line.quantity,
                already_returned=line.already_returned,  # type: ignore[attr-defined]
            )
            for line in lines
        ),
    )


def order_eligibility(order: Order, policy: ReturnPolicy, now: dt.datetime) -> dict[int, LineEligibility]:
    return eligibility(order_facts(order), policy_rules(policy), _local_day(now))


def _local_day(moment: dt.datetime) -> dt.date:
    """Days are the shop's days (TIME_ZONE): a window ends at local midnight, not UTC's."""
    return timezone.localdate(moment)
