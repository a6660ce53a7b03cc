#!/usr/bin/env python3
"""Customer pages under load, as a ratio to a bare Django view on the same server.

    .venv/bin/python bench/pages.py [--seconds 10] [--connections 16] [--workers 2] [--smoke]

Serves the portal with gunicorn (production settings, PostgreSQL, Redis), loads
/hello/, the start page, the policy page and a status page with wrk one after
the other, and prints requests/s, the ratio to hello-world and the 99th
percentile latency. /hello/ is answered by Django with no middleware at all in
the same gunicorn process (`bench/wsgi.py`): the floor a page is measured
against. Targets: start and policy >= 0.6, status >= 0.35, each page's p99
under 50 ms (judged by the lowest page's ratio / its target, >= 1, and the
highest p99). Its own database, `returns_portal_bench_pages` on 127.0.0.1:5432
(`returns_portal_bench_pages_smoke` for --smoke), or BENCH_PAGES_DATABASE_URL,
migrated and seeded with the demo shop on each run; REDIS_URL, or Redis's
database 0 on 127.0.0.1. Needs Debian's wrk (apt-get install wrk). --smoke
loads each page for a second with one worker and two connections, and judges
nothing.
"""

from __future__ import annotations

import argparse
import io
import os
import re
import shutil
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from bench import cli, data

ROOT = Path(__file__).resolve().parent.parent
TARGETS = {"start": 0.6, "policy": 0.6, "status": 0.35}
P99_MS = 50.0
UNIT_MS = {"us": 0.001, "ms": 1.0, "s": 1000.0}


def environment(*, smoke: bool) -> dict[str, str]:
    """The variables for production settings on the bench's own database, Redis and folders."""
    name = "returns_portal_bench_pages_smoke" if smoke else "returns_portal_bench_pages"
    database_url = os.environ.get("BENCH_PAGES_DATABASE_URL", f"postgres://postgres@127.0.0.1:5432/{name}")
    folder = ROOT / "var" / "bench" / database_url.rsplit("/", 1)[1]
    return {
        "DJANGO_SETTINGS_MODULE": "returns_portal.settings",
        "PORTAL_ENV": "production",
        "SECRET_KEY": "bench-" + "k" * 60,
        "ALLOWED_HOSTS": "127.0.0.1",
        "PORTAL_URL": "http://127.0.0.1",
        "DATABASE_URL": database_url,
        "REDIS_URL": os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0"),
        "EMAIL_URL": "dummymail://",  # the demo's e-mails go nowhere
        "STATIC_ROOT": str(folder / "static"),
        "MEDIA_ROOT": str(folder / "media"),
        "SECURE_SSL_REDIRECT": "false",  # wrk speaks plain HTTP to the app, as a proxy would
        "LOG_LEVEL": "WARNING",
    }


def prepare() -> str:
    """A migrated, seeded database and collected static files; returns the path of one return's status page."""
    data.ensure_database(os.environ["DATABASE_URL"])
    import django

    django.setup()
    from django.core.management import call_command

    from returns.access import status_token
    from returns.models import ReturnRequest
    from returns_portal.celery import app

    app.conf.task_always_eager = True  # the demo's e-mails are sent here, not left in a queue others may read
    quiet = io.StringIO()
    call_command("migrate", "--noinput", stdout=quiet)
    call_command("collectstatic", "--noinput", stdout=quiet)
    call_command("seed_demo", stdout=quiet)
    first = ReturnRequest.objects.order_by("id").first()
    if first is None:
        raise SystemExit("seed_demo made no return: there is no status page to load")
    return f"/r/{status_token(first)}/"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def status_of(url: str) -> int:
    try:
        with urllib.request.urlopen(url, timeout=10) as response:
            return int(response.status)
    except urllib.error.HTTPError as error:
        return error.code


def wait_until_up(server: subprocess.Popen[bytes], url: str) -> None:
    for _ in range(300):
        if server.poll() is not None:
            raise SystemExit(f"gunicorn stopped with status {server.returncode}")
        try:
            status_of(url)
            return
        except OSError:
            time.sleep(0.1)
    raise SystemExit(f"gunicorn did not answer at {url}")


def load(url: str, seconds: int, connections: int) -> tuple[float, float]:
    """Requests/s and the 99th percentile latency in ms, from wrk."""
    threads = min(2, connections)
    output = subprocess.run(
        ["wrk", f"-t{threads}", f"-c{connections}", f"-d{seconds}s", "--latency", url],
        capture_output=True, text=True, check=True,
    ).stdout  # fmt: skip
    if "Non-2xx" in output:
        raise SystemExit(f"{url} answered with errors under load:\n{output}")
    rate = re.search(r"Requests/sec:\s+([\d.]+)", output)
    p99 = re.search(r"^\s*99%\s+([\d.]+)(us|ms|s)\s*$", output, re.MULTILINE)
    if not rate or not float(rate.group(1)) or not p99:
        raise SystemExit(f"{url}: no request answered in {seconds} s:\n{output}")
    return float(rate.group(1)), float(p99.group(1)) * UNIT_MS[p99.group(2)]


def main() -> int:
    parser = cli.parser(__doc__)
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 2)
    args = parser.parse_args()
    if args.smoke:
        args.seconds, args.connections, args.workers = 1, 2, 1
    if not shutil.which("wrk"):
        raise SystemExit("wrk is needed: apt-get install wrk")
    os.environ.update(environment(smoke=args.smoke))
    pages = {"hello": "/hello/", "start": "/", "policy": "/policy/", "status": prepare()}
    port = free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "bench.wsgi:application", "--bind", f"127.0.0.1:{port}",
         "--workers", str(args.workers), "--worker-class", "sync", "--log-level", "warning"],
        cwd=ROOT,
    )  # fmt: skip
    base = f"http://127.0.0.1:{port}"
    try:
        wait_until_up(server, base + "/hello/")
        for path in pages.values():
            if (status := status_of(base + path)) != 200:
                raise SystemExit(f"{path} answered {status}")
        figures = {name: load(base + path, args.seconds, args.connections) for name, path in pages.items()}
    finally:
        server.terminate()
        server.wait(timeout=30)
    return report(figures, args)


def report(figures: dict[str, tuple[float, float]], args: argparse.Namespace) -> int:
    """The table, the p99 line and the ratio line; the exit status."""
    hello, hello_p99 = figures["hello"]
    print(f"gunicorn {args.workers} sync workers, wrk {args.connections} connections, {args.seconds} s per page")
    print(f"{'page':<8} {'req/s':>9} {'ratio':>7} {'target':>7} {'p99 ms':>8}")
    print(f"{'hello':<8} {hello:>9.0f} {1:>7.2f} {'':>7} {hello_p99:>8.1f}")
    for name, target in TARGETS.items():
        rate, p99 = figures[name]
        verdict = cli.mark(rate / hello >= target and p99 < P99_MS, smoke=args.smoke)
        print(f"{name:<8} {rate:>9.0f} {rate / hello:>7.2f} {'>=' + str(target):>7} {p99:>8.1f} {verdict}".rstrip())
    highest_p99 = max(figures[name][1] for name in TARGETS)
    p99_verdict = cli.mark(highest_p99 < P99_MS, smoke=args.smoke)
    print(f"highest page p99: {highest_p99:.1f} ms (target < {P99_MS:.0f} ms) {p99_verdict}".rstrip())
    lowest = min(figures[name][0] / hello / target for name, target in TARGETS.items())
    passed = lowest >= 1 and highest_p99 < P99_MS
    return cli.verdict("(lowest page's ratio / its target; and p99)", lowest, passed=passed, smoke=args.smoke)


if __name__ == "__main__":
    sys.exit(main())
