#!/usr/bin/env python3
"""Staff pages with 200k returns: the admin's returns list (with each filter) and the support search.

    .venv/bin/python bench/staff_pages.py

The data is `bench/data.py`'s (1M orders, 200k returns, made on the first run).
Each page is requested through Django's test client as a superuser, five times
after a warm-up; the figure is the median time and the number of queries, which
must not grow with the data. Target: every page under 500 ms (ratio = slowest
median / 500 ms <= 1).
"""

from __future__ import annotations

import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from bench import data  # sets DATABASE_URL to the bench database before Django starts

TARGET_SECONDS = 0.5
PAGES = [
    ("returns list", "/admin/returns/returnrequest/"),
    ("  state = completed", "/admin/returns/returnrequest/?state__exact=completed"),
    ("  reason = too small", "/admin/returns/returnrequest/?reason=too_small"),
    ("  refund overdue", "/admin/returns/returnrequest/?refund_due=late"),
    ("  search by e-mail", "/admin/returns/returnrequest/?q=c4242%40bench.example"),
    ("  search by return number", "/admin/returns/returnrequest/?q=RB0004242"),
    ("refunds list, late", "/admin/refunds/refund/?due=late"),
    ("orders list", "/admin/returns/order/"),
    ("  search by order number", "/admin/returns/order/?q=B21210"),
    ("outbox", "/admin/followup/outboxmessage/?state__exact=failed"),
    ("support: e-mail", "/support/?q=c4242%40bench.example"),
    ("support: order number", "/support/?q=B21210"),
    ("support: return number", "/support/?q=RB0004242"),
    ("support: name", "/support/?q=Customer%2042421"),
]


def main() -> None:
    data.setup()
    from django.contrib.auth.models import User
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext, setup_test_environment

    setup_test_environment()  # the test client needs it; it also switches e-mail to memory
    user, _ = User.objects.get_or_create(username="bench", defaults={"is_staff": True, "is_superuser": True})
    client = Client()
    client.force_login(user)
    slowest = 0.0
    print(f"{'page':28} {'median ms':>9} {'queries':>7}")
    for name, url in PAGES:
        client.get(url)  # warm-up
        times = []
        for _ in range(5):
            started = time.perf_counter()
            with CaptureQueriesContext(connection) as queries:
                response = client.get(url)
            times.append(time.perf_counter() - started)
            assert response.status_code == 200, (url, response.status_code)
        median = statistics.median(times)
        slowest = max(slowest, median)
        print(f"{name:28} {median * 1000:9.0f} {len(queries):7d}")
    ratio = slowest / TARGET_SECONDS
    print(f"slowest median {slowest * 1000:.0f} ms; ratio (slowest / {TARGET_SECONDS * 1000:.0f} ms target): "
          f"{ratio:.2f}  {'PASS' if ratio <= 1 else 'FAIL'}")  # fmt: skip


if __name__ == "__main__":
    main()
