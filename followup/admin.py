"""Follow-ups in the admin: the outbox (state, attempts, last error, resend), survey answers,
offers, objections, and the settings N, M, discount and caps."""

from __future__ import annotations

from django import forms
from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest
from django.urls import reverse
from django.utils.html import format_html

from followup.models import (
    WEBHOOK_EVENTS,
    FollowupSettings,
    MarketingObjection,
    OfferCode,
    OutboxMessage,
    SurveyAnswer,
    WebhookSubscriber,
)
from followup.outbox import NotFailed, outbox_resend
from returns_portal.core.admin_actions import act_on_each


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False


@admin.register(OutboxMessage)
class OutboxMessageAdmin(ReadOnlyAdmin):
    list_display = [
        "created_at",
        "kind",
        "to",
        "language",
        "state",
        "attempts",
        "claimed_at",
        "send_after",
        "sent_at",
        "last_error",
    ]
    list_filter = ["state", "kind", "subscriber", "created_at", "language"]
    search_fields = ["to", "key"]
    actions = ["resend"]

    @admin.action(description="Send the selected failed messages again", permissions=["resend"])
    def resend(self, request: HttpRequest, queryset: QuerySet[OutboxMessage]) -> None:
        act_on_each(
            self,
            request,
            queryset.order_by("pk"),
            outbox_resend,
            verb="Queued",
            name=lambda message: f"{message.get_kind_display()} to {message.to}",
            refusals=(NotFailed,),
        )

    def has_resend_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm("followup.change_outboxmessage")


@admin.register(SurveyAnswer)
class SurveyAnswerAdmin(ReadOnlyAdmin):
    list_display = ["answered_at", "return_request", "score", "comment"]
    list_filter = ["score"]
    list_select_related = ["return_request"]
    search_fields = ["return_request__number", "comment"]
    date_hierarchy = "answered_at"


@admin.register(OfferCode)
class OfferCodeAdmin(ReadOnlyAdmin):
    list_display = ["code", "customer", "percent", "expires_on", "created_at", "redeemed_at"]
    list_select_related = ["customer"]
    search_fields = ["code", "customer__email"]


@admin.register(MarketingObjection)
class MarketingObjectionAdmin(admin.ModelAdmin):
    """Staff may record an objection (a customer asked by phone); never remove one."""

    list_display = ["email", "at", "source"]
    search_fields = ["email"]

    def has_delete_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False


@admin.register(FollowupSettings)
class FollowupSettingsAdmin(admin.ModelAdmin):
    list_display = ["__str__", "thanks_after_days", "winback_after_days", "winback_discount_percent", "offer_cap_days"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return not FollowupSettings.objects.exists()

    def has_delete_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False


class WebhookSubscriberForm(forms.ModelForm):
    url = forms.URLField(max_length=500, assume_scheme="https")
    events = forms.MultipleChoiceField(
        choices=[(event, event) for event in WEBHOOK_EVENTS], widget=forms.CheckboxSelectMultiple
    )

    class Meta:
        model = WebhookSubscriber
        fields = ["name", "url", "events", "active", "secret"]


@admin.register(WebhookSubscriber)
class WebhookSubscriberAdmin(admin.ModelAdmin):
    """Where events go. The delivery log is the outbox, filtered to this subscriber."""

    form = WebhookSubscriberForm
    list_display = ["name", "url", "events", "active", "deliveries_link"]
    list_filter = ["active"]
    search_fields = ["name", "url"]
    fields = ["name", "url", "events", "active", "secret"]

    @admin.display(description="delivery log")
    def deliveries_link(self, subscriber: WebhookSubscriber) -> str:
        url = reverse("admin:followup_outboxmessage_changelist") + f"?subscriber__id__exact={subscriber.pk}"
        return format_html('<a href="{}">deliveries</a>', url)
