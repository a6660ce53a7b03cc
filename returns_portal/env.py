"""Reading settings from the environment, failing with clear lines instead of a traceback.

django-environ does the parsing (database and e-mail URLs, lists); this wrapper
adds "required" and collects every missing or malformed variable. ``check()``
at the end of the settings then stops start-up with one line per bad variable,
naming it, so an operator sees at once everything there is to fix.
"""

from __future__ import annotations

import os
import re
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import urlsplit

import environ

T = TypeVar("T")
ORIGIN = re.compile(r"https?://(\*\.)?[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)*(:[0-9]{1,5})?")


class Invalid(ValueError):
    """A variable's value cannot be used; the message says why."""


class Env:
    def __init__(self) -> None:
        self.errors: list[str] = []

    def check(self) -> None:
        """Stop here, with one line per problem, if any variable was missing or malformed."""
        if self.errors:
            raise SystemExit("\n".join(self.errors))

    def _read(self, name: str, parse: Callable[[str], T], default: T, *, required: bool = False) -> T:
        value = os.environ.get(name, "").strip()
        if not value:
            if required:
                self.errors.append(f"Configuration error: {name} is required in production (PORTAL_ENV=production).")
            return default
        try:
            return parse(value)
        except Invalid as problem:
            self.errors.append(f"Configuration error: {name} {problem}")
            return default

    def text(self, name: str, *, default: str = "", required: bool = False, min_length: int = 0) -> str:
        def parse(value: str) -> str:
            if len(value) < min_length:
                raise Invalid(f"must be at least {min_length} characters long.")
            return value

        return self._read(name, parse, default, required=required)

    def choice(self, name: str, choices: list[str], *, default: str) -> str:
        def parse(value: str) -> str:
            if value not in choices:
                raise Invalid(f"must be one of {', '.join(choices)}, not {value!r}.")
            return value

        return self._read(name, parse, default)

    def flag(self, name: str, *, default: bool) -> bool:
        def parse(value: str) -> bool:
            if value.lower() in {"1", "true", "yes", "on"}:
                return True
            if value.lower() in {"0", "false", "no", "off"}:
                return False
            raise Invalid("must be true or false.")

        return self._read(name, parse, default)

    def number(self, name: str, *, default: int) -> int:
        def parse(value: str) -> int:
            try:
                return int(value)
            except ValueError:
                raise Invalid(f"must be a whole number, not {value!r}.") from None

        return self._read(name, parse, default)

    def items(self, name: str, *, default: list[str], required: bool = False) -> list[str]:
        return self._read(
            name, lambda value: [i.strip() for i in value.split(",") if i.strip()], default, required=required
        )

    def origins(self, name: str, *, default: list[str]) -> list[str]:
        """Comma-separated web origins (`https://www.shop.example`, `https://*.shop.example`), e.g. for a CSP
        directive: nothing else gets through, so a value cannot smuggle in another directive."""

        def parse(value: str) -> list[str]:
            items = [item.strip() for item in value.split(",") if item.strip()]
            if not all(ORIGIN.fullmatch(item) for item in items):
                raise Invalid("must be origins like https://www.shop.example, separated by commas.")
            return items

        return self._read(name, parse, default)

    def path(self, name: str, *, default: Path) -> Path:
        return self._read(name, Path, default)

    def url(self, name: str, *, schemes: tuple[str, ...], default: str, required: bool = False) -> str:
        def parse(value: str) -> str:
            parts = urlsplit(value)
            if parts.scheme not in schemes or not parts.hostname:
                raise Invalid(f"must be a URL like {schemes[0]}://host:6379/0.")
            return value

        return self._read(name, parse, default, required=required)

    def database_url(self, name: str, *, default: str, required: bool = False) -> dict[str, Any]:
        def parse(value: str) -> dict[str, Any]:
            try:
                with warnings.catch_warnings():  # environ warns and returns no ENGINE: we say it better below
                    warnings.simplefilter("ignore")
                    config: dict[str, Any] = environ.Env.db_url_config(value)
            except Exception:  # environ raises several types for a bad URL; all mean the same here
                config = {}
            if not config.get("ENGINE") or not config.get("NAME"):
                raise Invalid("must be a URL like postgres://user:password@host:5432/dbname.")
            return config

        return self._read(name, parse, parse(default), required=required)

    def email_url(self, name: str, *, required: bool = False) -> dict[str, Any]:
        def parse(value: str) -> dict[str, Any]:
            try:
                config = environ.Env.email_url_config(value)
            except Exception:
                config = {}
            if not config.get("EMAIL_BACKEND"):
                raise Invalid("must be a URL like smtp+tls://user:password@smtp.example.com:587.")
            return {key: val for key, val in config.items() if val not in (None, "")}

        return self._read(name, parse, {}, required=required)
