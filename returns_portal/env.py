"""Reading settings from the environment, failing with one clear line.

django-environ does the parsing (URLs, booleans, lists); this wrapper adds
"required" and turns any missing or malformed value into ``SystemExit`` with a
message that names the variable, so an operator sees one line, not a traceback.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import environ


class Env:
    def __init__(self) -> None:
        self._env = environ.Env()

    @staticmethod
    def fail(name: str, problem: str) -> SystemExit:
        return SystemExit(f"Configuration error: {name} {problem}. See README.md, 'Configuration'.")

    def _raw(self, name: str, *, required: bool) -> str | None:
        value = os.environ.get(name)
        if value is None or value.strip() == "":
            if required:
                raise self.fail(name, "is required when PORTAL_ENV=production but is not set")
            return None
        return value.strip()

    def _parse(self, name: str, kind: str, parser: Any, default: Any, *, required: bool = False) -> Any:
        if self._raw(name, required=required) is None:
            return default
        try:
            return parser(name)
        except Exception as exc:  # environ raises several types; all mean "malformed"
            raise self.fail(name, f"is not a valid {kind} ({exc})") from None

    def text(self, name: str, *, default: str = "", required: bool = False, min_length: int = 0) -> str:
        value = self._raw(name, required=required)
        if value is None:
            return default
        if len(value) < min_length:
            raise self.fail(name, f"must be at least {min_length} characters long")
        return value

    def choice(self, name: str, choices: list[str], *, default: str) -> str:
        value = self._raw(name, required=False) or default
        if value not in choices:
            raise self.fail(name, f"must be one of {', '.join(choices)}, not {value!r}")
        return value

    def flag(self, name: str, *, default: bool) -> bool:
        value = self._raw(name, required=False)
        if value is None:
            return default
        truthy, falsy = {"1", "true", "yes", "on"}, {"0", "false", "no", "off"}
        if value.lower() not in truthy | falsy:
            raise self.fail(name, "must be true or false")
        return value.lower() in truthy

    def number(self, name: str, *, default: int) -> int:
        return self._parse(name, "whole number", self._env.int, default)

    def items(self, name: str, *, default: list[str], required: bool = False) -> list[str]:
        value = self._parse(name, "comma-separated list", self._env.list, default, required=required)
        return [item.strip() for item in value if item.strip()]

    def path(self, name: str, *, default: Path) -> Path:
        value = self._raw(name, required=False)
        return Path(value) if value else default

    def url(self, name: str, *, schemes: tuple[str, ...], default: str, required: bool = False) -> str:
        value = self._raw(name, required=required)
        if value is None:
            return default
        parts = urlsplit(value)
        if parts.scheme not in schemes or not parts.hostname:
            raise self.fail(name, f"must be a URL like {schemes[0]}://host:port/0")
        return value

    def database_url(self, name: str, *, default: str, required: bool = False) -> dict[str, Any]:
        value = self._raw(name, required=required) or default
        try:
            config = environ.Env.db_url_config(value)
        except Exception as exc:
            raise self.fail(name, f"is not a valid database URL ({exc})") from None
        if not config.get("ENGINE") or (not config.get("NAME") and "sqlite" not in config["ENGINE"]):
            raise self.fail(name, "must look like postgres://user@host:5432/dbname")
        return config

    def email_url(self, name: str, *, default: str, required: bool = False) -> dict[str, Any]:
        value = self._raw(name, required=required) or default
        if not value:
            return {}
        try:
            config = environ.Env.email_url_config(value)
        except Exception as exc:
            raise self.fail(name, f"is not a valid e-mail URL ({exc})") from None
        return {key: val for key, val in config.items() if val not in (None, "")}
