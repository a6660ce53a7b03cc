"""Follow-ups: the outbox of messages, offers, objections to marketing, and survey answers."""

from __future__ import annotations

import secrets

from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator, RegexValidator
from django.db import models
from django.utils import timezone

from refunds.events import REFUND_EVENTS
from returns.events import RETURN_EVENTS
from returns.models import Customer, ReturnRequest

SETTINGS_CACHE_KEY = "followup:settings"


class FollowupSettings(models.Model):
    """The shop's follow-up rules, one row, edited in the admin."""

    thanks_after_days = models.PositiveSmallIntegerField(
        default=3, help_text="Days after a return is completed before the thank-you and survey (N)."
    )
    winback_after_days = models.PositiveSmallIntegerField(
        default=30, validators=[MinValueValidator(1)], help_text="Days after a completed return with no new order (M)."
    )
    winback_discount_percent = models.PositiveSmallIntegerField(
        default=10, validators=[MinValueValidator(1), MaxValueValidator(90)]
    )
    winback_valid_days = models.PositiveSmallIntegerField(
        default=30, validators=[MinValueValidator(1)], help_text="How long an offer code can be used."
    )
    offer_cap_days = models.PositiveSmallIntegerField(
        default=90, validators=[MinValueValidator(1)], help_text="At most one offer per customer in this many days."
    )
    soft_opt_in = models.BooleanField(
        default=False,
        help_text="Also send offers to buyers who did not consent but were told at checkout they could object "
        "(the soft opt-in). Off: only customers who said yes.",
    )
    brand_colour = models.CharField(
        max_length=7,
        default="#0a5aa8",
        validators=[RegexValidator(r"^#[0-9a-fA-F]{6}$", "A colour like #0a5aa8.")],
        help_text="Headings and buttons in e-mails.",
    )

    class Meta:
        verbose_name = verbose_name_plural = "follow-up settings"

    def __str__(self) -> str:
        return "Follow-up settings"

    def save(self, *args: object, **kwargs: object) -> None:
        self.pk = 1  # one row
        super().save(*args, **kwargs)  # type: ignore[arg-type]
        cache.delete(SETTINGS_CACHE_KEY)

    @classmethod
    def current(cls) -> FollowupSettings:
        found = cache.get(SETTINGS_CACHE_KEY)
        if found is None:
            found, _created = cls.objects.get_or_create(pk=1)
            cache.set(SETTINGS_CACHE_KEY, found, 300)
        return found


class Kind(models.TextChoices):
    CONFIRMATION = "confirmation", "Return confirmation"
    APPROVED = "approved", "Return approved"
    REJECTED = "rejected", "Return rejected"
    RECEIPT = "receipt", "Parcel received"
    REFUND_SENT = "refund_sent", "Refund sent"
    STORE_CREDIT = "store_credit", "Store credit issued"
    EXCHANGE_SHIPPED = "exchange_shipped", "Exchange shipped"
    THANKS = "thanks", "Thanks and survey"
    WINBACK = "winback", "Win-back offer"
    WEBHOOK = "webhook", "Webhook"


MARKETING_KINDS = frozenset({Kind.WINBACK})


class MessageState(models.TextChoices):
    PENDING = "pending", "Pending"
    SENDING = "sending", "Sending"  # claimed by a worker, which records the answer next
    SENT = "sent", "Sent"
    FAILED = "failed", "Failed"
    WITHHELD = "withheld", "Not sent: the customer objected to marketing"


class OutboxMessage(models.Model):
    """One e-mail to send, written in the transaction of the event that causes it.

    `key` makes each message unique (e.g. "confirmation:R-ABC1234"), so an event
    handled twice writes one row. The sender claims a row (`sending`, one more
    attempt, `claimed_at`) in a short transaction, sends with no transaction
    open, and records the answer only if its claim still holds; a claim older
    than the lease belongs to a worker that died, and is taken again.
    """

    key = models.CharField(max_length=120, unique=True)
    kind = models.CharField(max_length=20, choices=Kind.choices)
    to = models.CharField(max_length=500, help_text="An e-mail address, or a webhook's URL.")
    language = models.CharField(max_length=5, blank=True)
    subscriber = models.ForeignKey(
        "WebhookSubscriber", null=True, blank=True, on_delete=models.CASCADE, related_name="deliveries"
    )
    return_request = models.ForeignKey(
        ReturnRequest, null=True, blank=True, on_delete=models.CASCADE, related_name="outbox_messages"
    )
    customer = models.ForeignKey(Customer, null=True, blank=True, on_delete=models.CASCADE, related_name="+")
    payload = models.JSONField(default=dict, blank=True, help_text="What the template needs beyond the return.")
    state = models.CharField(max_length=8, choices=MessageState.choices, default=MessageState.PENDING)
    send_after = models.DateTimeField(default=timezone.now, help_text="Not sent before this moment.")
    attempts = models.PositiveSmallIntegerField(default=0)
    claimed_at = models.DateTimeField(
        null=True, blank=True, verbose_name="last attempt", help_text="When a worker last took it to send."
    )
    last_error = models.TextField(blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [
            # The sweep's question: what is due? Only pending rows are indexed.
            models.Index(fields=["send_after"], condition=models.Q(state="pending"), name="outbox_due"),
            # ... and whose sender died: rows still sending after the lease. Few rows, a tiny index.
            models.Index(fields=["claimed_at"], condition=models.Q(state="sending"), name="outbox_sending"),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} to {self.to}"


WEBHOOK_EVENTS = [*RETURN_EVENTS, *REFUND_EVENTS]  # named where they happen, next to their payloads


def new_webhook_secret() -> str:
    return "whsec_" + secrets.token_urlsafe(32)


class WebhookSubscriber(models.Model):
    """A system that wants to hear about returns and refunds: each event is POSTed to its URL, signed."""

    name = models.CharField(max_length=100)
    url = models.URLField(max_length=500)
    secret = models.CharField(
        max_length=100, default=new_webhook_secret, help_text="Shared with the receiver; signs every delivery."
    )
    events = models.JSONField(default=list, help_text=f"Any of: {', '.join(WEBHOOK_EVENTS)}.")
    active = models.BooleanField(default=True)
    created_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return f"{self.name} ({self.url})"

    def clean(self) -> None:
        unknown = sorted(set(self.events) - set(WEBHOOK_EVENTS)) if isinstance(self.events, list) else ["?"]
        if unknown:
            raise ValidationError(
                {"events": f"Unknown events: {', '.join(unknown)}. Use: {', '.join(WEBHOOK_EVENTS)}."}
            )


class OfferCode(models.Model):
    """A win-back discount: single use, with an expiry."""

    code = models.CharField(max_length=24, unique=True)
    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="+")
    return_request = models.ForeignKey(ReturnRequest, on_delete=models.CASCADE, related_name="+")
    percent = models.PositiveSmallIntegerField()
    expires_on = models.DateField()
    created_at = models.DateTimeField(default=timezone.now)
    redeemed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["customer", "created_at"])]
        constraints = [
            # One offer per completed return: selecting twice never makes a second code.
            models.UniqueConstraint(fields=["return_request"], name="one_offer_per_return"),
        ]

    def __str__(self) -> str:
        return self.code


class MarketingObjection(models.Model):
    """Someone said no to marketing e-mail. Kept by address and honoured forever.

    When the person is forgotten, the address gives way to a placeholder and the objection is
    kept as a keyed hash of it (`followup.privacy.email_digest`), which still rules out win-back.
    """

    email = models.EmailField(max_length=254, unique=True, help_text="Lower-case.")
    email_hash = models.CharField(
        max_length=64,
        blank=True,
        db_index=True,
        editable=False,
        help_text="HMAC-SHA256 of the address, once the person's data was erased; empty until then.",
    )
    at = models.DateTimeField(default=timezone.now)
    source = models.CharField(max_length=40, default="unsubscribe link")

    def __str__(self) -> str:
        return self.email


class SurveyAnswer(models.Model):
    """The customer's one answer about a return: a score, and maybe a comment."""

    return_request = models.OneToOneField(ReturnRequest, on_delete=models.CASCADE, related_name="survey_answer")
    score = models.PositiveSmallIntegerField(validators=[MinValueValidator(1), MaxValueValidator(5)])
    comment = models.TextField(blank=True)
    answered_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-answered_at"]
        constraints = [models.CheckConstraint(condition=models.Q(score__gte=1, score__lte=5), name="score_1_to_5")]

    def __str__(self) -> str:
        return f"{self.score}/5"
