#!/usr/bin/env python3
"""Every insight dashboard panel, and the bookkeeping CSV, on PostgreSQL with 1M order lines and
200k return lines.

    .venv/bin/python bench/insight.py [--smoke]

The data is `bench/data.py`'s (made on the first run), over two years; it is written with plain SQL,
around the services, so the insight's rollups are rebuilt from it first when their totals differ
(`rebuild_insight`, timed).
Each panel is computed for the last 365 days of orders, three times; the figure is the median, and
so is the yardstick's: a bare `SELECT variant_id, sum(quantity) FROM returns_orderline GROUP BY
variant_id` over every order line.
Targets: every panel within 2x of the bare GROUP BY; the year's bookkeeping CSV under 3 s, streaming
in constant memory (its peak Python memory for a year within 1.5x of a month's).
Ratio = the larger of (slowest panel / bare GROUP BY) / 2 and (the year's CSV / 3 s): at most 1.00
passes. --smoke computes each panel once on a thousandth of the data and judges nothing.
"""

from __future__ import annotations

import statistics
import sys
import time
import tracemalloc
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from bench import cli, data

PANEL_TIMES_BARE = 2.0  # a panel may take this many times the bare GROUP BY
CSV_SECONDS = 3.0  # the year's bookkeeping CSV
BARE_GROUP_BY = "SELECT variant_id, sum(quantity) FROM returns_orderline GROUP BY variant_id"


def timed(run: Callable[[], Any], runs: int) -> float:
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        run()
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def bare_group_by() -> None:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(BARE_GROUP_BY)
        cursor.fetchall()


def rollups_up_to_date() -> str:
    """The fill writes orders and returns with plain SQL, around the services that count them: rebuild
    the rollups when their totals differ from the lines' (the migration that adds them counts too)."""
    from django.db.models import Sum

    from returns.models import OrderLine, ReturnLine, UnitsReturned, UnitsSold
    from returns.rollups import rebuild, shop_lines, standing_return_lines

    counted = (UnitsSold.objects.aggregate(n=Sum("units"))["n"], UnitsReturned.objects.aggregate(n=Sum("units"))["n"])
    raw = (
        OrderLine.objects.filter(shop_lines()).aggregate(n=Sum("quantity"))["n"],
        ReturnLine.objects.filter(standing_return_lines()).aggregate(n=Sum("quantity"))["n"],
    )
    if counted == raw:
        return "rollups up to date with the order and return lines"
    started = time.perf_counter()
    rebuild()
    return f"rollups rebuilt from the order and return lines in {time.perf_counter() - started:.1f} s"


def stream(period: Any) -> tuple[int, float, int]:
    """Rows, seconds and peak traced memory (bytes) of streaming the CSV for `period`; timed on a run
    of its own, since tracing memory slows Python down several times."""
    from refunds.bookkeeping import report_csv

    started = time.perf_counter()
    rows = sum(1 for _line in report_csv(period))
    seconds = time.perf_counter() - started
    tracemalloc.start()
    sum(1 for _line in report_csv(period))
    _current, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return rows, seconds, peak


def main() -> int:
    args = cli.parser(__doc__).parse_args()
    size = data.setup(smoke=args.smoke)
    from django.utils import timezone

    from followup.insight import satisfaction
    from refunds import insight as money
    from returns import insight
    from returns.models import Customer
    from returns_portal.core.periods import last_days

    year = last_days(365)
    some_customers = list(Customer.objects.values_list("pk", flat=True)[:50])
    panels: list[tuple[str, Callable[[], Any]]] = [
        ("rates per product and category, reasons", lambda: insight.cohort(year)),
        ("weekly trend", lambda: insight.weekly_trend(year)),
        ("product flags", lambda: insight.product_flags(year)),
        ("refunds paid, days, late share", lambda: money.money(year)),
        ("satisfaction", lambda: satisfaction(year)),
        ("customer flags (50 customers)", lambda: insight.customer_flags(some_customers, now=timezone.now())),
    ]
    print(size)
    print(rollups_up_to_date())
    runs = 1 if args.smoke else 3
    bare_group_by()  # warm the caches
    bare = timed(bare_group_by, runs)
    print(f"{'panel':40} {'median ms':>9} {'x bare':>7}")
    print(f"{'bare GROUP BY variant (the yardstick)':40} {bare * 1000:9.0f} {1:7.2f}")
    slowest = 0.0
    for name, run in panels:
        run()  # warm the caches
        seconds = timed(run, runs)
        slowest = max(slowest, seconds)
        ok = seconds <= PANEL_TIMES_BARE * bare
        print(f"{name:40} {seconds * 1000:9.0f} {seconds / bare:7.2f}  {cli.mark(ok, smoke=args.smoke)}".rstrip())
    month_rows, month_seconds, month_peak = stream(last_days(30))
    year_rows, year_seconds, year_peak = stream(last_days(365))
    print(f"bookkeeping CSV, a month: {month_rows:,} lines in {month_seconds:.1f} s, peak {month_peak / 1e6:.1f} MB")
    csv_ok = year_seconds <= CSV_SECONDS
    print(
        f"bookkeeping CSV, a year:  {year_rows:,} lines in {year_seconds:.1f} s (target <= {CSV_SECONDS:.0f} s), "
        f"peak {year_peak / 1e6:.1f} MB  {cli.mark(csv_ok, smoke=args.smoke)}".rstrip()
    )
    memory_ok = year_peak <= 1.5 * month_peak
    memory = f"memory: a year's peak is {year_peak / month_peak:.2f}x a month's (target <= 1.5)"
    print(f"{memory}  {cli.mark(memory_ok, smoke=args.smoke)}".rstrip())
    panels_ratio = slowest / bare / PANEL_TIMES_BARE
    print(f"slowest panel: {slowest / bare:.2f}x the bare GROUP BY (target <= {PANEL_TIMES_BARE:.0f}x)")
    ratio = max(panels_ratio, year_seconds / CSV_SECONDS)
    judged_by = "(larger of: slowest panel / bare GROUP BY / 2, year's CSV / 3 s; and the CSV's memory)"
    return cli.verdict(judged_by, ratio, passed=ratio <= 1 and memory_ok, smoke=args.smoke)


if __name__ == "__main__":
    sys.exit(main())
