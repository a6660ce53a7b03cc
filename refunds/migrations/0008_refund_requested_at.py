"""Refunds carry the time the customer asked (`Refund.requested_at`), so the dashboard's wait from the
request to the payout reads the refunds alone (issue #15). Existing refunds get their return's
request time, or their own creation for a goodwill refund, as `refund_create` sets it from now on."""

import django.utils.timezone
from django.db import migrations, models
from django.db.models import F, OuterRef, Subquery


def fill_requested_at(apps, schema_editor):
    Refund = apps.get_model("refunds", "Refund")
    ReturnRequest = apps.get_model("returns", "ReturnRequest")
    requested = ReturnRequest.objects.filter(pk=OuterRef("return_request_id")).values("created_at")
    Refund.objects.filter(return_request__isnull=False).update(requested_at=Subquery(requested))
    Refund.objects.filter(return_request__isnull=True).update(requested_at=F("created_at"))


class Migration(migrations.Migration):
    dependencies = [
        ("refunds", "0007_refund_history_actor_help"),
    ]

    operations = [
        migrations.AddField(model_name="refund", name="requested_at", field=models.DateTimeField(null=True)),
        migrations.RunPython(fill_requested_at, migrations.RunPython.noop, elidable=True),
        migrations.AlterField(
            model_name="refund",
            name="requested_at",
            field=models.DateTimeField(
                default=django.utils.timezone.now,
                editable=False,
                help_text="When the customer asked: their return's request, or the refund itself for a goodwill "
                "refund. The due day and the dashboard's wait count from it; kept here so neither joins the return.",
            ),
        ),
    ]
