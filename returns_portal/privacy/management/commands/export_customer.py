"""manage.py export_customer EMAIL: everything held about a person, as JSON (the right of access)."""

from __future__ import annotations

import json
from argparse import ArgumentParser
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError
from django.core.serializers.json import DjangoJSONEncoder

from returns_portal.privacy.services import NotAnEmail, UnknownPerson, person_export

UNKNOWN = 3  # exit code: nothing is held about the address (scripts may treat it apart from errors)


class Command(BaseCommand):
    help = "Print everything held about the person with this e-mail address, as JSON (GDPR right of access)."

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("email")
        parser.add_argument("--output", "-o", type=Path, help="Write the JSON to this file instead of stdout.")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            found = person_export(email=options["email"])
        except NotAnEmail as problem:
            raise CommandError(str(problem), returncode=2) from None
        except UnknownPerson as problem:
            raise CommandError(str(problem), returncode=UNKNOWN) from None
        text = json.dumps(found, cls=DjangoJSONEncoder, ensure_ascii=False, indent=2)
        if options["output"] is None:
            self.stdout.write(text)
            return
        try:
            options["output"].write_text(text + "\n", encoding="utf-8")
        except OSError as problem:
            raise CommandError(f"Could not write {options['output']}: {problem.strerror}.") from None
        self.stderr.write(f"Wrote everything held about {found['email']} to {options['output']}.")
