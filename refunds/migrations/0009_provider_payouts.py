"""Refunds through the order's payment provider (issue #14): the provider's fee, when the payout was
sent (reconciliation asks about those left processing), the failed refund a switched one replaces,
and the providers' webhook events, each stored once."""

import django.db.models.deletion
import django.utils.timezone
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("refunds", "0008_refund_requested_at"),
    ]

    operations = [
        migrations.AddField(
            model_name="refund",
            name="provider_fee",
            field=models.DecimalField(
                blank=True,
                decimal_places=2,
                editable=False,
                help_text="What the payment provider charged for the refund, if it said.",
                max_digits=12,
                null=True,
            ),
        ),
        migrations.AddField(
            model_name="refund",
            name="processing_since",
            field=models.DateTimeField(
                blank=True,
                editable=False,
                help_text="When the payout was last sent to the provider: reconciliation asks about refunds left "
                "processing.",
                null=True,
            ),
        ),
        migrations.AddField(
            model_name="refund",
            name="replaces",
            field=models.OneToOneField(
                blank=True,
                editable=False,
                help_text="The failed refund this one pays instead, by another method (switched by staff, once).",
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="replacement",
                to="refunds.refund",
            ),
        ),
        migrations.AddIndex(
            model_name="refund",
            index=models.Index(fields=["provider", "provider_reference"], name="refund_by_provider_reference"),
        ),
        migrations.CreateModel(
            name="PaymentEvent",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                (
                    "provider",
                    models.CharField(help_text="The key in PAYMENT_PROVIDERS: klarna, adyen, stripe.", max_length=16),
                ),
                ("event_id", models.CharField(max_length=200)),
                ("kind", models.CharField(help_text="The provider's own name for the event.", max_length=80)),
                ("refund_reference", models.CharField(blank=True, max_length=120)),
                (
                    "outcome",
                    models.CharField(
                        choices=[
                            ("settled", "Settled the refund"),
                            ("reversed", "Reversed a paid refund: the money came back, the refund failed"),
                            ("noted", "Noted (the refund was already settled this way, or is still under way)"),
                            ("conflict", "Conflicts with the refund's state: for staff to check"),
                            ("unknown_refund", "No refund of ours"),
                            ("ignored", "Not about a refund's outcome"),
                        ],
                        max_length=16,
                    ),
                ),
                ("note", models.TextField(blank=True)),
                ("payload", models.JSONField(default=dict, help_text="The event as the provider sent it, verified.")),
                ("received_at", models.DateTimeField(default=django.utils.timezone.now)),
                (
                    "refund",
                    models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.SET_NULL,
                        related_name="events",
                        to="refunds.refund",
                    ),
                ),
            ],
            options={
                "ordering": ["-received_at", "-id"],
                "indexes": [
                    models.Index(fields=["provider", "refund_reference"], name="refunds_pay_provide_ddcbda_idx")
                ],
                "constraints": [models.UniqueConstraint(fields=("provider", "event_id"), name="payment_event_once")],
            },
        ),
    ]
