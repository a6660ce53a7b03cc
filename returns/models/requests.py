"""Returns: the request, its lines, and the history of every state change."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from returns.models.catalog import Order, OrderLine, Product, Variant, money_field
from returns.models.policy import Resolution, ReturnMethod, ReturnReason
from returns_portal.core.money import ZERO
from returns_portal.core.states import StateHistory


class ReturnState(models.TextChoices):
    REQUESTED = "requested", _("Requested")
    APPROVED = "approved", _("Approved")
    IN_TRANSIT = "in_transit", _("In transit")
    RECEIVED = "received", _("Received")
    INSPECTED = "inspected", _("Inspected")
    COMPLETED = "completed", _("Completed")
    REJECTED = "rejected", _("Rejected")
    CANCELLED = "cancelled", _("Cancelled")
    EXPIRED = "expired", _("Expired")


S = ReturnState
# The only moves a return can make; `returns.services.return_transition` enforces it.
TRANSITIONS: dict[str, frozenset[str]] = {
    S.REQUESTED: frozenset({S.APPROVED, S.REJECTED, S.CANCELLED}),
    # A parcel may arrive without a carrier scan, so approved -> received is allowed.
    S.APPROVED: frozenset({S.IN_TRANSIT, S.RECEIVED, S.CANCELLED, S.EXPIRED}),
    S.IN_TRANSIT: frozenset({S.RECEIVED}),
    S.RECEIVED: frozenset({S.INSPECTED}),
    S.INSPECTED: frozenset({S.COMPLETED}),
    S.COMPLETED: frozenset(),
    S.REJECTED: frozenset(),
    S.CANCELLED: frozenset(),
    S.EXPIRED: frozenset(),
}
# Returns in these states give their units back: the customer may return them again.
VOID_STATES = frozenset({S.REJECTED, S.CANCELLED, S.EXPIRED})
# The parcel is still with the customer: the carrier is booked for these, the label and pickup shown.
TO_BE_SENT_STATES = frozenset({S.REQUESTED, S.APPROVED})
# The customer may still call the return off: the states the table lets go to cancelled.
CANCELLABLE_STATES = frozenset(state for state, moves in TRANSITIONS.items() if S.CANCELLED in moves)
# The label and packing instructions are still of use: until the parcel has arrived.
PRINTABLE_STATES = frozenset({S.REQUESTED, S.APPROVED, S.IN_TRANSIT})
# A parcel scanned in for these can be received and inspected (a received one not yet inspected, too).
RECEIVABLE_STATES = frozenset({S.APPROVED, S.IN_TRANSIT, S.RECEIVED})
# The inspection has spoken: every line is accepted or rejected.
INSPECTED_STATES = frozenset({S.INSPECTED, S.COMPLETED})
# Returns that still owe the customer something, so their refund date matters.
OPEN_STATES = frozenset({S.REQUESTED, S.APPROVED, S.IN_TRANSIT, S.RECEIVED, S.INSPECTED})


class ReturnRequest(models.Model):
    number = models.CharField(max_length=12, unique=True, editable=False)
    order = models.ForeignKey(Order, on_delete=models.PROTECT, related_name="returns")
    state = models.CharField(max_length=16, choices=ReturnState.choices, default=ReturnState.REQUESTED, editable=False)
    state_changed_at = models.DateTimeField(default=timezone.now, editable=False)
    resolution = models.CharField(max_length=16, choices=Resolution.choices, default=Resolution.REFUND)
    method = models.CharField(max_length=16, choices=ReturnMethod.choices, default=ReturnMethod.LABEL)
    language = models.CharField(max_length=5, default="en", help_text="The customer's language for this return.")
    submission_key = models.CharField(
        max_length=64, unique=True, null=True, blank=True, editable=False, help_text="One return per confirmed form."
    )
    pickup_date = models.DateField(null=True, blank=True)
    # The carrier's booking of a home pickup: its reference and time window once booked, or the
    # carrier's own words (for staff) when it could not be booked. Both empty: not booked yet.
    pickup_reference = models.CharField(max_length=60, blank=True)
    pickup_window = models.CharField(max_length=40, blank=True, help_text="When the carrier comes, e.g. 08:00–18:00.")
    pickup_problem = models.TextField(blank=True, help_text="Why the carrier could not book the pickup.")
    carrier = models.CharField(max_length=60, blank=True)
    tracking_number = models.CharField(max_length=40, blank=True, db_index=True)
    qr_payload = models.CharField(max_length=200, blank=True)
    # Which configured carrier (a key of settings.CARRIERS) booked the parcel: tracking and cancelling ask the same one.
    carrier_key = models.CharField(max_length=20, blank=True, editable=False)
    shipment_id = models.CharField(
        max_length=80, blank=True, editable=False, help_text="The carrier's id of the booking."
    )
    # The service point the customer chose: {id, name, street, postcode, city, country, opening_hours, distance_m}.
    # Empty: any point (the carrier did not answer in time, or offers no list).
    service_point = models.JSONField(default=dict, blank=True)
    dropoff_code = models.CharField(max_length=120, blank=True, help_text="The carrier's label-free code.")
    carrier_label = models.FileField(upload_to="carrier-labels/%Y/%m/", blank=True, editable=False)
    # The carrier's own picture of the label-free code (PNG): what its service points scan. Its content is
    # the carrier's secret (not `dropoff_code`), so it is kept and shown as it came, never redrawn.
    dropoff_code_image = models.FileField(upload_to="dropoff-codes/%Y/%m/", blank=True, editable=False)
    # The carrier refused the booking (a 4xx with a reason): its words, for staff; `carrier_problem_field`
    # names what the customer can fix ("address", "postcode", "phone", "email") or is empty.
    carrier_problem = models.TextField(blank=True)
    carrier_problem_field = models.CharField(max_length=20, blank=True)
    booking_attempts = models.PositiveSmallIntegerField(default=0, editable=False)
    # The carrier was unavailable: when its booking is tried again (the sweep leaves it alone until then).
    carrier_retry_at = models.DateTimeField(null=True, blank=True, editable=False)
    # The customer's quote when they confirmed, in the order's currency (see returns.pricing).
    items_amount = money_field(default=ZERO)
    return_fee = money_field(default=ZERO)
    restocking_fee = money_field(default=ZERO)
    store_credit_bonus = money_field(default=ZERO)
    shipping_refund = money_field(default=ZERO)
    expected_refund = money_field(default=ZERO)
    refund_due_on = models.DateField(null=True, blank=True, help_text="Promised refund date; never later than EU law.")
    rejection_reason = models.TextField(blank=True, help_text="Shown to the customer.")
    override_reason = models.TextField(blank=True, help_text="Why staff accepted lines outside the policy.")
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["-created_at"]
        indexes = [
            models.Index(fields=["state", "state_changed_at"]),
            models.Index(fields=["created_at"]),
            # The "refund overdue" filter of staff and support: only open returns are indexed.
            models.Index(
                fields=["refund_due_on"], condition=models.Q(state__in=sorted(OPEN_STATES)), name="return_open_due_on"
            ),
            # The receiving list's "pickup day" filter: only returns the carrier collects are indexed.
            models.Index(
                fields=["pickup_date"], condition=models.Q(pickup_date__isnull=False), name="return_pickup_day"
            ),
        ]

    def __str__(self) -> str:
        return self.number


class Condition(models.TextChoices):
    RESELLABLE = "resellable", _("Resellable")
    DAMAGED = "damaged", _("Damaged")
    DEFECTIVE = "defective", _("Defective")
    MISSING = "missing", _("Missing (empty box)")
    WRONG_ITEM = "wrong_item", _("Another item than the one bought")


class Outcome(models.TextChoices):
    PENDING = "pending", _("Pending")
    ACCEPTED = "accepted", _("Accepted")
    REJECTED = "rejected", _("Rejected")


class ReturnLine(models.Model):
    return_request = models.ForeignKey(ReturnRequest, on_delete=models.CASCADE, related_name="lines")
    order_line = models.ForeignKey(OrderLine, on_delete=models.PROTECT, related_name="return_lines")
    quantity = models.PositiveIntegerField()
    reason = models.ForeignKey(ReturnReason, on_delete=models.PROTECT, related_name="+")
    comment = models.TextField(blank=True)
    received_quantity = models.PositiveIntegerField(null=True, blank=True)
    condition = models.CharField(max_length=16, choices=Condition.choices, blank=True)
    outcome = models.CharField(max_length=16, choices=Outcome.choices, default=Outcome.PENDING)
    outcome_reason = models.TextField(blank=True, help_text="Why the line was rejected; shown to the customer.")
    exchange_variant = models.ForeignKey(
        Variant,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text="The size or colour wanted.",
    )
    amount = money_field(default=ZERO, help_text="What these units were paid, discount included.")
    reserved_quantity = models.PositiveIntegerField(
        default=0, editable=False, help_text="Units of the exchange variant taken from stock and held for this line."
    )

    class Meta:
        ordering = ["return_request", "id"]
        constraints = [
            models.CheckConstraint(condition=models.Q(quantity__gte=1), name="returnline_quantity_positive"),
            models.CheckConstraint(
                condition=models.Q(received_quantity__isnull=True)
                | models.Q(received_quantity__lte=models.F("quantity")),
                name="returnline_received_at_most_requested",
            ),
            models.UniqueConstraint(fields=["return_request", "order_line"], name="returnline_one_per_order_line"),
        ]

    def __str__(self) -> str:
        return f"{self.quantity} x {self.order_line.variant.sku}"


class ReturnEvent(StateHistory):
    """A return's history: one row per state change, written by `return_transition` (and `return_create`)."""

    return_request = models.ForeignKey(ReturnRequest, on_delete=models.CASCADE, related_name="history")
    from_state = models.CharField(max_length=16, choices=ReturnState.choices, blank=True)
    to_state = models.CharField(max_length=16, choices=ReturnState.choices)


class TrackingStage(models.TextChoices):
    """What a carrier's event means for the return (`returns.carriers.TrackingStage`, as stored)."""

    BOOKED = "booked", _("Booked with the carrier")
    HANDED_IN = "handed_in", _("Handed in")
    IN_TRANSIT = "in_transit", _("On its way")
    DELIVERED = "delivered", _("Arrived at the warehouse")
    PROBLEM = "problem", _("Delayed or held up")
    OTHER = "other", _("Carrier update")


class ParcelEvent(models.Model):
    """One of the carrier's events about a return's parcel, stored once however often it is heard."""

    return_request = models.ForeignKey(ReturnRequest, on_delete=models.CASCADE, related_name="parcel_events")
    event_id = models.CharField(max_length=120)
    at = models.DateTimeField()
    stage = models.CharField(max_length=16, choices=TrackingStage.choices)
    description = models.CharField(max_length=300, help_text="The carrier's own words.")
    location = models.CharField(max_length=200, blank=True)
    received_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        ordering = ["return_request", "at", "id"]
        constraints = [
            models.UniqueConstraint(fields=["return_request", "event_id"], name="parcelevent_once_per_return")
        ]

    def __str__(self) -> str:
        return f"{self.return_request}: {self.stage} at {self.at:%Y-%m-%d %H:%M}"


class ReturnPhoto(models.Model):
    """A customer's photo of a defect. Uploaded before the return exists, so it hangs on a draft key first."""

    draft_key = models.CharField(max_length=64, db_index=True)
    order_line = models.ForeignKey(OrderLine, on_delete=models.CASCADE, related_name="+")
    return_line = models.ForeignKey(ReturnLine, null=True, blank=True, on_delete=models.CASCADE, related_name="photos")
    image = models.FileField(upload_to="return-photos/%Y/%m/")
    content_type = models.CharField(max_length=40)
    uploaded_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return str(self.image.name)


class SelfHelpOutcome(models.Model):
    """A customer read the self-help guide before claiming a defect, and said whether it solved the problem."""

    order_line = models.ForeignKey(OrderLine, on_delete=models.CASCADE, related_name="+")
    product = models.ForeignKey(Product, on_delete=models.CASCADE, related_name="self_help_outcomes")
    solved = models.BooleanField()
    at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return f"{self.product}: {'solved' if self.solved else 'not solved'}"
