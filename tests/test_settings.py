"""Start-up configuration: the production profile, and clear words when it is wrong."""

from __future__ import annotations

import os
import secrets
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PRODUCTION = {
    "PORTAL_ENV": "production",
    "SECRET_KEY": secrets.token_urlsafe(50),
    "DATABASE_URL": "postgres://portal:secret@db.example:5432/portal",
    "REDIS_URL": "redis://cache.example:6379/0",
    "EMAIL_URL": "smtp+tls://portal:secret@smtp.example:587",
    "ALLOWED_HOSTS": "returns.shop.example",
    "PORTAL_URL": "https://returns.shop.example",
}


def manage(*args: str, **variables: str) -> subprocess.CompletedProcess[str]:
    env = {"PATH": os.environ["PATH"], "HOME": os.environ.get("HOME", "/tmp"), **variables}
    return subprocess.run(
        [sys.executable, "manage.py", *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60
    )


def test_production_profile_passes_the_deploy_check_without_warnings() -> None:
    result = manage("check", "--deploy", "--fail-level", "WARNING", **PRODUCTION)
    assert result.returncode == 0, result.stderr
    assert "System check identified no issues" in result.stdout


@pytest.mark.parametrize(
    "missing", ["SECRET_KEY", "DATABASE_URL", "REDIS_URL", "EMAIL_URL", "ALLOWED_HOSTS", "PORTAL_URL"]
)
def test_a_missing_production_variable_stops_start_up_with_one_line_naming_it(missing: str) -> None:
    variables = {name: value for name, value in PRODUCTION.items() if name != missing}
    result = manage("check", **variables)
    assert result.returncode != 0
    assert result.stderr.strip() == f"Configuration error: {missing} is required in production (PORTAL_ENV=production)."


@pytest.mark.parametrize(
    ("name", "value", "problem"),
    [
        ("DATABASE_URL", "postgres//db", "must be a URL like postgres://"),
        ("REDIS_URL", "http://cache:6379", "must be a URL like redis://"),
        ("SECRET_KEY", "short", "must be at least 50 characters long"),
        ("CONN_MAX_AGE", "forever", "must be a whole number"),
        ("PORTAL_ENV", "staging", "must be one of development, production"),
    ],
)
def test_a_malformed_variable_is_named_without_a_traceback(name: str, value: str, problem: str) -> None:
    result = manage("check", **{**PRODUCTION, name: value})
    assert result.returncode != 0
    assert "Traceback" not in result.stderr
    assert result.stderr.startswith(f"Configuration error: {name} {problem}")


def test_the_embedded_default_needs_no_variables() -> None:
    result = manage("check")
    assert result.returncode == 0, result.stderr
