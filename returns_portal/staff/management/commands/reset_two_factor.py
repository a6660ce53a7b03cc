from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError, CommandParser

from returns_portal.staff.two_factor import two_factor_reset


class Command(BaseCommand):
    help = "Removes a staff user's authenticator app and recovery codes (a lost phone); they enrol again at login."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("username")

    def handle(self, *args: Any, username: str, **options: Any) -> None:
        model = get_user_model()
        try:
            user = model.objects.get_by_natural_key(username)
        except model.DoesNotExist:
            raise CommandError(f"There is no user {username!r}.") from None
        removed = two_factor_reset(user=user, by="manage.py reset_two_factor")
        if removed:
            self.stdout.write(
                f"Two-factor authentication of {username} reset; they set it up again at their next login."
            )
        else:
            self.stdout.write(f"{username} had no two-factor authentication set up; nothing to reset.")
