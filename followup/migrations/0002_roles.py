"""Both roles read the outbox and survey answers; both may queue a message again (a failed one,
or the customer's status link resent by support). Neither changes settings or offers."""

import importlib

from django.db import migrations


def roles(apps, schema_editor):
    # Permissions are made after all migrations; make them now (see refunds 0002).
    importlib.import_module("refunds.migrations.0002_roles").create_all_permissions(apps)
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    followup = Permission.objects.filter(content_type__app_label="followup")
    view = list(followup.filter(codename__startswith="view_"))
    send = list(followup.filter(codename__in=["add_outboxmessage", "change_outboxmessage"]))
    for name in ("Warehouse", "Support"):
        Group.objects.get(name=name).permissions.add(*view, *send)


class Migration(migrations.Migration):
    dependencies = [("followup", "0001_initial"), ("refunds", "0003_store_credit")]

    operations = [migrations.RunPython(roles, migrations.RunPython.noop)]
