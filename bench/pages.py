#!/usr/bin/env python3
"""Customer pages under load, as a ratio to a hello-world view on the same server.

    .venv/bin/python bench/pages.py [--seconds 10] [--connections 16]

Serves the portal with gunicorn (production settings, PostgreSQL, Redis), loads
/hello/, the start page, the policy page and a status page with wrk one after
the other, and prints requests/s and the ratio to hello-world. Targets: start
and policy >= 0.5, status >= 0.25. Needs PostgreSQL and Redis on 127.0.0.1 and
Debian's wrk (apt-get install wrk).
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PY = sys.executable
DB_NAME = "returns_portal_bench"
TARGETS = {"start": 0.5, "policy": 0.5, "status": 0.25}


def environment() -> dict[str, str]:
    return {
        **os.environ,
        "PORTAL_ENV": "production",
        "SECRET_KEY": "bench-" + "k" * 60,
        "ALLOWED_HOSTS": "127.0.0.1",
        "DATABASE_URL": os.environ.get("BENCH_DATABASE_URL", f"postgres://postgres@127.0.0.1:5432/{DB_NAME}"),
        "REDIS_URL": os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0"),
        "EMAIL_URL": "smtp://127.0.0.1:2525",
        "SECURE_SSL_REDIRECT": "false",  # wrk speaks plain HTTP to the app, as a proxy would
        "LOG_LEVEL": "WARNING",
    }


def manage(env: dict[str, str], *args: str) -> str:
    return subprocess.run(
        [PY, "manage.py", *args], cwd=ROOT, env=env, check=True, capture_output=True, text=True
    ).stdout


def prepare(env: dict[str, str]) -> str:
    """A migrated, seeded database; returns the path of one return's status page."""
    subprocess.run(["createdb", "-h", "127.0.0.1", "-U", "postgres", DB_NAME], capture_output=True)
    manage(env, "migrate", "--noinput")
    manage(env, "collectstatic", "--noinput")
    manage(env, "seed_demo")
    script = (
        "from returns.access import status_token; from returns.models import ReturnRequest; "
        "print(status_token(ReturnRequest.objects.order_by('id').first()))"
    )
    return f"/r/{manage(env, 'shell', '--no-imports', '-c', script).strip()}/"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def wait_until_up(url: str) -> None:
    for _ in range(100):
        try:
            urllib.request.urlopen(url, timeout=1)
            return
        except OSError:
            time.sleep(0.1)
    raise SystemExit(f"gunicorn did not answer at {url}")


def load(url: str, seconds: int, connections: int) -> float:
    output = subprocess.run(
        ["wrk", "-t2", f"-c{connections}", f"-d{seconds}s", url], capture_output=True, text=True, check=True
    ).stdout
    if "Non-2xx" in output:
        raise SystemExit(f"{url} answered with errors under load:\n{output}")
    match = re.search(r"Requests/sec:\s+([\d.]+)", output)
    assert match, output
    return float(match.group(1))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 2)
    args = parser.parse_args()
    if not shutil.which("wrk"):
        raise SystemExit("wrk is needed: apt-get install wrk")
    env = environment()
    status_path = prepare(env)
    port = free_port()
    server = subprocess.Popen(
        [PY, "-m", "gunicorn", "bench.wsgi:application", "--bind", f"127.0.0.1:{port}", "--workers", str(args.workers),
         "--worker-class", "sync", "--log-level", "warning"],
        cwd=ROOT, env=env,
    )  # fmt: skip
    base = f"http://127.0.0.1:{port}"
    try:
        wait_until_up(base + "/hello/")
        pages = {"hello": "/hello/", "start": "/", "policy": "/policy/", "status": status_path}
        rates = {name: load(base + path, args.seconds, args.connections) for name, path in pages.items()}
    finally:
        server.terminate()
        server.wait(timeout=30)
    print(f"gunicorn {args.workers} sync workers, wrk {args.connections} connections, {args.seconds} s per page")
    print(f"{'page':<8} {'req/s':>9} {'ratio':>7} {'target':>7}")
    print(f"{'hello':<8} {rates['hello']:>9.0f} {1:>7.2f}")
    failed = False
    for name, target in TARGETS.items():
        ratio = rates[name] / rates["hello"]
        failed |= ratio < target
        verdict = "PASS" if ratio >= target else "FAIL"
        print(f"{name:<8} {rates[name]:>9.0f} {ratio:>7.2f} {'>=' + str(target):>7} {verdict}")
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
