"""Refunds in the admin: read the money trail, pay, retry, confirm manual payouts. Services do the work."""

from __future__ import annotations

from functools import partial
from typing import cast

from django.contrib import admin
from django.contrib.auth.models import User
from django.db.models import QuerySet
from django.http import HttpRequest
from django.urls import URLPattern, path, reverse
from django.utils import timezone

from refunds.admin_goodwill import goodwill_view
from refunds.models import Refund, RefundEvent, RefundLine, RefundState, StoreCredit
from refunds.selectors import refund_is_late, refunds_late
from refunds.services import InvalidRefundTransition, RefundRefused, refund_confirm, refund_execute
from returns import deadlines, extensions
from returns.models import Order
from returns_portal.core.admin_actions import act_on_each


class OverdueFilter(admin.SimpleListFilter):
    title = "due"
    parameter_name = "due"

    def lookups(self, request: HttpRequest, model_admin: admin.ModelAdmin) -> list[tuple[str, str]]:
        return [("late", "Late"), ("soon", f"Due within {deadlines.DUE_SOON_DAYS} days")]

    def queryset(self, request: HttpRequest, queryset: QuerySet[Refund]) -> QuerySet[Refund]:
        today = timezone.localdate()
        open_refunds = queryset.exclude(state=RefundState.SUCCEEDED)
        if self.value() == "late":
            return refunds_late(queryset)
        if self.value() == "soon":
            return open_refunds.filter(due_on__gte=today, due_on__lte=deadlines.due_soon_until(today))
        return queryset


class RefundLineInline(admin.TabularInline):
    model = RefundLine
    extra = 0
    can_delete = False
    fields = readonly_fields = ("kind", "return_line", "quantity", "amount", "vat_rate", "vat_amount")

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


def _name(refund: Refund) -> str:
    return f"#{refund.pk} ({refund.get_state_display()})"


@admin.register(Refund)
class RefundAdmin(admin.ModelAdmin):
    list_display = ["id", "order", "return_request", "amount", "currency", "method", "state", "due_on", "late"]
    list_filter = ["state", "method", OverdueFilter, "created_at", "currency"]
    list_select_related = ["order", "return_request"]
    search_fields = ["order__number", "return_request__number", "provider_reference", "order__customer__email"]
    readonly_fields = [
        "order", "return_request", "amount", "currency", "method", "provider", "provider_reference", "idempotency_key",
        "state", "reason", "due_on", "attempts", "last_error", "created_at", "paid_at", "created_by", "store_credit",
    ]  # fmt: skip
    inlines = [RefundLineInline, RefundEventInline]
    actions = ["pay", "confirm_paid"]

    @admin.display(boolean=True, description="late")
    def late(self, refund: Refund) -> bool:
        return refund_is_late(refund)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # refunds are proposed from a received return, or as goodwill on their own page

    def get_urls(self) -> list[URLPattern]:
        view = self.admin_site.admin_view(partial(goodwill_view, self))
        return [path("goodwill/", view, name="refunds_refund_goodwill"), *super().get_urls()]

    @admin.action(description="Pay, or try again", permissions=["change"])
    def pay(self, request: HttpRequest, queryset: QuerySet[Refund]) -> None:
        staff = cast(User, request.user)  # admin actions only run for logged-in staff
        act_on_each(
            self,
            request,
            queryset.order_by("pk"),
            lambda refund: refund_execute(refund=refund, by=staff),
            verb="Sent",
            name=_name,
            refusals=(RefundRefused, InvalidRefundTransition),
        )

    @admin.action(description="Confirm manual payout (bank transfer made)", permissions=["change"])
    def confirm_paid(self, request: HttpRequest, queryset: QuerySet[Refund]) -> None:
        staff = cast(User, request.user)
        act_on_each(
            self,
            request,
            queryset.order_by("pk"),
            lambda refund: refund_confirm(refund=refund, by=staff),
            verb="Confirmed",
            name=_name,
            refusals=(RefundRefused, InvalidRefundTransition),
        )


@extensions.order_admin_links.register
def goodwill_refund_link(order: Order) -> list[extensions.AdminLink]:
    """On the order in the admin: money back without a return (late delivery, a scratch), on this app's page."""
    url = reverse("admin:refunds_refund_goodwill") + f"?order={order.number}"
    return [extensions.AdminLink("Goodwill refund", url)]


class RedeemedFilter(admin.SimpleListFilter):
    title = "use"
    parameter_name = "use"

    def lookups(self, request: HttpRequest, model_admin: admin.ModelAdmin) -> list[tuple[str, str]]:
        return [("open", "Not used yet"), ("used", "Used"), ("expired", "Expired unused")]

    def queryset(self, request: HttpRequest, queryset: QuerySet[StoreCredit]) -> QuerySet[StoreCredit]:
        today = timezone.localdate()
        if self.value() == "open":
            return queryset.filter(redeemed_at__isnull=True, expires_on__gte=today)
        if self.value() == "used":
            return queryset.filter(redeemed_at__isnull=False)
        if self.value() == "expired":
            return queryset.filter(redeemed_at__isnull=True, expires_on__lt=today)
        return queryset


@admin.register(StoreCredit)
class StoreCreditAdmin(admin.ModelAdmin):
    """Codes are issued by store-credit refunds and spent by the shop (API); here they are read."""

    list_display = ["code", "amount", "bonus", "currency", "expires_on", "redeemed_at", "redeemed_order", "refund"]
    list_filter = [RedeemedFilter, "currency"]
    list_select_related = ["refund"]
    search_fields = ["code", "refund__order__number", "refund__order__customer__email", "redeemed_order"]
    readonly_fields = [
        "code", "refund", "amount", "bonus", "currency", "expires_on", "created_at", "redeemed_at", "redeemed_order",
    ]  # fmt: skip

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False
