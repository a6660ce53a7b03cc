"""The benchmark database: 1M orders (one line each), 200k returns (one line each), 300k customers,
a refund for each of the 180k completed returns, and 45k survey answers.

Its own database, `returns_portal_bench` on 127.0.0.1:5432 (or BENCH_DATABASE_URL),
made, migrated and filled with plain SQL (generate_series) on the first run, in
about a minute; later runs reuse it. Import this module before Django is set up.
"""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
BENCH_URL = os.environ.get("BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/returns_portal_bench")
os.environ["DATABASE_URL"] = BENCH_URL
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "returns_portal.settings")

import psycopg  # noqa: E402

CUSTOMERS, ORDERS, RETURNS, OFFERS, OBJECTIONS, VARIANTS = 300_000, 1_000_000, 200_000, 20_000, 5_000, 500

FILL = f"""
INSERT INTO returns_category (code, name) VALUES ('bench', 'Bench');
INSERT INTO returns_product (code, name, returnable, category_id)
SELECT 'BP' || i, 'Bench product ' || i, true, 1 FROM generate_series(1, 50) AS i;
INSERT INTO returns_variant (sku, option, stock, product_id)
SELECT 'BV' || i, 'Size ' || (i % 10), 100, 1 + i % 50 FROM generate_series(1, {VARIANTS}) AS i;

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

INSERT INTO returns_orderline (order_id, variant_id, quantity, unit_price, vat_rate)
SELECT i, 1 + i % {VARIANTS}, 1, 199 + (i % 10) * 100, 25 FROM generate_series(1, {ORDERS}) AS i;

INSERT INTO returns_returnline (return_request_id, order_line_id, quantity, reason_id, comment, condition, outcome,
                                outcome_reason, amount, reserved_quantity)
SELECT r.id, ol.id, 1, (SELECT array_agg(id ORDER BY id) FROM returns_returnreason)[1 + r.id % 9], '', '',
       'pending', '', ol.unit_price, 0
FROM returns_returnrequest r JOIN returns_orderline ol ON ol.order_id = r.order_id;

INSERT INTO refunds_refund (order_id, return_request_id, amount, currency, method, provider, provider_reference,
                            idempotency_key, state, reason, due_on, attempts, last_error, created_at, paid_at)
SELECT r.order_id, r.id, rl.amount - CASE WHEN r.id % 3 = 0 THEN 49 ELSE 0 END, 'SEK', 'original_payment', 'manual',
       'BG' || r.id, 'return:' || r.number, 'succeeded', '', (r.created_at + interval '14 days')::date, 1, '',
       r.created_at + interval '5 days', r.created_at + interval '5 days' + (r.id % 12) * interval '1 day'
FROM returns_returnrequest r JOIN returns_returnline rl ON rl.return_request_id = r.id WHERE r.state = 'completed';

INSERT INTO refunds_refundline (refund_id, kind, amount, vat_rate, vat_amount, return_line_id)
SELECT f.id, 'item', rl.amount, 25, round(rl.amount * 25 / 125, 2), rl.id
FROM refunds_refund f JOIN returns_returnline rl ON rl.return_request_id = f.return_request_id;
INSERT INTO refunds_refundline (refund_id, kind, amount, vat_rate, vat_amount)
SELECT f.id, 'return_fee', -49, 0, 0 FROM refunds_refund f WHERE f.return_request_id % 3 = 0;

INSERT INTO followup_surveyanswer (return_request_id, score, comment, answered_at)
SELECT r.id, 1 + r.id % 5, '', r.state_changed_at + interval '3 days'
FROM returns_returnrequest r WHERE r.state = 'completed' AND r.id % 4 = 0;

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


def setup() -> None:
    """Make, migrate and fill the database if needed, and set Django up on it."""
    ensure_database()
    import django

    django.setup()
    fill()


def fill() -> None:
    from django.core.management import call_command
    from django.db import connection

    call_command("migrate", verbosity=0)
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM returns_order")
        orders = cursor.fetchone()[0]
        cursor.execute("SELECT count(*) FROM returns_returnline")
        return_lines = cursor.fetchone()[0]
        cursor.execute("SELECT count(*) FROM refunds_refund")
        if orders == ORDERS and return_lines == RETURNS and cursor.fetchone()[0] > 0:
            return
        print("Filling the bench database (once; about a minute)...", flush=True)
        started = time.perf_counter()
        cursor.execute(
            "TRUNCATE followup_outboxmessage, followup_offercode, followup_marketingobjection, followup_surveyanswer, "
            "refunds_refundevent, refunds_refundline, refunds_storecredit, refunds_refund, "
            "returns_returnline, returns_returnrequest, returns_orderline, returns_order, returns_customer, "
            "returns_variant, returns_product, returns_category RESTART IDENTITY CASCADE"
        )
        cursor.execute(FILL)
        cursor.execute("ANALYZE")
        print(f"  filled in {time.perf_counter() - started:.0f} s")
