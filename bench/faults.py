#!/usr/bin/env python3
"""PostgreSQL, then Redis, restarted while customers use the portal: what they saw, how fast it recovered.

    .venv/bin/python bench/faults.py [--down 5] [--calm 8] [--smoke]

Starts its own PostgreSQL cluster (initdb in a temporary folder, as the postgres OS user when run
as root) and its own Redis (nothing kept on disk) on free ports, migrates and seeds them, and runs
the production shape on them: gunicorn with 2 sync workers and a Celery worker with beat (the
outbox sweep every 2 s). Customers in threads read a status page, an order's items and the policy,
and make returns through the whole flow (trying a step again after an error, as people do), while
an operator asks /healthz ten times a second. After --calm seconds PostgreSQL is stopped (pg_ctl
-m fast), left down --down seconds and started; once the portal answers again and --calm seconds
more have passed, the same for Redis.

Prints requests and errors by status, how many errors were the portal's error page in the
customer's language, tracebacks shown, what /healthz said during each fault, and per restart how
long until requests succeeded again; then checks that every return the portal confirmed exists
exactly once and its confirmation e-mail was sent. Exits 1 when a promise is broken, 3 when the
private servers cannot be made here (no PostgreSQL server binaries or redis-server). --smoke: one
customer of each kind, 1 s faults; every promise is still judged.
"""

from __future__ import annotations

import io
import os
import signal
import sys
import threading
import time
import urllib.request
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from types import FrameType

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from bench import cli, private, shoppers
from bench.shoppers import Confirmed, Hit, Order

ROOT = Path(__file__).resolve().parent.parent
RECOVERY_LIMIT = 5.0  # seconds after a service is back by which every request succeeds again
DATABASE_KINDS = {"items", "lookup", "choose", "how", "confirm"}  # requests that cannot be answered without it
LANGUAGES = ["sv", "fi", "nb", "da", "en"]
UNAVAILABLE = 3


@dataclass(frozen=True)
class Plan:
    calm: float
    down: float
    returners: int
    readers: int
    orders_each: int


@dataclass
class Fault:
    service: str  # as /healthz names it
    began: float
    back: float
    until: float = float("inf")  # when the next fault began


def environment(services: private.Private) -> dict[str, str]:
    """Production settings on the private servers (plain HTTP to gunicorn, as from a proxy)."""
    return {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "returns_portal.settings",
        "PORTAL_ENV": "production",
        "SECRET_KEY": "faults-" + "k" * 60,
        "ALLOWED_HOSTS": "127.0.0.1",
        "PORTAL_URL": "http://127.0.0.1",
        "DATABASE_URL": services.postgres.url,
        "REDIS_URL": services.redis.url,
        "EMAIL_URL": "dummymail://",
        "STATIC_ROOT": str(services.folder / "static"),
        "MEDIA_ROOT": str(services.folder / "media"),
        "SECURE_SSL_REDIRECT": "false",
        "OUTBOX_SWEEP_SECONDS": "2",
        # A send claimed just before the database stopped cannot record its answer: the sweep takes it again
        # once the claim's lease ends (5 min in production, for slow SMTP; e-mail goes nowhere here).
        "OUTBOX_LEASE_SECONDS": "10",
        "LOG_LEVEL": "ERROR",
    }


def prepare(plan: Plan) -> tuple[list[str], dict[str, list[Order]]]:
    """Migrated, seeded database; returns a reader's pages and each language's orders to return."""
    import django

    django.setup()
    from django.core.management import call_command

    from returns.access import order_token, status_token
    from returns.models import ReturnRequest
    from returns_portal.celery import app

    app.conf.task_always_eager = True  # the demo's own e-mails are sent here, not queued
    quiet = io.StringIO()
    for command in ("migrate", "collectstatic"):
        call_command(command, "--noinput", stdout=quiet)
    call_command("seed_demo", stdout=quiet)
    demo_return = ReturnRequest.objects.select_related("order").order_by("id").first()
    if demo_return is None:
        raise SystemExit("seed_demo made no return: there is no status page to read")
    pages = [f"/r/{status_token(demo_return)}/", f"/order/{order_token(demo_return.order)}/", "/policy/"]
    orders = {language: seed_orders(language, plan.orders_each) for language in LANGUAGES}
    return pages, orders


def seed_orders(language: str, count: int) -> list[Order]:
    """`count` orders of one T-shirt-like item each, delivered three days ago, in `language`."""
    import datetime as dt
    from decimal import Decimal

    from django.utils import timezone

    from returns.models import Customer, OrderLine, Variant
    from returns.models import Order as ShopOrder

    variant = Variant.objects.filter(product__returnable=True).order_by("id")[0]
    now, made = timezone.now(), []
    for index in range(count):
        email = f"fault-{language}-{index}@bench.example"
        customer = Customer.objects.create(email=email, name=f"Fault {index}", country="SE", language=language)
        order = ShopOrder.objects.create(
            number=f"F-{language.upper()}-{index:05d}",
            customer=customer,
            placed_at=now - dt.timedelta(days=5),
            delivered_at=now - dt.timedelta(days=3),
            currency="SEK",
            language=language,
            payment_method="card",
            shipping_amount=Decimal(49),
        )
        line = OrderLine.objects.create(
            order=order, variant=variant, quantity=1, unit_price=Decimal(499), vat_rate=Decimal(25)
        )
        made.append(Order(order.number, email, line.pk, language))
    return made


def start_portal(services: private.Private, env: dict[str, str]) -> str:
    """gunicorn (2 sync workers) and a Celery worker with beat; returns the portal's address."""
    port = private.free_port()
    web = "gunicorn returns_portal.wsgi:application --workers 2 --worker-class sync --log-level warning"
    services.spawn([sys.executable, "-m", *web.split(), "--bind", f"127.0.0.1:{port}"], "gunicorn.log", env)
    worker = "celery -A returns_portal worker --beat --pool solo --loglevel INFO --schedule"
    services.spawn([sys.executable, "-m", *worker.split(), str(services.folder / "beat")], "celery.log", env)
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(base + "/healthz", timeout=5) as response:
                if response.status == 200:
                    return base
        except OSError:
            time.sleep(0.2)
    raise SystemExit(f"the portal did not answer at {base}/healthz within 60 s")


class Load:
    """The customers' and the operator's threads, and what they recorded."""

    def __init__(self, base: str, plan: Plan, pages: list[str], orders: dict[str, list[Order]]) -> None:
        self.stop, self.hits, self.made = threading.Event(), list[Hit](), list[Confirmed]()
        run: list[tuple[Callable[..., None], tuple[object, ...]]] = [(shoppers.operator, (base, self.stop, self.hits))]
        run += [
            (shoppers.returner, (base, orders[language], self.stop, self.hits, self.made))
            for language in LANGUAGES[: plan.returners]  # one language each
        ]
        run += [
            (shoppers.reader, (base, pages, language, self.stop, self.hits)) for language in LANGUAGES[-plan.readers :]
        ]
        self.threads = [threading.Thread(target=target, args=args, daemon=True) for target, args in run]
        for thread in self.threads:
            thread.start()

    def end(self) -> None:
        self.stop.set()
        for thread in self.threads:
            thread.join(timeout=30)

    def recovered_since(self, moment: float) -> bool:
        """/healthz says ok, and a request that needs the database succeeded, both asked after `moment`."""
        later = [hit for hit in self.hits if hit.started >= moment and hit.ok]
        return any(hit.kind == "healthz" for hit in later) and any(hit.kind in DATABASE_KINDS for hit in later)


def restart(load: Load, service: str, stop: Callable[[], None], start: Callable[[], None], plan: Plan) -> Fault:
    """Stop the service, keep it down `plan.down` s, start it; then wait until the portal is well again."""
    began = time.monotonic()
    stop()
    time.sleep(plan.down)
    start()
    fault = Fault(service, began, time.monotonic())
    deadline = fault.back + 60
    while not load.recovered_since(fault.back) and time.monotonic() < deadline:
        time.sleep(0.05)
    return fault


# --- Judging ----------------------------------------------------------------------------------------


def seconds(value: float | None) -> str:
    return "never" if value is None else f"{value:.2f} s"


def first_ok(hits: list[Hit], since: float, kinds: set[str] | None = None) -> float | None:
    """Seconds from `since` to the first success among requests sent after it (of `kinds`, if given)."""
    ends = [hit.ended for hit in hits if hit.started >= since and hit.ok and (kinds is None or hit.kind in kinds)]
    return min(ends) - since if ends else None


def judge_fault(fault: Fault, hits: list[Hit]) -> list[str]:
    """Print one restart's figures; return the promises it broke."""
    kinds = DATABASE_KINDS if fault.service == "database" else {hit.kind for hit in hits} - {"healthz"}
    pages = [hit for hit in hits if hit.kind != "healthz" and fault.began <= hit.ended < fault.until]
    asked = [hit for hit in hits if hit.kind == "healthz" and hit.started >= fault.began and hit.ended <= fault.back]
    named = [hit for hit in asked if hit.status == 503 and fault.service in hit.body.get("failing", [])]
    late = [hit for hit in pages if not hit.ok and hit.started > fault.back + RECOVERY_LIMIT]
    print(f"\n{fault.service} restart: down {fault.back - fault.began:.2f} s")
    print(
        f"  requests from the fault on: {len(pages)}, errors {sum(not hit.ok for hit in pages)}, "
        f"errors in requests sent after it was back: {sum(not hit.ok for hit in pages if hit.started >= fault.back)}"
    )
    print(
        f"  /healthz while down: {len(asked)} answers, {len(named)} named the {fault.service} "
        f"(e.g. {named[0].body if named else asked[-1].body if asked else '-'})"
    )
    print(
        f"  first success after it was back: {seconds(first_ok(hits, fault.back, kinds))}; "
        f"after the fault began: {seconds(first_ok(hits, fault.began, kinds))}; "
        f"/healthz ok again after {seconds(first_ok(hits, fault.back, {'healthz'}))}"
    )
    confirmed = [hit for hit in pages if hit.kind == "confirm" and hit.ok and hit.ended <= fault.back]
    print(f"  returns confirmed while it was down: {len(confirmed)}")
    broken = []
    if not named:
        broken.append(f"/healthz never named the {fault.service} while it was down")
    if late or first_ok(hits, fault.back, kinds) is None:
        broken.append(f"not recovered within {RECOVERY_LIMIT:.0f} s of the {fault.service}'s restart")
    return broken


def judge_pages(hits: list[Hit]) -> list[str]:
    """Print what customers got over the whole run; return the promises broken."""
    pages = [hit for hit in hits if hit.kind != "healthz"]
    errors = [hit for hit in pages if not hit.ok]
    by_status = Counter("no answer" if hit.status is None else str(hit.status) for hit in errors)
    friendly = sum(hit.friendly for hit in errors)
    tracebacks = sum(hit.traceback for hit in errors)
    print(f"requests: {len(pages)} ({Counter(hit.kind for hit in pages).most_common()})")
    print(f"errors: {len(errors)} {dict(by_status) or ''}".rstrip())
    print(f"  the portal's error page in the customer's language: {friendly}; anything else: {len(errors) - friendly}")
    print(f"tracebacks shown: {tracebacks}")
    for hit in [hit for hit in errors if not hit.friendly][:3]:
        print(f"  e.g. {hit.kind} {hit.status}: {hit.sample or '(no answer)'}")
    broken = []
    if tracebacks:
        broken.append(f"{tracebacks} answers showed a traceback")
    if len(errors) > friendly:
        broken.append(f"{len(errors) - friendly} errors were not the friendly page in the customer's language")
    return broken


def judge_returns(made: list[Confirmed], orders: dict[str, list[Order]], wait: float) -> list[str]:
    """Every confirmed return exists exactly once, no order got two, each confirmation e-mail was sent."""
    from django.db import connections

    from followup.models import MessageState, OutboxMessage
    from returns.access import return_id_from_token
    from returns.models import ReturnRequest

    connections.close_all()  # the bench's own connection died with the first restart
    numbers = [order.number for group in orders.values() for order in group]
    returns = list(ReturnRequest.objects.filter(order__number__in=numbers).values_list("id", "order__number", "number"))
    per_order = Counter(order_number for _id, order_number, _number in returns)
    confirmed_ids = {return_id_from_token(item.status_path.rstrip("/").rsplit("/", 1)[1]) for item in made}
    lost = confirmed_ids - {return_id for return_id, _order, _number in returns}
    doubled = [number for number, count in per_order.items() if count > 1]
    keys = [f"confirmation:{number}" for _id, _order, number in returns]
    deadline, unsent = time.monotonic() + wait, len(keys)
    while unsent and time.monotonic() < deadline:
        time.sleep(0.5)
        unsent = len(keys) - OutboxMessage.objects.filter(key__in=keys, state=MessageState.SENT).count()
    print(
        f"\nreturns confirmed to customers: {len(made)}; in the database: {len(returns)} "
        f"(lost {len(lost)}, orders with two {len(doubled)}); confirmation e-mails sent: {len(keys) - unsent} of "
        f"{len(keys)}, {OutboxMessage.objects.filter(key__in=keys, attempts__gt=1).count()} of them by a second try"
    )
    broken = []
    if lost or len(confirmed_ids) != len(made):
        broken.append(f"{len(lost)} confirmed returns are missing")
    if doubled:
        broken.append(f"orders with two returns: {doubled[:5]}")
    if unsent:
        left = OutboxMessage.objects.filter(key__in=keys).exclude(state=MessageState.SENT)
        states = [(row.key, row.state, row.attempts, row.last_error[:200]) for row in left[:3]]
        broken.append(f"{unsent} confirmation e-mails not sent {wait:.0f} s after the run: {states}")
    return broken


# --- The run ----------------------------------------------------------------------------------------


def run(plan: Plan, services: private.Private) -> list[str]:
    env = environment(services)
    os.environ.update(env)
    pages, orders = prepare(plan)
    load = Load(start_portal(services, env), plan, pages, orders)
    time.sleep(plan.calm)
    database = restart(load, "database", services.postgres.stop, services.postgres.start, plan)
    time.sleep(plan.calm)
    broker = restart(load, "broker", services.redis.stop, services.redis.start, plan)
    time.sleep(plan.calm)
    load.end()
    database.until = broker.began
    print(
        f"gunicorn 2 sync workers, {plan.returners} customers making returns, {plan.readers} reading, /healthz "
        f"every 0.1 s; faults: PostgreSQL then Redis, each down {plan.down:.1f} s"
    )
    broken = judge_pages(load.hits)
    for fault in (database, broker):
        broken += judge_fault(fault, load.hits)
    return broken + judge_returns(load.made, orders, wait=60)


def show_logs(folder: Path) -> None:
    for name in ("gunicorn.log", "celery.log"):
        lines = [line for line in (folder / name).read_text(errors="replace").splitlines() if line.startswith("[")]
        lines = [line for line in lines if "sweep" not in line]  # every 2 s, and says nothing
        print(f"--- last log lines of {name} ---", *lines[-60:], sep="\n", file=sys.stderr)


def main() -> int:
    parser = cli.parser(__doc__)
    parser.add_argument("--down", type=float, default=5.0, help="seconds each service stays down")
    parser.add_argument("--calm", type=float, default=8.0, help="seconds of load before, between and after")
    args = parser.parse_args()
    plan = Plan(args.calm, args.down, returners=len(LANGUAGES), readers=2, orders_each=200)
    if args.smoke:
        plan = Plan(calm=1.5, down=1.0, returners=1, readers=1, orders_each=30)
    signal.signal(signal.SIGTERM, _exit_on_signal)  # so the servers and folders are cleaned up
    try:
        with private.private_services() as services:
            broken = run(plan, services)
            if broken:
                show_logs(services.folder)
    except private.Unavailable as reason:
        print(f"cannot make private servers here: {reason}")
        return UNAVAILABLE
    print("\n" + ("promises kept: PASS" if not broken else "promises broken: FAIL\n  " + "\n  ".join(broken)))
    return 1 if broken else 0


def _exit_on_signal(signum: int, frame: FrameType | None) -> None:
    raise SystemExit(128 + signum)


if __name__ == "__main__":
    sys.exit(main())
