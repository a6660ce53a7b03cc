"""Refunds in the admin: read the money trail, pay, retry, confirm manual payouts. Services do the work."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils import timezone

from refunds.models import COUNTED_STATES, Refund, RefundEvent, RefundLine, RefundState
from refunds.services import InvalidRefundTransition, RefundRefused, refund_confirm, refund_execute


class OverdueFilter(admin.SimpleListFilter):
    title = "due"
    parameter_name = "due"

    def lookups(self, request: HttpRequest, model_admin: admin.ModelAdmin) -> list[tuple[str, str]]:
        return [("late", "Late"), ("soon", "Due within 3 days")]

    def queryset(self, request: HttpRequest, queryset: QuerySet[Refund]) -> QuerySet[Refund]:
        today = timezone.localdate()
        open_refunds = queryset.exclude(state=RefundState.SUCCEEDED)
        if self.value() == "late":
            return open_refunds.filter(due_on__lt=today)
        if self.value() == "soon":
            return open_refunds.filter(due_on__gte=today, due_on__lte=today + dt.timedelta(days=3))
        return queryset


class RefundLineInline(admin.TabularInline):
    model = RefundLine
    extra = 0
    can_delete = False
    fields = readonly_fields = ("kind", "return_line", "amount", "vat_rate", "vat_amount")

    def has_add_permission(self, request: HttpRequest, obj: Refund | None = None) -> bool:
        return False


class RefundEventInline(admin.TabularInline):
    model = RefundEvent
    extra = 0
    can_delete = False
    fields = readonly_fields = ("at", "actor", "from_state", "to_state", "note")

    def has_add_permission(self, request: HttpRequest, obj: Refund | None = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Refund | None = None) -> bool:
        return False


def _each(
    modeladmin: admin.ModelAdmin,
    request: HttpRequest,
    refunds: QuerySet[Refund],
    act: Callable[[Refund], Refund],
    verb: str,
) -> None:
    """Run `act` on every selected refund; report what was done and what was refused, and why."""
    done, refused = [], []
    for refund in refunds.order_by("pk"):
        try:
            result = act(refund)
        except (RefundRefused, InvalidRefundTransition) as refusal:
            refused.append(f"#{refund.pk}: {refusal}")
        else:
            done.append(f"#{result.pk} ({result.get_state_display()})")
    if done:
        modeladmin.message_user(request, f"{verb}: {', '.join(done)}", messages.SUCCESS)
    if refused:
        modeladmin.message_user(request, f"Refused: {'; '.join(refused)}", messages.WARNING)


@admin.register(Refund)
class RefundAdmin(admin.ModelAdmin):
    list_display = ["id", "order", "return_request", "amount", "currency", "method", "state", "due_on", "late"]
    list_filter = ["state", "method", OverdueFilter, "currency"]
    list_select_related = ["order", "return_request"]
    search_fields = ["order__number", "return_request__number", "provider_reference", "order__customer__email"]
    date_hierarchy = "created_at"
    readonly_fields = [
        "order", "return_request", "amount", "currency", "method", "provider", "provider_reference", "idempotency_key",
        "state", "reason", "due_on", "attempts", "last_error", "created_at", "paid_at", "created_by",
    ]  # fmt: skip
    inlines = [RefundLineInline, RefundEventInline]
    actions = ["pay", "confirm_paid"]

    @admin.display(boolean=True, description="late")
    def late(self, refund: Refund) -> bool:
        return refund.state in COUNTED_STATES - {RefundState.SUCCEEDED} and refund.due_on < timezone.localdate()

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # refunds are proposed from a received return or issued as goodwill through the services

    @admin.action(description="Pay, or try again", permissions=["change"])
    def pay(self, request: HttpRequest, queryset: QuerySet[Refund]) -> None:
        _each(self, request, queryset, lambda refund: refund_execute(refund=refund, by=request.user), "Sent")  # type: ignore[arg-type]

    @admin.action(description="Confirm manual payout (bank transfer made)", permissions=["change"])
    def confirm_paid(self, request: HttpRequest, queryset: QuerySet[Refund]) -> None:
        _each(self, request, queryset, lambda refund: refund_confirm(refund=refund, by=request.user), "Confirmed")  # type: ignore[arg-type]
