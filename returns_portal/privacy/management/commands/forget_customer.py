"""manage.py forget_customer EMAIL: anonymise a person's data (the right to erasure).

Names, addresses, e-mail, free texts, photos and messages go; amounts, VAT, dates and order numbers
stay, as bookkeeping law requires. An objection to marketing is kept as a hash of the address.
"""

from __future__ import annotations

from argparse import ArgumentParser
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from returns_portal.privacy.services import NotAnEmail, OpenMatters, UnknownPerson, forgettable, person_forget

UNKNOWN = 3  # exit code: nothing is held about the address
REFUSED = 4  # exit code: a return or refund is still under way


class Command(BaseCommand):
    help = (
        "Anonymise everything held about the person with this e-mail address (GDPR right to erasure), "
        "keeping what bookkeeping law requires. Asks for confirmation unless --yes."
    )

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("email")
        parser.add_argument(
            "--yes", "--noinput", "--no-input", action="store_false", dest="interactive",
            help="Do not ask for confirmation.",
        )  # fmt: skip

    def handle(self, *args: Any, **options: Any) -> None:
        email = options["email"]
        try:
            forgettable(email)
            if options["interactive"] and not self._confirmed(email):
                raise CommandError("Cancelled: nothing was changed (--yes runs without asking).")
            counts = person_forget(email=email)
        except NotAnEmail as problem:
            raise CommandError(str(problem), returncode=2) from None
        except UnknownPerson as problem:
            raise CommandError(str(problem), returncode=UNKNOWN) from None
        except OpenMatters as problem:
            raise CommandError(
                f"{email} cannot be forgotten yet: {problem}. Finish or cancel these first; nothing was changed.",
                returncode=REFUSED,
            ) from None
        self.stdout.write(f"Forgot {email.strip()}. Anonymised:")
        for kind, count in sorted(counts.items()):
            self.stdout.write(f"  {kind}: {count}")
        self.stdout.write("Kept for bookkeeping: amounts, VAT, dates, order and return numbers.")

    def _confirmed(self, email: str) -> bool:
        question = (
            f"This anonymises everything held about {email.strip()} and cannot be undone.\n"
            "Type 'yes' to continue, or anything else to cancel: "
        )
        try:
            return input(question).strip().lower() == "yes"
        except EOFError:  # no terminal to ask on (cron, a pipe): not a yes
            return False
