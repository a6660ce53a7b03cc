"""Make (or replace) the API token of an integration: `manage.py api_token shop --role shop`.

Each integration is a user of its own, in the group of its role, with no password
and no admin access; its token is shown once. `--rotate` replaces a leaked token.
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth.models import Group, User
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction
from rest_framework.authtoken.models import Token

ROLES = {"shop": "Shop", "warehouse": "Warehouse", "support": "Support"}


class Command(BaseCommand):
    help = "Make the API token of an integration (shop: push orders; warehouse: process; support: read)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("name", help="What the integration is, e.g. 'webshop' or 'helpdesk'.")
        parser.add_argument("--role", choices=sorted(ROLES), required=True)
        parser.add_argument("--rotate", action="store_true", help="Replace the token if there is one.")

    def handle(self, *args: Any, name: str, role: str, rotate: bool, **options: Any) -> None:
        username = f"api-{name.strip().lower()}"
        if not name.strip() or len(username) > 150:
            raise CommandError("Give the integration a short name.")
        with transaction.atomic():
            user, created = User.objects.get_or_create(username=username)
            if created:
                user.set_unusable_password()
                user.save()
            user.groups.set([Group.objects.get(name=ROLES[role])])
            token = Token.objects.filter(user=user).first()
            if token is not None and not rotate:
                raise CommandError(f"{username} has a token already; --rotate replaces it.")
            if token is not None:
                token.delete()
            token = Token.objects.create(user=user)
        self.stdout.write(f"{username} ({role}): {token.key}")
        self.stdout.write("Send it as the header 'Authorization: Token <key>'.")
