# The outbox claims a row (state "sending", claimed_at) instead of holding a row lock while it sends.

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("followup", "0005_survey_by_return"),
    ]

    operations = [
        migrations.AddField(
            model_name="outboxmessage",
            name="claimed_at",
            field=models.DateTimeField(
                blank=True, help_text="When a worker last took it to send.", null=True, verbose_name="last attempt"
            ),
        ),
        migrations.AlterField(
            model_name="outboxmessage",
            name="state",
            field=models.CharField(
                choices=[
                    ("pending", "Pending"),
                    ("sending", "Sending"),
                    ("sent", "Sent"),
                    ("failed", "Failed"),
                    ("withheld", "Not sent: the customer objected to marketing"),
                ],
                default="pending",
                max_length=8,
            ),
        ),
        migrations.AddIndex(
            model_name="outboxmessage",
            index=models.Index(condition=models.Q(("state", "sending")), fields=["claimed_at"], name="outbox_sending"),
        ),
    ]
