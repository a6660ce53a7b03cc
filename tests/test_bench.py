"""Every bench runs at its smoke size, so none rots unseen (issue 11).

Each runs as its one command, `python bench/X.py --smoke`, in a database of its own on
the test run's PostgreSQL server (named after the test run's database), and must exit 0
having printed the ratio it is judged by. A smoke run judges no speed: that is the full
run's job.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from tests.conftest import REQUIRE_SERVICES

pytestmark = pytest.mark.real_clock  # the benches run in other processes, on the real clock

BENCH = Path(__file__).resolve().parent.parent / "bench"
RATIO_LINE = re.compile(r"^ratio .+: \d+\.\d\d  not judged", re.MULTILINE)
PROMISES_KEPT = re.compile(r"^promises kept: PASS$", re.MULTILINE)  # bench/faults.py judges even at smoke size


def bench_database_url(purpose: str) -> str:
    """A database next to the test run's, never the test run's own."""
    url = urlsplit(os.environ.get("DATABASE_URL", ""))
    return url._replace(path=f"/bench_{purpose}_{url.path.lstrip('/')}").geturl()


def run_smoke(bench: str, expect: re.Pattern[str] = RATIO_LINE, timeout: int = 120, **env: str) -> None:
    result = subprocess.run(
        [sys.executable, str(BENCH / f"{bench}.py"), "--smoke"],
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    output = f"stdout:\n{result.stdout}\nstderr:\n{result.stderr[-3000:]}"
    assert result.returncode == 0, output
    assert expect.search(result.stdout), output


def test_labels_bench_runs_at_smoke_size() -> None:
    run_smoke("labels")


@pytest.mark.postgres
@pytest.mark.parametrize("bench", ["winback", "staff_pages", "insight"])
def test_bench_on_the_shared_data_runs_at_smoke_size(bench: str) -> None:
    run_smoke(bench, BENCH_DATABASE_URL=bench_database_url("data"))


@pytest.mark.postgres
@pytest.mark.redis
def test_pages_bench_runs_at_smoke_size() -> None:
    if not shutil.which("wrk"):
        if REQUIRE_SERVICES:
            pytest.fail("wrk is required (REQUIRE_SERVICES=1) for bench/pages.py: apt-get install wrk")
        pytest.skip("bench/pages.py loads the pages with wrk, which is not installed (apt-get install wrk)")
    run_smoke("pages", BENCH_PAGES_DATABASE_URL=bench_database_url("pages"))


def test_faults_bench_runs_at_smoke_size() -> None:
    """Its own PostgreSQL cluster and Redis, restarted under load: every promise is judged even here."""
    from bench.private import Unavailable, private_services

    try:
        with private_services():
            pass
    except Unavailable as reason:
        if REQUIRE_SERVICES:
            pytest.fail(f"bench/faults.py cannot make its own PostgreSQL and Redis (REQUIRE_SERVICES=1): {reason}")
        pytest.skip(f"bench/faults.py cannot make its own PostgreSQL and Redis here: {reason}")
    run_smoke("faults", expect=PROMISES_KEPT, timeout=300)


def test_every_bench_script_has_a_smoke_test() -> None:
    scripts = {path.stem for path in BENCH.glob("*.py") if 'if __name__ == "__main__"' in path.read_text()}
    assert scripts == {"labels", "winback", "staff_pages", "insight", "pages", "faults"}
