"""Refunds in the admin: read the money trail, pay, retry, confirm manual payouts. Services do the work."""

from __future__ import annotations

from contextvars import ContextVar
from functools import partial
from typing import Any, cast

from django.contrib import admin
from django.contrib.auth.models import User
from django.db.models import Q, QuerySet
from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse
from django.urls import URLPattern, path, reverse
from django.utils import timezone

from refunds.admin_goodwill import goodwill_view
from refunds.auto_refund import refund_needs_approval
from refunds.models import PaymentEvent, Refund, RefundEvent, RefundLine, RefundMethod, RefundState, StoreCredit
from refunds.reconcile import STUCK_AFTER, refund_is_stuck, refunds_stuck
from refunds.selectors import refund_is_late, refunds_late
from refunds.services import InvalidRefundTransition, RefundRefused, refund_confirm, refund_execute
from refunds.switching import refund_switch
from returns import deadlines, extensions
from returns.models import Order, ReturnPolicy
from returns_portal.core.admin_actions import act_on_each, ask_first
from returns_portal.core.money import Currency

# The policy the refunds list was drawn with: read once per list, not once per row's "needs a person".
_listed_policy: ContextVar[ReturnPolicy | None] = ContextVar("refunds_listed_policy", default=None)


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


class AttentionFilter(admin.SimpleListFilter):
    """Refunds a person has to act on: approve one above the auto-refund ceiling, look into one the
    provider declined or has not settled for long."""

    title = "needs a person"
    parameter_name = "attention"

    def lookups(self, request: HttpRequest, model_admin: admin.ModelAdmin) -> list[tuple[str, str]]:
        hours = int(STUCK_AFTER.total_seconds() // 3600)
        return [
            ("approval", "Needs approval (above the auto-refund ceiling)"),
            ("failed", "Failed (the provider's reason)"),
            ("stuck", f"At the provider for over {hours} hours"),
        ]

    def queryset(self, request: HttpRequest, queryset: QuerySet[Refund]) -> QuerySet[Refund]:
        if self.value() == "approval":
            policy = ReturnPolicy.current()
            pending = queryset.filter(state=RefundState.PENDING, method=RefundMethod.ORIGINAL_PAYMENT)
            over = Q()
            for currency in Currency.values:
                over |= Q(currency=currency, amount__gt=policy.auto_refund_ceiling(currency))
            return pending.exclude(order__payment_provider="").filter(over) if policy.auto_refund else pending.none()
        if self.value() == "failed":
            return queryset.filter(state=RefundState.FAILED, replacement__isnull=True)
        if self.value() == "stuck":
            return refunds_stuck(queryset)
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


class PaymentEventInline(admin.TabularInline):
    """What the provider's webhooks said about the refund, each event once."""

    model = PaymentEvent
    extra = 0
    can_delete = False
    verbose_name_plural = "provider's webhook events"
    fields = readonly_fields = ("received_at", "kind", "event_id", "outcome", "note")

    def has_add_permission(self, request: HttpRequest, obj: Refund | None = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Refund | None = None) -> bool:
        return False


def _name(refund: Refund) -> str:
    return f"#{refund.pk} ({refund.get_state_display()})"


@admin.register(Refund)
class RefundAdmin(admin.ModelAdmin):
    list_display = [
        "id", "order", "return_request", "amount_shown", "method", "provider", "state", "due_on", "late", "attention",
    ]  # fmt: skip
    list_filter = ["state", "method", AttentionFilter, OverdueFilter, "provider", "created_at", "currency"]
    list_select_related = ["order", "return_request", "replacement"]
    search_fields = ["order__number", "return_request__number", "provider_reference", "order__customer__email"]
    readonly_fields = [
        "order", "return_request", "amount", "currency", "method", "provider", "provider_reference", "provider_fee",
        "idempotency_key", "state", "providers_reason", "reason", "due_on", "attempts", "processing_since",
        "created_at", "paid_at", "created_by", "store_credit", "replaces", "replaced_by",
    ]  # fmt: skip
    exclude = ["last_error"]  # shown as "providers_reason"
    inlines = [RefundLineInline, RefundEventInline, PaymentEventInline]
    actions = ["pay", "confirm_paid", "switch_to_bank_transfer", "switch_to_store_credit"]

    @admin.display(description="amount", ordering="amount")
    def amount_shown(self, refund: Refund) -> str:
        return f"{refund.amount}\u00a0{refund.currency}"  # the code, not the name, unbroken: the list stays narrow

    @admin.display(boolean=True, description="late")
    def late(self, refund: Refund) -> bool:
        return refund_is_late(refund)

    @admin.display(description="needs a person")
    def attention(self, refund: Refund) -> str:
        if refund.state == RefundState.FAILED:
            return "failed: paid another way" if hasattr(refund, "replacement") else "failed: retry or switch"
        if refund_is_stuck(refund):
            return "no answer from the provider"
        if refund_needs_approval(refund, _listed_policy.get() or ReturnPolicy.current()):
            return "needs approval"
        return ""

    @admin.display(description="provider's reason / last error")
    def providers_reason(self, refund: Refund) -> str:
        return refund.last_error or "–"

    @admin.display(description="paid instead by")
    def replaced_by(self, refund: Refund) -> Refund | str:
        return getattr(refund, "replacement", None) or "–"

    def changelist_view(self, request: HttpRequest, extra_context: dict[str, Any] | None = None) -> HttpResponse:
        token = _listed_policy.set(ReturnPolicy.current())
        try:
            response = super().changelist_view(request, extra_context)
            if isinstance(response, TemplateResponse):
                response.render()  # the rows are drawn here, while the policy is set
            return response
        finally:
            _listed_policy.reset(token)

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

    @admin.action(description="Switch a failed refund to bank transfer (asks why)", permissions=["change"])
    def switch_to_bank_transfer(self, request: HttpRequest, queryset: QuerySet[Refund]) -> TemplateResponse | None:
        return self._switch(request, queryset, RefundMethod.BANK_TRANSFER)

    @admin.action(description="Switch a failed refund to store credit (asks why)", permissions=["change"])
    def switch_to_store_credit(self, request: HttpRequest, queryset: QuerySet[Refund]) -> TemplateResponse | None:
        return self._switch(request, queryset, RefundMethod.STORE_CREDIT)

    def _switch(self, request: HttpRequest, queryset: QuerySet[Refund], method: str) -> TemplateResponse | None:
        label = RefundMethod(method).label.lower()
        asked = ask_first(
            self,
            request,
            queryset.order_by("pk"),
            action=f"switch_to_{method}",
            intro=f"Pay these failed refunds by {label} instead. Each keeps its history; a new refund with the "
            "same lines pays it, once.",
            label="Why (kept in both refunds' history)",
            button=f"Switch to {label}",
        )
        if asked is not None:
            return asked
        staff, reason = cast(User, request.user), request.POST.get("answer", "")
        act_on_each(
            self,
            request,
            queryset.order_by("pk"),
            lambda refund: refund_switch(refund=refund, method=method, reason=reason, by=staff),
            verb=f"Switched to {label}",
            name=_name,
            refusals=(RefundRefused, InvalidRefundTransition),
        )
        return None

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


@admin.register(PaymentEvent)
class PaymentEventAdmin(admin.ModelAdmin):
    """The payment providers' webhook events as they came, each once, with what they did: read only."""

    list_display = ["received_at", "provider", "kind", "event_id", "outcome", "refund"]
    list_filter = ["provider", "outcome", "received_at"]
    list_select_related = ["refund"]
    search_fields = ["event_id", "refund_reference", "refund__idempotency_key", "refund__order__number"]
    readonly_fields = [
        "provider", "event_id", "kind", "refund", "refund_reference", "outcome", "note", "payload", "received_at",
    ]  # fmt: skip

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: PaymentEvent | None = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: PaymentEvent | None = None) -> bool:
        return False
