"""The insight's rollups (`returns.models.rollups`): what counts as sold, as returned and as requested,
kept up to date where it changes, rebuilt from history, and read back for a period.

Writers call one function in their own transaction: order intake `orders_recount`, return creation
`return_counted`, a return becoming void `return_voided`. Each adds the difference it made with one
INSERT ... ON CONFLICT DO UPDATE SET units = units + excluded.units, so two transactions that count the
same row both land (the row lock of the conflict orders them); keys are sorted so two writers lock
rows in the same order and never deadlock.

Reading a period: its whole local days come from the rollups, the part-days at its ends (a period
from now - 365 days to now) from the order and return lines themselves, through the placed_at and
created_at indexes.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import reduce
from operator import or_
from typing import Any

from django.apps import apps as installed_apps
from django.apps.registry import Apps
from django.db import connection, transaction
from django.db.models import Count, Model, Q, QuerySet, Sum
from django.db.models.functions import TruncDate
from django.utils import timezone

from returns.models import VOID_STATES, OrderLine, ReturnLine, ReturnRequest, ReturnsRequested, UnitsReturned, UnitsSold
from returns_portal.core.periods import Period

SoldKey = tuple[dt.date, int]  # order day, variant
ReturnedKey = tuple[dt.date, int, int]  # order day, variant, reason
BATCH = 500
ROLLUPS = ("UnitsSold", "UnitsReturned", "ReturnsRequested")
COUNTED = ("OrderLine", "ReturnLine", "ReturnRequest")


# What counts: one definition each, for the rollups, their rebuild and the part-days read raw.


def shop_lines() -> Q:
    """Order lines that are sales: an exchange's replacement order is not one."""
    return Q(order__replacement_for__isnull=True)


def shop_return_lines() -> Q:
    """Return lines of shop orders (a replacement sent for an exchange may come back, but was never sold)."""
    return Q(order_line__order__replacement_for__isnull=True)


def standing_return_lines() -> Q:
    """Return lines of shop orders in returns that still stand (not rejected, cancelled or expired)."""
    return shop_return_lines() & ~Q(return_request__state__in=VOID_STATES)


def _within(periods: list[Period], field: str) -> Q:
    """`field` in any of the periods (the part-days at both ends of a period: one query, not two)."""
    return reduce(or_, (Q(**{f"{field}__gte": period.start, f"{field}__lt": period.end}) for period in periods))


def _local_day(path: str) -> TruncDate:
    return TruncDate(path, tzinfo=timezone.get_default_timezone())


def _midnight(day: dt.date) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time()), timezone.get_default_timezone())


# Counting: what some orders or a return add to the rollups now.


@dataclass
class Tally:
    """What some rows count for in each rollup, by the rollup's key."""

    sold: Counter[SoldKey] = field(default_factory=Counter)
    returned: Counter[ReturnedKey] = field(default_factory=Counter)
    requested: Counter[dt.date] = field(default_factory=Counter)  # returns per day requested
    requested_units: Counter[dt.date] = field(default_factory=Counter)


def _tally(
    sold: QuerySet[OrderLine] | None, returned: QuerySet[ReturnLine], requested: QuerySet[ReturnRequest] | None
) -> Tally:
    tally = Tally()
    if sold is not None:
        by_day = sold.annotate(day=_local_day("order__placed_at"))
        for day, variant, units in _grouped(by_day, ("day", "variant_id"), n=Sum("quantity")):
            tally.sold[day, variant] += units
    by_order_day = returned.annotate(day=_local_day("order_line__order__placed_at"))
    for day, variant, reason, units in _grouped(
        by_order_day, ("day", "order_line__variant_id", "reason_id"), n=Sum("quantity")
    ):
        tally.returned[day, variant, reason] += units
    if requested is not None:
        by_request_day = requested.annotate(day=_local_day("created_at"))
        for day, returns, units in _grouped(
            by_request_day, ("day",), n=Count("id", distinct=True), units=Sum("lines__quantity")
        ):
            tally.requested[day], tally.requested_units[day] = returns, units or 0
    return tally


def _grouped(rows: QuerySet[Any, Any], keys: tuple[str, ...], **totals: Any) -> list[tuple[Any, ...]]:
    """One tuple per group: the keys, then the totals."""
    return list(rows.values_list(*keys).annotate(**totals).values_list(*keys, *totals).order_by())


def orders_tally(*, order_ids: Sequence[int]) -> Tally:
    """What these orders count for now: their lines, and their lines in returns that still stand (the
    days their returns were requested do not depend on the order)."""
    return _tally(
        OrderLine.objects.filter(shop_lines(), order_id__in=order_ids).order_by(),
        ReturnLine.objects.filter(standing_return_lines(), order_line__order_id__in=order_ids).order_by(),
        None,
    )


def return_tally(return_request: ReturnRequest) -> Tally:
    """What a return counts for while it stands, whatever its state now."""
    lines = ReturnLine.objects.filter(shop_return_lines(), return_request=return_request)
    return _tally(None, lines.order_by(), ReturnRequest.objects.filter(pk=return_request.pk).order_by())


# Recording: called by the services, inside their transaction.


def orders_recount(*, before: Tally, order_ids: Sequence[int]) -> None:
    """Orders were added or changed (lines, quantities, the day placed): record the difference from
    `before`, their `orders_tally` taken before the change."""
    record(orders_tally(order_ids=order_ids), before=before)


def return_counted(return_request: ReturnRequest) -> None:
    """A new return: it counts as requested, and its units as returned."""
    record(return_tally(return_request))


def return_voided(return_request: ReturnRequest) -> None:
    """A return was rejected, cancelled or expired (a final state): it no longer counts."""
    record(Tally(), before=return_tally(return_request))


def record(after: Tally, *, before: Tally | None = None, apps: Apps = installed_apps) -> None:
    before = before or Tally()
    sold, returned, requested = (apps.get_model("returns", name) for name in ROLLUPS)
    _add(sold, ("day", "variant"), ("units",), _difference([after.sold], [before.sold]))
    _add(returned, ("day", "variant", "reason"), ("units",), _difference([after.returned], [before.returned]))
    days = _difference([after.requested, after.requested_units], [before.requested, before.requested_units])
    _add(requested, ("day",), ("returns", "units"), [((day,), change) for day, change in days])


def _difference(after: list[Counter[Any]], before: list[Counter[Any]]) -> list[tuple[Any, tuple[int, ...]]]:
    """Per key, the change of each counter, for the keys where any changed; sorted by key."""
    keys = sorted(set().union(*after, *before))
    changes = [(key, tuple(now[key] - then[key] for now, then in zip(after, before, strict=True))) for key in keys]
    return [(key, change) for key, change in changes if any(change)]


def _add(model: type[Model], keys: tuple[str, ...], values: tuple[str, ...], changes: list[Any]) -> None:
    """Add each change to its row by key, creating the row when missing, in one statement per batch
    (PostgreSQL and SQLite share this syntax). A key starts with a day."""
    meta, ops = model._meta, connection.ops
    table = ops.quote_name(meta.db_table)
    key_columns = ", ".join(ops.quote_name(meta.get_field(name).column) for name in keys)  # type: ignore[union-attr,arg-type]
    value_columns = [ops.quote_name(name) for name in values]
    placeholders = "(" + ", ".join(["%s"] * (len(keys) + len(values))) + ")"
    additions = ", ".join(f"{column} = {table}.{column} + EXCLUDED.{column}" for column in value_columns)
    for start in range(0, len(changes), BATCH):
        batch = changes[start : start + BATCH]
        params = [value for (day, *ids), change in batch for value in (ops.adapt_datefield_value(day), *ids, *change)]
        with connection.cursor() as cursor:
            cursor.execute(
                f"INSERT INTO {table} ({key_columns}, {', '.join(value_columns)}) "
                f"VALUES {', '.join([placeholders] * len(batch))} "
                f"ON CONFLICT ({key_columns}) DO UPDATE SET {additions}",
                params,
            )


# Rebuilding from history: `manage.py rebuild_insight`, and the migration that adds the rollups.


def rebuild(apps: Apps = installed_apps) -> Tally:
    """Recount the rollups from every order and return, and return the count. Writers wait for it (a
    table lock on PostgreSQL, the database lock on SQLite), so none of their changes is lost or
    counted twice."""
    rollups = [apps.get_model("returns", name) for name in ROLLUPS]
    order_lines, return_lines, requests = (apps.get_model("returns", name) for name in COUNTED)
    with transaction.atomic():
        if connection.vendor == "postgresql":
            tables = ", ".join(connection.ops.quote_name(model._meta.db_table) for model in rollups)
            with connection.cursor() as cursor:
                cursor.execute(f"LOCK TABLE {tables} IN EXCLUSIVE MODE")
        for model in rollups:
            model.objects.all().delete()
        tally = _tally(
            order_lines.objects.filter(shop_lines()).order_by(),
            return_lines.objects.filter(standing_return_lines()).order_by(),
            requests.objects.exclude(state__in=VOID_STATES).order_by(),
        )
        record(tally, apps=apps)
    return tally


# Reading a period back.


def _split(period: Period) -> tuple[dt.date, dt.date, list[Period]]:
    """The period's whole local days [first, last), and the part-days left at its ends."""
    tz = timezone.get_default_timezone()
    first, last = period.start.astimezone(tz).date(), period.end.astimezone(tz).date()
    if _midnight(first) < period.start:
        first += dt.timedelta(days=1)
    if first >= last:
        return first, first, [period]
    edges = [Period(period.start, _midnight(first)), Period(_midnight(last), period.end)]
    return first, last, [edge for edge in edges if edge.start < edge.end]


def units_sold(period: Period) -> dict[int, int]:
    """Units bought per variant by the period's shop orders."""
    first, last, edges = _split(period)
    totals: Counter[int] = Counter()
    rows = _grouped(UnitsSold.objects.filter(day__gte=first, day__lt=last), ("variant_id",), n=Sum("units"))
    if edges:
        raw = OrderLine.objects.filter(shop_lines(), _within(edges, "order__placed_at"))
        rows += _grouped(raw, ("variant_id",), n=Sum("quantity"))
    for variant, units in rows:
        totals[variant] += units
    return {variant: units for variant, units in totals.items() if units}


def units_returned(period: Period) -> dict[tuple[int, str], int]:
    """Units of the period's orders in returns that still stand, per variant and reason code."""
    first, last, edges = _split(period)
    totals: Counter[tuple[int, str]] = Counter()
    days = UnitsReturned.objects.filter(day__gte=first, day__lt=last)
    rows = _grouped(days, ("variant_id", "reason__code"), n=Sum("units"))
    if edges:
        raw = ReturnLine.objects.filter(standing_return_lines(), _within(edges, "order_line__order__placed_at"))
        rows += _grouped(raw, ("order_line__variant_id", "reason__code"), n=Sum("quantity"))
    for variant, reason, units in rows:
        totals[variant, reason] += units
    return {key: units for key, units in totals.items() if units}


def weekly_requested(period: Period) -> list[tuple[dt.date, int, int]]:
    """(Monday, returns, units) per local week, for the returns requested in the period that still stand."""
    first, last, edges = _split(period)
    returns: Counter[dt.date] = Counter()
    units: Counter[dt.date] = Counter()
    days = ReturnsRequested.objects.filter(day__gte=first, day__lt=last)
    rows: list[tuple[Any, ...]] = list(days.values_list("day", "returns", "units"))
    if edges:
        raw = ReturnRequest.objects.filter(_within(edges, "created_at")).exclude(state__in=VOID_STATES)
        raw_days = raw.annotate(day=_local_day("created_at"))
        rows += _grouped(raw_days, ("day",), n=Count("id", distinct=True), units=Sum("lines__quantity"))
    for day, day_returns, day_units in rows:
        week = day - dt.timedelta(days=day.weekday())
        returns[week] += day_returns
        units[week] += day_units or 0
    return [(week, returns[week], units[week]) for week in sorted(returns) if returns[week]]
