"""Roles as Django groups: make each group hold exactly the permissions a table names.

A table maps a role's name to permissions written "app_label.codename". The roles themselves
are defined once, in the top app that may know every app's permissions (`followup.roles`): this
module names none, as the building blocks below all apps read nothing of them.
`roles_apply` runs from a data migration's historical registry or from `django.apps.apps`.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from typing import Any

from django.apps.registry import Apps
from django.contrib.auth.management import create_permissions
from django.db import DEFAULT_DB_ALIAS
from django.db.models import Q


class UnknownPermission(LookupError):
    """A role names a permission the database does not have: a typo, or a model that is gone."""


def roles_apply(
    apps: Apps, roles: Mapping[str, Iterable[str]], *, using: str = DEFAULT_DB_ALIAS, strict: bool = True
) -> set[str]:
    """Create each role's group if missing and give it exactly its permissions; returns those not found.

    Permissions are made first: Django makes them only after all migrations, and a fresh database
    has none yet. `strict` raises `UnknownPermission` for a name not found; a migration passes False,
    as a role may later name a model newer than that migration (a later migration applies it then).
    Groups that are not roles are left alone.
    """
    permissions_create(apps, using=using)
    Group = apps.get_model("auth", "Group")
    not_found: set[str] = set()
    for name, wanted in roles.items():
        found, missing = _permissions(apps, frozenset(wanted), using=using)
        if missing and strict:
            raise UnknownPermission(
                f"The role {name!r} names permissions that do not exist: {', '.join(sorted(missing))}"
            )
        not_found |= missing
        group, _created = Group.objects.using(using).get_or_create(name=name)
        group.permissions.set(found)
    return not_found


def permissions_create(apps: Apps, *, using: str = DEFAULT_DB_ALIAS) -> None:
    """Django's own `create_permissions` for every app, also from a migration's registry."""
    for app_config in apps.get_app_configs():
        # A migration's registry holds app configs without a models module, which Django skips.
        original = getattr(app_config, "models_module", None)
        app_config.models_module = original or True  # type: ignore[assignment]  # only its truth is asked
        try:
            create_permissions(app_config, verbosity=0, using=using, apps=apps)
        finally:
            app_config.models_module = original


def _permissions(apps: Apps, names: frozenset[str], *, using: str) -> tuple[list[Any], set[str]]:
    """The permission rows for `names`, and the names that have none."""
    Permission = apps.get_model("auth", "Permission")
    by_app: dict[str, list[str]] = defaultdict(list)
    for name in names:
        app_label, codename = name.split(".", 1)
        by_app[app_label].append(codename)
    which = Q(pk__in=[])
    for app_label, codenames in by_app.items():
        which |= Q(content_type__app_label=app_label, codename__in=codenames)
    found = list(Permission.objects.using(using).filter(which).select_related("content_type"))
    return found, set(names) - {f"{permission.content_type.app_label}.{permission.codename}" for permission in found}
