#!/usr/bin/env python3
"""Every insight dashboard panel, and the bookkeeping CSV, on PostgreSQL with 1M order lines and
200k return lines.

    .venv/bin/python bench/insight.py [--smoke]

The data is `bench/data.py`'s (made on the first run), over two years. Each panel is
computed for the last 365 days of orders, three times; the figure is the median.
Targets: every panel under 1 s; the year's bookkeeping CSV streams in constant
memory (its peak Python memory for a year within 1.5x of a month's).
Ratio = slowest panel / 1 s. --smoke computes each panel once on a thousandth of the
data and judges nothing.
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

TARGET_SECONDS = 1.0


def timed(run: Callable[[], Any], runs: int) -> float:
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        run()
        times.append(time.perf_counter() - started)
    return statistics.median(times)


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
        ("satisfaction", lambda: money.satisfaction(year)),
        ("customer flags (50 customers)", lambda: insight.customer_flags(some_customers, now=timezone.now())),
    ]
    print(size)
    print(f"{'panel':40} {'median ms':>9}")
    slowest = 0.0
    for name, run in panels:
        run()  # warm the caches
        seconds = timed(run, 1 if args.smoke else 3)
        slowest = max(slowest, seconds)
        print(f"{name:40} {seconds * 1000:9.0f}")
    month_rows, month_seconds, month_peak = stream(last_days(30))
    year_rows, year_seconds, year_peak = stream(last_days(365))
    print(f"bookkeeping CSV, a month: {month_rows:,} lines in {month_seconds:.1f} s, peak {month_peak / 1e6:.1f} MB")
    print(f"bookkeeping CSV, a year:  {year_rows:,} lines in {year_seconds:.1f} s, peak {year_peak / 1e6:.1f} MB")
    memory_ok = year_peak <= 1.5 * month_peak
    memory = f"memory: a year's peak is {year_peak / month_peak:.2f}x a month's (target <= 1.5)"
    print(f"{memory}  {cli.mark(memory_ok, smoke=args.smoke)}".rstrip())
    ratio = slowest / TARGET_SECONDS
    judged_by = "(slowest panel / 1 s target; and the CSV's memory)"
    return cli.verdict(judged_by, ratio, passed=ratio <= 1 and memory_ok, smoke=args.smoke)


if __name__ == "__main__":
    sys.exit(main())
