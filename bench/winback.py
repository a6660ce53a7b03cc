#!/usr/bin/env python3
"""The win-back selection on PostgreSQL with 1M orders and 200k returns.

    .venv/bin/python bench/winback.py [--explain] [--smoke]

The data is `bench/data.py`'s (made on the first run): 300k customers (60 % with
marketing consent), 1M orders over two years, 200k returns (90 % completed, 10 %
still open), 20k earlier offers and 5k objections. `winback_candidates()` runs
five times; the figure is the median. Target: under 2 s (ratio = median / 2 s <= 1).
--smoke runs it once on a thousandth of the data and judges nothing.
"""

from __future__ import annotations

import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from bench import cli, data

TARGET_SECONDS = 2.0


def main() -> int:
    parser = cli.parser(__doc__)
    parser.add_argument("--explain", action="store_true", help="print PostgreSQL's plan of the selection")
    args = parser.parse_args()
    size = data.setup(smoke=args.smoke)

    from django.db import connection

    from followup.winback import winback_candidates

    winback_candidates()  # warm the caches, as the periodic job would find them
    times, found = [], 0
    for _ in range(1 if args.smoke else 5):
        started = time.perf_counter()
        found = len(winback_candidates())
        times.append(time.perf_counter() - started)
    median = statistics.median(times)
    if args.explain:
        from django.test.utils import CaptureQueriesContext

        with CaptureQueriesContext(connection) as queries:
            winback_candidates()
        with connection.cursor() as cursor:
            cursor.execute("EXPLAIN ANALYZE " + queries[-1]["sql"])
            print("\n".join(row[0] for row in cursor.fetchall()))
    print(f"{size}: {found:,} customers selected")
    print(f"selection: median {median * 1000:.0f} ms, runs " + ", ".join(f"{t * 1000:.0f}" for t in times) + " ms")
    ratio = median / TARGET_SECONDS
    return cli.verdict(f"(median / {TARGET_SECONDS:.0f} s target)", ratio, passed=ratio <= 1, smoke=args.smoke)


if __name__ == "__main__":
    sys.exit(main())
