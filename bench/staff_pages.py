#!/usr/bin/env python3
"""Staff pages with 200k returns: the admin's returns list (with each filter) and the support search.

    .venv/bin/python bench/staff_pages.py [--smoke]

The data is `bench/data.py`'s (1M orders, 200k returns, made on the first run).
Each page is requested through Django's test client as a superuser, five times
after a warm-up; the figure is the median time and the number of queries, which
must not grow with the data. Target: every page under 500 ms (ratio = slowest
median / 500 ms <= 1). --smoke requests each page twice on a thousandth of the
data and judges nothing.
"""

from __future__ import annotations

import statistics
import sys
import time
from pathlib import Path
from urllib.parse import quote

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from bench import cli, data

TARGET_SECONDS = 0.5


def pages(size: data.Size) -> list[tuple[str, str]]:
    email, name = quote(size.email), quote(size.customer_name)
    return [
        ("returns list", "/admin/returns/returnrequest/"),
        ("  state = completed", "/admin/returns/returnrequest/?state__exact=completed"),
        ("  reason = too small", "/admin/returns/returnrequest/?reason=too_small"),
        ("  refund overdue", "/admin/returns/returnrequest/?refund_due=late"),
        ("  search by e-mail", f"/admin/returns/returnrequest/?q={email}"),
        ("  search by return number", f"/admin/returns/returnrequest/?q={size.return_number}"),
        ("refunds list, late", "/admin/refunds/refund/?due=late"),
        ("orders list", "/admin/returns/order/"),
        ("  search by order number", f"/admin/returns/order/?q={size.order_number}"),
        ("outbox", "/admin/followup/outboxmessage/?state__exact=failed"),
        ("support: e-mail", f"/support/?q={email}"),
        ("support: order number", f"/support/?q={size.order_number}"),
        ("support: return number", f"/support/?q={size.return_number}"),
        ("support: name", f"/support/?q={name}"),
    ]


def main() -> int:
    args = cli.parser(__doc__).parse_args()
    size = data.setup(smoke=args.smoke)
    from django.contrib.auth.models import User
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext, setup_test_environment

    setup_test_environment()  # the test client needs it; it also switches e-mail to memory
    user, _ = User.objects.get_or_create(username="bench", defaults={"is_staff": True, "is_superuser": True})
    client = Client()
    client.force_login(user)
    slowest = 0.0
    print(size)
    print(f"{'page':28} {'median ms':>9} {'queries':>7}")
    for name, url in pages(size):
        client.get(url)  # warm-up
        times = []
        for _ in range(1 if args.smoke else 5):
            started = time.perf_counter()
            with CaptureQueriesContext(connection) as queries:
                response = client.get(url)
            times.append(time.perf_counter() - started)
            if response.status_code != 200:
                raise SystemExit(f"{url} answered {response.status_code}")
        median = statistics.median(times)
        slowest = max(slowest, median)
        print(f"{name:28} {median * 1000:9.0f} {len(queries):7d}")
    ratio = slowest / TARGET_SECONDS
    print(f"slowest median {slowest * 1000:.0f} ms")
    judged_by = f"(slowest / {TARGET_SECONDS * 1000:.0f} ms target)"
    return cli.verdict(judged_by, ratio, passed=ratio <= 1, smoke=args.smoke)


if __name__ == "__main__":
    sys.exit(main())
