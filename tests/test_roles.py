"""The roles are defined once (`followup.roles`); the database's groups are exactly that."""

from __future__ import annotations

import pytest
from django.apps import apps
from django.contrib.auth.models import Group, Permission

from followup.roles import ROLES, SHOP, SUPPORT, WAREHOUSE
from returns_portal.core.roles import UnknownPermission, roles_apply

pytestmark = pytest.mark.django_db


def granted(group: Group) -> set[str]:
    return {f"{p.content_type.app_label}.{p.codename}" for p in group.permissions.select_related("content_type")}


def test_each_role_group_has_exactly_the_permissions_the_module_names() -> None:
    groups = {group.name: granted(group) for group in Group.objects.filter(name__in=ROLES)}
    assert groups == {name: set(permissions) for name, permissions in ROLES.items()}


def test_the_roles_are_the_ones_the_role_migrations_gave() -> None:
    """No behaviour change: what the seven role migrations granted, name by name (issue #12)."""
    assert len(ROLES[WAREHOUSE]) == 29 and len(ROLES[SUPPORT]) == 24 and len(ROLES[SHOP]) == 10
    assert ROLES[SUPPORT] < ROLES[WAREHOUSE]
    assert {"returns.change_order", "refunds.change_refund", "returns.change_returnrequest"} <= ROLES[WAREHOUSE]
    assert not {name for name in ROLES[SUPPORT] if name.split(".")[1].startswith(("add_", "change_", "delete_"))} - {
        "followup.add_outboxmessage",
        "followup.change_outboxmessage",
    }
    assert "refunds.change_storecredit" in ROLES[SHOP] and "returns.add_order" in ROLES[SHOP]


def test_applying_again_puts_a_group_back_to_its_definition_and_leaves_other_groups_alone() -> None:
    support = Group.objects.get(name=SUPPORT)
    support.permissions.add(Permission.objects.get(codename="delete_returnrequest"))
    Group.objects.get(name=SHOP).delete()
    own = Group.objects.create(name="Bookkeeping")
    own.permissions.add(Permission.objects.get(codename="view_refund"))

    assert roles_apply(apps, ROLES) == set()

    assert granted(Group.objects.get(name=SUPPORT)) == ROLES[SUPPORT]
    assert granted(Group.objects.get(name=SHOP)) == ROLES[SHOP]
    assert granted(own) == {"refunds.view_refund"}


def test_a_role_naming_a_permission_that_does_not_exist_stops_with_its_name() -> None:
    roles = {**ROLES, SUPPORT: ROLES[SUPPORT] | {"returns.fly_returnrequest"}}
    with pytest.raises(UnknownPermission, match=r"returns\.fly_returnrequest"):
        roles_apply(apps, roles)


def test_a_migration_applies_what_exists_and_says_what_does_not() -> None:
    roles = {**ROLES, SUPPORT: ROLES[SUPPORT] | {"returns.fly_returnrequest"}}
    assert roles_apply(apps, roles, strict=False) == {"returns.fly_returnrequest"}
    assert granted(Group.objects.get(name=SUPPORT)) == ROLES[SUPPORT]
