"""Warehouse staff read and pay refunds; support agents read them."""

from django.contrib.auth.management import create_permissions
from django.db import migrations


def create_all_permissions(apps):
    """Django makes permissions after all migrations ran; a role migration needs them now."""
    for app_config in apps.get_app_configs():
        original, app_config.models_module = getattr(app_config, "models_module", None), True
        create_permissions(app_config, apps=apps, verbosity=0)
        app_config.models_module = original


def roles(apps, schema_editor):
    create_all_permissions(apps)
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    refunds = Permission.objects.filter(content_type__app_label="refunds")
    view = list(refunds.filter(codename__startswith="view_"))
    Group.objects.get(name="Warehouse").permissions.add(*view, *refunds.filter(codename="change_refund"))
    Group.objects.get(name="Support").permissions.add(*view)


class Migration(migrations.Migration):
    dependencies = [("refunds", "0001_initial"), ("returns", "0002_defaults_and_roles")]

    operations = [migrations.RunPython(roles, migrations.RunPython.noop)]
