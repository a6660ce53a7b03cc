"""Refunds: money going back to a customer, line by line, with the history of every change."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from returns.models import Order, ReturnLine, ReturnRequest
from returns.models.catalog import money_field
from returns_portal.core.money import Currency
from returns_portal.core.states import StateHistory


class RefundMethod(models.TextChoices):
    ORIGINAL_PAYMENT = "original_payment", _("Original payment method")
    BANK_TRANSFER = "bank_transfer", _("Bank transfer")
    STORE_CREDIT = "store_credit", _("Store credit")


class RefundState(models.TextChoices):
    PENDING = "pending", _("Pending")
    PROCESSING = "processing", _("Processing")
    SUCCEEDED = "succeeded", _("Succeeded")
    FAILED = "failed", _("Failed")


S = RefundState
# The only moves a refund can make; `refunds.services.refund_transition` enforces it. A failed
# refund may be tried again; a processing one stays processing while the provider has not answered.
# A paid refund fails only when its provider reverses it (Adyen's REFUND_FAILED, REFUNDED_REVERSED:
# the money came back to the shop), so that staff pay it another way (`refunds.settlement`).
TRANSITIONS: dict[str, frozenset[str]] = {
    S.PENDING: frozenset({S.PROCESSING, S.FAILED}),
    S.PROCESSING: frozenset({S.SUCCEEDED, S.FAILED}),
    S.FAILED: frozenset({S.PROCESSING}),
    S.SUCCEEDED: frozenset({S.FAILED}),
}
# Refunds that have paid out or may still pay out: they count against what the order can give back.
COUNTED_STATES = frozenset({S.PENDING, S.PROCESSING, S.SUCCEEDED})
# Payouts on their way: the payout task may start or finish them, and an inspected return waits for
# them before it completes. A failed one waits for staff to try again; a paid one is done.
PAYABLE_STATES = frozenset({S.PENDING, S.PROCESSING})
# Money not yet with the customer (a failed payout too): someone still has to pay it.
UNSETTLED_STATES = frozenset({S.PENDING, S.PROCESSING, S.FAILED})


class Refund(models.Model):
    order = models.ForeignKey(Order, on_delete=models.PROTECT, related_name="refunds")
    return_request = models.ForeignKey(
        ReturnRequest, null=True, blank=True, on_delete=models.PROTECT, related_name="refunds"
    )
    amount = money_field()
    currency = models.CharField(max_length=3, choices=Currency.choices)
    method = models.CharField(max_length=20, choices=RefundMethod.choices)
    provider = models.CharField(max_length=40)
    provider_reference = models.CharField(max_length=120, blank=True)
    idempotency_key = models.CharField(max_length=120, unique=True)
    state = models.CharField(max_length=12, choices=RefundState.choices, default=RefundState.PENDING, editable=False)
    reason = models.TextField(blank=True, help_text="Why, for a goodwill refund not tied to returned items.")
    due_on = models.DateField(help_text="The refund must be paid by this day.")
    attempts = models.PositiveSmallIntegerField(default=0)
    last_error = models.TextField(blank=True)
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    requested_at = models.DateTimeField(
        default=timezone.now,
        editable=False,
        help_text="When the customer asked: their return's request, or the refund itself for a goodwill refund. "
        "The due day and the dashboard's wait count from it; kept here so neither joins the return.",
    )
    paid_at = models.DateTimeField(null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    provider_fee = money_field(
        null=True, blank=True, editable=False, help_text="What the payment provider charged for the refund, if it said."
    )
    processing_since = models.DateTimeField(
        null=True,
        blank=True,
        editable=False,
        help_text="When the payout was last sent to the provider: reconciliation asks about refunds left processing.",
    )
    replaces = models.OneToOneField(
        "self",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="replacement",
        editable=False,
        help_text="The failed refund this one pays instead, by another method (switched by staff, once).",
    )

    class Meta:
        ordering = ["-created_at"]
        indexes = [
            models.Index(fields=["order", "state"]),
            models.Index(fields=["state", "due_on"]),
            models.Index(fields=["provider", "provider_reference"], name="refund_by_provider_reference"),
        ]
        constraints = [models.CheckConstraint(condition=models.Q(amount__gt=0), name="refund_amount_positive")]

    def __str__(self) -> str:
        return f"{self.amount} {self.currency} ({self.get_state_display()})"


class RefundLineKind(models.TextChoices):
    ITEM = "item", _("Returned item")
    RETURN_FEE = "return_fee", _("Return fee")
    RESTOCKING_FEE = "restocking_fee", _("Restocking fee")
    SHIPPING = "shipping", _("Original shipping")
    GOODWILL = "goodwill", _("Goodwill")


class RefundLine(models.Model):
    """One part of a refund: returned units' value (VAT kept for bookkeeping), or a fee as a negative amount.

    An item line names the return line and how many of its units it pays back, so that what
    counted refunds cover can be summed per return line and per order line (`refunds.selectors`).
    """

    refund = models.ForeignKey(Refund, on_delete=models.CASCADE, related_name="lines")
    kind = models.CharField(max_length=16, choices=RefundLineKind.choices)
    return_line = models.ForeignKey(ReturnLine, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    quantity = models.PositiveIntegerField(default=0, db_default=0, help_text="Units paid back; items only.")
    amount = money_field()
    vat_rate = models.DecimalField(max_digits=5, decimal_places=2, default=0)
    vat_amount = money_field(default=0)

    class Meta:
        ordering = ["refund", "id"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(kind=RefundLineKind.ITEM, return_line__isnull=False, quantity__gte=1)
                | (~models.Q(kind=RefundLineKind.ITEM) & models.Q(quantity=0)),
                name="refundline_items_have_units",
            )
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()}: {self.amount}"


class RefundEvent(StateHistory):
    """A refund's history: one row per state change, written by `refund_transition` (and `refund_create`)."""

    refund = models.ForeignKey(Refund, on_delete=models.CASCADE, related_name="history")
    from_state = models.CharField(max_length=12, choices=RefundState.choices, blank=True)
    to_state = models.CharField(max_length=12, choices=RefundState.choices)


class StoreCredit(models.Model):
    """A single-use code the customer spends in the shop: the refund's value plus the policy's bonus.

    It is the payout of a store-credit refund, so what it is worth in money
    terms (`refund.amount`) counts against what the order can give back; the
    bonus is the shop's gift on top.
    """

    code = models.CharField(max_length=24, unique=True, editable=False)
    refund = models.OneToOneField(Refund, on_delete=models.PROTECT, related_name="store_credit", editable=False)
    amount = money_field(help_text="What the code is worth, bonus included.")
    bonus = money_field(help_text="The part of the amount that is the store-credit bonus.")
    currency = models.CharField(max_length=3, choices=Currency.choices)
    expires_on = models.DateField()
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    redeemed_at = models.DateTimeField(null=True, blank=True, editable=False)
    redeemed_order = models.CharField(max_length=40, blank=True, editable=False, help_text="Where it was spent.")

    class Meta:
        ordering = ["-created_at"]
        constraints = [models.CheckConstraint(condition=models.Q(amount__gt=0), name="store_credit_amount_positive")]

    def __str__(self) -> str:
        return self.code


class ProviderEventOutcome(models.TextChoices):
    """What a payment provider's webhook event did here."""

    SETTLED = "settled", "Settled the refund"
    REVERSED = "reversed", "Reversed a paid refund: the money came back, the refund failed"
    NOTED = "noted", "Noted (the refund was already settled this way, or is still under way)"
    CONFLICT = "conflict", "Conflicts with the refund's state: for staff to check"
    UNKNOWN_REFUND = "unknown_refund", "No refund of ours"
    IGNORED = "ignored", "Not about a refund's outcome"


class PaymentEvent(models.Model):
    """A payment provider's webhook event, stored once: the same event again (a replay, a retried
    delivery) finds its row and changes nothing. Kept for staff: what came and what it did."""

    provider = models.CharField(max_length=16, help_text="The key in PAYMENT_PROVIDERS: klarna, adyen, stripe.")
    event_id = models.CharField(max_length=200)
    kind = models.CharField(max_length=80, help_text="The provider's own name for the event.")
    refund = models.ForeignKey(Refund, null=True, blank=True, on_delete=models.SET_NULL, related_name="events")
    refund_reference = models.CharField(max_length=120, blank=True)
    outcome = models.CharField(max_length=16, choices=ProviderEventOutcome.choices)
    note = models.TextField(blank=True)
    payload = models.JSONField(default=dict, help_text="The event as the provider sent it, verified.")
    received_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-received_at", "-id"]
        constraints = [models.UniqueConstraint(fields=["provider", "event_id"], name="payment_event_once")]
        indexes = [models.Index(fields=["provider", "refund_reference"])]

    def __str__(self) -> str:
        return f"{self.provider} {self.kind} {self.event_id}"
