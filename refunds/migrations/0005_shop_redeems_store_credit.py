"""The shop's checkout spends store credit codes through the API."""

from django.db import migrations


def shop_redeems(apps, schema_editor):
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    change = Permission.objects.filter(content_type__app_label="refunds", codename="change_storecredit")
    Group.objects.get(name="Shop").permissions.add(*change)


class Migration(migrations.Migration):
    dependencies = [("refunds", "0004_shop_reads_refunds")]

    operations = [migrations.RunPython(shop_redeems, migrations.RunPython.noop)]
