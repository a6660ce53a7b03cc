"""Item refund lines say how many units of their return line they pay back, so that a returned
unit is refunded once (refunds.services._check_caps); the lines made before say so too."""

from django.db import migrations, models
from django.db.models import Q


def units_of_existing_lines(apps, schema_editor):
    RefundLine = apps.get_model("refunds", "RefundLine")
    items = RefundLine.objects.filter(kind="item", return_line__isnull=False)
    # The proposal paid back the accepted (received) units, or the whole line when none were recorded.
    for line in items.select_related("return_line").only("id", "return_line__received_quantity",
                                                         "return_line__quantity").iterator():  # fmt: skip
        received = line.return_line.received_quantity
        line.quantity = received if received else line.return_line.quantity
        line.save(update_fields=["quantity"])
    # An item line that names no returned unit was money given back without one: goodwill.
    RefundLine.objects.filter(kind="item", return_line__isnull=True).update(kind="goodwill")


class Migration(migrations.Migration):
    dependencies = [
        ("refunds", "0005_shop_redeems_store_credit"),
        ("returns", "0009_pickup_booking"),
    ]

    operations = [
        migrations.AddField(
            model_name="refundline",
            name="quantity",
            field=models.PositiveIntegerField(db_default=0, default=0, help_text="Units paid back; items only."),
        ),
        migrations.RunPython(units_of_existing_lines, migrations.RunPython.noop),
        migrations.AddConstraint(
            model_name="refundline",
            constraint=models.CheckConstraint(
                condition=Q(kind="item", return_line__isnull=False, quantity__gte=1)
                | (~Q(kind="item") & Q(quantity=0)),
                name="refundline_items_have_units",
            ),
        ),
    ]
