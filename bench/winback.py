#!/usr/bin/env python3
"""The win-back selection on PostgreSQL with 1M orders and 200k returns.

    .venv/bin/python bench/winback.py [--explain]

Uses (and creates, migrates and fills on the first run) its own database,
`returns_portal_bench` on 127.0.0.1:5432, or BENCH_DATABASE_URL. The fill is
plain SQL (generate_series): 300k customers (60 % with marketing consent),
1M orders over two years, 200k returns (90 % completed, 10 % still open),
20k earlier offers and 5k objections. Then `winback_candidates()` runs five
times; the figure is the median. Target: under 2 s (ratio = median / 2 s <= 1).
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
BENCH_URL = os.environ.get("BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/returns_portal_bench")
os.environ["DATABASE_URL"] = BENCH_URL
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "returns_portal.settings")

import psycopg  # noqa: E402

TARGET_SECONDS = 2.0
CUSTOMERS, ORDERS, RETURNS, OFFERS, OBJECTIONS = 300_000, 1_000_000, 200_000, 20_000, 5_000

FILL = f"""
INSERT INTO returns_customer (email, name, street, postcode, city, country, language, marketing_consent,
                              consent_source, created_at)
SELECT 'c' || i || '@bench.example', 'Customer ' || i, '', '11122', 'Stockholm', 'SE', 'sv', i % 5 < 3,
       'checkout', now() - interval '3 years'
FROM generate_series(1, {CUSTOMERS}) AS i;

INSERT INTO returns_order (number, customer_id, placed_at, delivered_at, currency, language, payment_method,
                           shipping_amount, discount_amount, created_at, updated_at, shipment_tracking)
SELECT 'B' || i, 1 + (i::bigint * 7919) % {CUSTOMERS},
       now() - (i % 720) * interval '1 day' - (i % 86400) * interval '1 s', NULL,
       'SEK', 'sv', 'card', 49, 0, now(), now(), ''
FROM generate_series(1, {ORDERS}) AS i;

INSERT INTO returns_returnrequest (number, order_id, state, state_changed_at, resolution, method, language,
    rejection_reason, override_reason, created_at, carrier, tracking_number, qr_payload, items_amount, return_fee,
    restocking_fee, store_credit_bonus, shipping_refund, expected_refund)
SELECT 'RB' || lpad(i::text, 7, '0'), o.id, CASE WHEN i % 10 = 0 THEN 'approved' ELSE 'completed' END,
       o.placed_at + interval '17 days', 'refund', 'label', 'sv', '', '', o.placed_at + interval '10 days',
       '', '', '', 500, 0, 0, 0, 0, 500
FROM generate_series(1, {RETURNS}) AS i JOIN returns_order o ON o.number = 'B' || (i * 5);

INSERT INTO followup_offercode (code, customer_id, return_request_id, percent, expires_on, created_at)
SELECT 'WBB' || i, (SELECT o.customer_id FROM returns_order o WHERE o.id = r.order_id), r.id, 10,
       current_date + 30, now() - (i % 200) * interval '1 day'
FROM generate_series(1, {OFFERS}) AS i JOIN returns_returnrequest r ON r.number = 'RB' || lpad((i * 9)::text, 7, '0');

INSERT INTO followup_marketingobjection (email, at, source)
SELECT 'c' || (i * 37) || '@bench.example', now(), 'bench' FROM generate_series(1, {OBJECTIONS}) AS i;
"""


def ensure_database() -> None:
    name = BENCH_URL.rsplit("/", 1)[1]
    with psycopg.connect(BENCH_URL.rsplit("/", 1)[0] + "/postgres", autocommit=True) as admin:
        if not admin.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone():
            admin.execute(f'CREATE DATABASE "{name}"')


def fill() -> None:
    from django.core.management import call_command
    from django.db import connection

    call_command("migrate", verbosity=0)
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM returns_order")
        if cursor.fetchone()[0] == ORDERS:
            return
        print("Filling the bench database (once; about a minute)...", flush=True)
        started = time.perf_counter()
        cursor.execute(
            "TRUNCATE followup_outboxmessage, followup_offercode, followup_marketingobjection, "
            "returns_returnrequest, returns_order, returns_customer RESTART IDENTITY CASCADE"
        )
        cursor.execute(FILL)
        cursor.execute("ANALYZE")
        print(f"  filled in {time.perf_counter() - started:.0f} s")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--explain", action="store_true", help="print PostgreSQL's plan of the selection")
    args = parser.parse_args()
    ensure_database()
    import django

    django.setup()
    fill()

    from django.db import connection

    from followup.winback import winback_candidates

    winback_candidates()  # warm the caches, as the periodic job would find them
    times, found = [], 0
    for _ in range(5):
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
    print(f"orders {ORDERS:,}, returns {RETURNS:,}, customers {CUSTOMERS:,}: {found:,} customers selected")
    print(f"selection: median {median * 1000:.0f} ms, runs " + ", ".join(f"{t * 1000:.0f}" for t in times) + " ms")
    ratio = median / TARGET_SECONDS
    print(f"ratio (median / {TARGET_SECONDS:.0f} s target): {ratio:.2f}  {'PASS' if ratio <= 1 else 'FAIL'}")


if __name__ == "__main__":
    main()
