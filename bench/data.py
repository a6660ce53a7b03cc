"""The benchmark database: 1M orders (one line each), 200k returns (one line each), 300k customers,
a refund for each of the 180k completed returns, and 45k survey answers; or, with --smoke, the same
shape a thousand times smaller.

Its own database, `returns_portal_bench` (`returns_portal_bench_smoke` for --smoke) on
127.0.0.1:5432, or BENCH_DATABASE_URL; made, migrated and filled with plain SQL
(generate_series) on the first run, in about a minute (a second for --smoke); later
runs reuse it. `setup()` points Django at it, so call it before anything imports models.
"""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import psycopg


@dataclass(frozen=True)
class Size:
    customers: int
    orders: int
    returns: int
    offers: int
    objections: int
    variants: int
    sample: int  # the return the staff searches look for, with its order and a customer

    @property
    def return_number(self) -> str:
        return f"RB{self.sample:07d}"

    @property
    def order_number(self) -> str:
        return f"B{self.sample * 5}"  # return i is on order 5i

    @property
    def email(self) -> str:
        return f"c{self.sample}@bench.example"

    @property
    def customer_name(self) -> str:
        return f"Customer {self.sample * 10 + 1}"

    def __str__(self) -> str:
        return f"orders {self.orders:,}, returns {self.returns:,}, customers {self.customers:,}"


FULL = Size(customers=300_000, orders=1_000_000, returns=200_000, offers=20_000, objections=5_000, variants=500,
            sample=4242)  # fmt: skip
SMOKE = Size(customers=500, orders=1_000, returns=200, offers=20, objections=5, variants=50, sample=42)


def fill_sql(size: Size) -> str:
    return f"""
INSERT INTO returns_category (code, name) VALUES ('bench', 'Bench');
INSERT INTO returns_product (code, name, returnable, category_id)
SELECT 'BP' || i, 'Bench product ' || i, true, 1 FROM generate_series(1, 50) AS i;
INSERT INTO returns_variant (sku, option, stock, product_id)
SELECT 'BV' || i, 'Size ' || (i % 10), 100, 1 + i % 50 FROM generate_series(1, {size.variants}) AS i;

INSERT INTO returns_customer (email, name, street, postcode, city, country, language, marketing_consent,
                              consent_source, created_at)
SELECT 'c' || i || '@bench.example', 'Customer ' || i, '', '11122', 'Stockholm', 'SE', 'sv', i % 5 < 3,
       'checkout', now() - interval '3 years'
FROM generate_series(1, {size.customers}) AS i;

INSERT INTO returns_order (number, customer_id, placed_at, delivered_at, currency, language, payment_method,
                           shipping_amount, discount_amount, created_at, updated_at, shipment_tracking)
SELECT 'B' || i, 1 + (i::bigint * 7919) % {size.customers},
       now() - (i % 720) * interval '1 day' - (i % 86400) * interval '1 s', NULL,
       'SEK', 'sv', 'card', 49, 0, now(), now(), ''
FROM generate_series(1, {size.orders}) AS i;

INSERT INTO returns_returnrequest (number, order_id, state, state_changed_at, resolution, method, language,
    rejection_reason, override_reason, created_at, carrier, tracking_number, qr_payload, items_amount, return_fee,
    restocking_fee, store_credit_bonus, shipping_refund, expected_refund)
SELECT 'RB' || lpad(i::text, 7, '0'), o.id, CASE WHEN i % 10 = 0 THEN 'approved' ELSE 'completed' END,
       o.placed_at + interval '17 days', 'refund', 'label', 'sv', '', '', o.placed_at + interval '10 days',
       '', '', '', 500, 0, 0, 0, 0, 500
FROM generate_series(1, {size.returns}) AS i JOIN returns_order o ON o.number = 'B' || (i * 5);

INSERT INTO returns_orderline (order_id, variant_id, quantity, unit_price, vat_rate)
SELECT i, 1 + i % {size.variants}, 1, 199 + (i % 10) * 100, 25 FROM generate_series(1, {size.orders}) AS i;

INSERT INTO returns_returnline (return_request_id, order_line_id, quantity, reason_id, comment, condition, outcome,
                                outcome_reason, amount, reserved_quantity)
SELECT r.id, ol.id, 1, (SELECT array_agg(id ORDER BY id) FROM returns_returnreason)[1 + r.id % 9], '', '',
       'pending', '', ol.unit_price, 0
FROM returns_returnrequest r JOIN returns_orderline ol ON ol.order_id = r.order_id;

INSERT INTO refunds_refund (order_id, return_request_id, amount, currency, method, provider, provider_reference,
                            idempotency_key, state, reason, due_on, attempts, last_error, created_at, requested_at,
                            paid_at)
SELECT r.order_id, r.id, rl.amount - CASE WHEN r.id % 3 = 0 THEN 49 ELSE 0 END, 'SEK', 'original_payment', 'manual',
       'BG' || r.id, 'return:' || r.number, 'succeeded', '', (r.created_at + interval '14 days')::date, 1, '',
       r.created_at + interval '5 days', r.created_at,
       r.created_at + interval '5 days' + (r.id % 12) * interval '1 day'
FROM returns_returnrequest r JOIN returns_returnline rl ON rl.return_request_id = r.id WHERE r.state = 'completed';

INSERT INTO refunds_refundline (refund_id, kind, amount, vat_rate, vat_amount, return_line_id, quantity)
SELECT f.id, 'item', rl.amount, 25, round(rl.amount * 25 / 125, 2), rl.id, rl.quantity
FROM refunds_refund f JOIN returns_returnline rl ON rl.return_request_id = f.return_request_id;
INSERT INTO refunds_refundline (refund_id, kind, amount, vat_rate, vat_amount)
SELECT f.id, 'return_fee', -49, 0, 0 FROM refunds_refund f WHERE f.return_request_id % 3 = 0;

INSERT INTO followup_surveyanswer (return_request_id, score, comment, answered_at)
SELECT r.id, 1 + r.id % 5, '', r.state_changed_at + interval '3 days'
FROM returns_returnrequest r WHERE r.state = 'completed' AND r.id % 4 = 0;

INSERT INTO followup_offercode (code, customer_id, return_request_id, percent, expires_on, created_at)
SELECT 'WBB' || i, (SELECT o.customer_id FROM returns_order o WHERE o.id = r.order_id), r.id, 10,
       current_date + 30, now() - (i % 200) * interval '1 day'
FROM generate_series(1, {size.offers}) AS i
JOIN returns_returnrequest r ON r.number = 'RB' || lpad((i * 9)::text, 7, '0');

INSERT INTO followup_marketingobjection (email, at, source)
SELECT 'c' || (i * 37) || '@bench.example', now(), 'bench' FROM generate_series(1, {size.objections}) AS i;
"""


def database_url(*, smoke: bool = False) -> str:
    name = "returns_portal_bench_smoke" if smoke else "returns_portal_bench"
    return os.environ.get("BENCH_DATABASE_URL", f"postgres://postgres@127.0.0.1:5432/{name}")


def ensure_database(url: str) -> None:
    server, name = url.rsplit("/", 1)
    with psycopg.connect(server + "/postgres", autocommit=True) as admin:
        if not admin.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone():
            admin.execute(f'CREATE DATABASE "{name}"')


def setup(*, smoke: bool = False) -> Size:
    """Make, migrate and fill the database if needed, set Django up on it, and return its size."""
    url = database_url(smoke=smoke)
    ensure_database(url)
    os.environ["DATABASE_URL"] = url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "returns_portal.settings")
    import django

    django.setup()
    size = SMOKE if smoke else FULL
    fill(size)
    return size


@contextmanager
def django_defaults() -> Iterator[None]:
    """Columns the fill leaves out get the default Django would give them (as a migration's AddField
    does while it backfills), so a new field with a default does not break the plain SQL."""
    from django.apps import apps
    from django.db import connection
    from django.db.models import NOT_PROVIDED

    with connection.schema_editor() as editor:
        columns = []
        for model in apps.get_models():
            for field in model._meta.local_concrete_fields:
                default = editor.effective_default(field)
                if field.null or field.primary_key or field.db_default is not NOT_PROVIDED or default is None:
                    continue
                table, name = editor.quote_name(model._meta.db_table), editor.quote_name(str(field.column))
                column = f"{table} ALTER COLUMN {name}"
                editor.execute(f"ALTER TABLE {column} SET DEFAULT %s", [default])
                columns.append(column)
        yield
        editor.execute("SET CONSTRAINTS ALL IMMEDIATE")  # check the foreign keys now: no ALTER with checks pending
        for column in columns:
            editor.execute(f"ALTER TABLE {column} DROP DEFAULT")


def fill(size: Size) -> None:
    from django.core.management import call_command
    from django.db import connection, transaction

    call_command("migrate", verbosity=0)
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM returns_order")
        orders = cursor.fetchone()[0]
        cursor.execute("SELECT count(*) FROM returns_returnline")
        return_lines = cursor.fetchone()[0]
        cursor.execute("SELECT count(*) FROM refunds_refund")
        if orders == size.orders and return_lines == size.returns and cursor.fetchone()[0] > 0:
            return
        if size is SMOKE and orders > SMOKE.orders:
            raise SystemExit(
                f"{connection.settings_dict['NAME']} holds {orders:,} orders; a smoke run empties the database it "
                "fills, so give it one of its own (BENCH_DATABASE_URL)"
            )
        print(f"Filling the bench database ({size}; once)...", flush=True)
        started = time.perf_counter()
        cursor.execute(
            "TRUNCATE followup_outboxmessage, followup_offercode, followup_marketingobjection, followup_surveyanswer, "
            "refunds_refundevent, refunds_refundline, refunds_storecredit, refunds_refund, "
            "returns_returnline, returns_returnrequest, returns_orderline, returns_order, returns_customer, "
            "returns_variant, returns_product, returns_category RESTART IDENTITY CASCADE"
        )
        with transaction.atomic(), django_defaults():
            cursor.execute(fill_sql(size))
        cursor.execute("ANALYZE")
        print(f"  filled in {time.perf_counter() - started:.1f} s")
