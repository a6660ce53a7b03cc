"""The Shop role, for the store's API token: it pushes orders and reads returns."""

from django.db import migrations


def shop_role(apps, schema_editor):
    from django.contrib.auth.management import create_permissions

    for app_config in apps.get_app_configs():  # permissions are made after migrations; a role needs them now
        original, app_config.models_module = getattr(app_config, "models_module", None), True
        create_permissions(app_config, apps=apps, verbosity=0)
        app_config.models_module = original
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    codenames = ["add_order", "change_order", "view_order", "view_customer", "view_returnrequest"]
    shop, _ = Group.objects.get_or_create(name="Shop")
    shop.permissions.add(*Permission.objects.filter(content_type__app_label="returns", codename__in=codenames))


class Migration(migrations.Migration):
    dependencies = [("returns", "0006_orders_newest_first")]

    operations = [migrations.RunPython(shop_role, migrations.RunPython.noop)]
