"""Queries: the bridge from the models to the pure rules in `returns.policy`."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from django.db.models import Prefetch, Q, QuerySet, Sum
from django.db.models.functions import Coalesce, Lower
from django.db.models.lookups import Exact
from django.utils import timezone

from returns.carriers import parse_qr_payload
from returns.models import (
    VOID_STATES,
    Customer,
    HelpGuide,
    Order,
    OrderLine,
    Resolution,
    ReturnLine,
    ReturnPhoto,
    ReturnPolicy,
    ReturnReason,
    ReturnRequest,
    Variant,
)
from returns.numbers import normalize_return_number
from returns.policy import LineEligibility, LineFacts, OrderFacts, PolicyRules, eligibility
from returns.pricing import PricedOrderLine, Quote, Selection, Terms, quote
from returns_portal.core.money import ZERO


def policy_rules(policy: ReturnPolicy) -> PolicyRules:
    return PolicyRules(
        window_days=policy.window_days,
        extensions=tuple(extension.as_rule() for extension in policy.extensions.all()),
        non_returnable_categories=frozenset(category.id for category in policy.non_returnable_categories.all()),
        non_returnable_products=frozenset(product.id for product in policy.non_returnable_products.all()),
    )


def order_lines_with_returned(order: Order) -> QuerySet[OrderLine]:
    """The order's lines with their product, and `already_returned`: units claimed by returns still alive."""
    alive = ~Q(return_lines__return_request__state__in=VOID_STATES)
    return (
        order.lines.select_related("variant__product__category")
        .annotate(already_returned=Coalesce(Sum("return_lines__quantity", filter=alive), 0))
        .order_by("id")
    )


def order_facts(order: Order, lines: Sequence[OrderLine] | None = None) -> OrderFacts:
    lines = list(order_lines_with_returned(order)) if lines is None else lines
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


def order_eligibility(
    order: Order, policy: ReturnPolicy, now: dt.datetime, lines: Sequence[OrderLine] | None = None
) -> dict[int, LineEligibility]:
    return eligibility(order_facts(order, lines), policy_rules(policy), _local_day(now))


def priced_lines(lines: Sequence[OrderLine]) -> list[PricedOrderLine]:
    """Lines from `order_lines_with_returned`, as the pricing rules want them."""
    return [
        PricedOrderLine(line.id, line.quantity, line.unit_price, line.vat_rate, line.already_returned)  # type: ignore[attr-defined]
        for line in lines
    ]


def return_terms(policy: ReturnPolicy, method: str, currency: str) -> Terms:
    option = next((option for option in policy.methods.all() if option.method == method), None)
    return Terms(
        return_fee=option.fee(currency) if option else ZERO,
        restocking_percent=policy.restocking_fee_percent,
        free_returns=policy.free_returns,
        free_exchanges=policy.free_exchanges,
        store_credit_bonus_percent=policy.store_credit_bonus_percent,
    )


def quote_return(
    *,
    order: Order,
    lines: Sequence[OrderLine],
    policy: ReturnPolicy,
    selections: Sequence[Selection],
    resolution: str,
    method: str,
) -> Quote:
    """The customer's quote: the one computation behind the preview, the saved return and the refund."""
    return quote(
        order_lines=priced_lines(lines),
        discount=order.discount_amount,
        shipping=order.shipping_amount,
        currency=order.currency,
        selections=selections,
        terms=return_terms(policy, method, order.currency),
        exchange=resolution == Resolution.EXCHANGE,
        store_credit=resolution == Resolution.STORE_CREDIT,
    )


def _local_day(moment: dt.datetime) -> dt.date:
    """Days are the shop's days (TIME_ZONE): a window ends at local midnight, not UTC's."""
    return timezone.localdate(moment)


def order_by_lookup(number: str, contact: str) -> Order | None:
    """The order if `contact` is its customer's e-mail or postcode; None says nothing about which part was wrong."""
    order = Order.objects.select_related("customer").filter(number__iexact=number.strip()).first()
    if order is None:
        return None
    given = contact.strip()
    postcode = "".join(order.customer.postcode.split()).upper()
    if given.lower() == order.customer.email.lower() or (postcode and "".join(given.split()).upper() == postcode):
        return order
    return None


def exchange_options(lines: Sequence[OrderLine]) -> dict[int, list[Variant]]:
    """Per order line: the other variants of its product that are in stock."""
    variants = Variant.objects.filter(product_id__in={line.variant.product_id for line in lines}, stock__gt=0)
    by_product: dict[int, list[Variant]] = {}
    for variant in variants.order_by("option", "sku"):
        by_product.setdefault(variant.product_id, []).append(variant)
    return {
        line.id: [variant for variant in by_product.get(line.variant.product_id, []) if variant.id != line.variant_id]
        for line in lines
    }


def staff_return_lines() -> QuerySet[ReturnLine]:
    """Return lines as staff see them (receiving screen, admin, support page, API): the item, the
    reason, the wanted variant and the customer's photos, in a fixed number of queries."""
    return ReturnLine.objects.select_related(
        "order_line__variant__product", "reason", "exchange_variant__product"
    ).prefetch_related(Prefetch("photos", queryset=ReturnPhoto.objects.order_by("uploaded_at", "id")))


def return_for_status(pk: int) -> ReturnRequest:
    """The return with what its status page shows of this app; the payouts come from `returns.extensions`."""
    lines = ReturnLine.objects.select_related("order_line__variant__product", "reason", "exchange_variant__product")
    return (
        ReturnRequest.objects.select_related("order__customer", "replacement_order")
        .prefetch_related(Prefetch("lines", queryset=lines), "history", "parcel_events")
        .get(pk=pk)
    )


def help_guides_for(order: Order, claims: dict[int, str], language: str) -> list[tuple[int, HelpGuide]]:
    """Per order line claimed with a repairable reason (defect, damage): its product's self-help guide,
    in `language` or else in English. Lines without a guide are left out."""
    repairable = set(ReturnReason.objects.filter(allows_repair=True).values_list("code", flat=True))
    claimed = [line_id for line_id, reason in claims.items() if reason in repairable]
    if not claimed:
        return []
    lines = {line.id: line for line in order.lines.filter(id__in=claimed).select_related("variant")}
    best: dict[int, HelpGuide] = {}
    for guide in HelpGuide.objects.filter(
        product_id__in={line.variant.product_id for line in lines.values()}, language__in=[language, "en"]
    ):
        if guide.language == language or guide.product_id not in best:
            best[guide.product_id] = guide
    return [
        (line_id, best[line.variant.product_id]) for line_id, line in lines.items() if line.variant.product_id in best
    ]


SEARCH_CUSTOMERS, SEARCH_ORDERS = 50, 500


def order_match(text: str) -> Q:
    """Orders by their number, or by the customer's e-mail or part of their name; indexed lookups
    (e-mail by its lower-case unique index, names by the trigram index on PostgreSQL)."""
    text = text.strip()
    if "@" in text:
        customers = Customer.objects.filter(Exact(Lower("email"), text.lower()))
    else:
        customers = Customer.objects.filter(name__icontains=text)
    customer_ids = list(customers.values_list("pk", flat=True)[:SEARCH_CUSTOMERS])
    return Q(number__in={text, text.upper()}) | Q(customer_id__in=customer_ids)


def return_match(text: str) -> Q:
    """What finds a return from what a customer, a label or a scanner says: the return number
    (spaces, dashes and lower case forgiven), the tracking number, the label's QR code, or the
    order's (see `order_match`). The customers and orders are found first, in two small queries,
    so the search never scans the returns.
    """
    text = text.strip()
    if scanned := parse_qr_payload(text.upper()):
        return_number, tracking_number = scanned
        return Q(number=normalize_return_number(return_number) or return_number) | Q(tracking_number=tracking_number)
    if len(text) < 2:
        return Q(pk__in=[])
    order_ids = list(Order.objects.filter(order_match(text)).values_list("pk", flat=True)[:SEARCH_ORDERS])
    match = Q(order_id__in=order_ids) | Q(tracking_number=text.upper())
    if number := normalize_return_number(text):
        match |= Q(number=number)
    return match
