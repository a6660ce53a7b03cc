"""The Shop role reads refunds and store credit (for its bookkeeping and checkout)."""

from django.db import migrations


def shop_reads(apps, schema_editor):
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    view = Permission.objects.filter(content_type__app_label="refunds", codename__startswith="view_")
    Group.objects.get(name="Shop").permissions.add(*view)


class Migration(migrations.Migration):
    dependencies = [("refunds", "0003_store_credit"), ("returns", "0007_shop_role")]

    operations = [migrations.RunPython(shop_reads, migrations.RunPython.noop)]
