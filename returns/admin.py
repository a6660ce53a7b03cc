"""Staff screens for the catalogue mirror, the policy and returns.

Admin stays thin: changes of state go through `returns.services`; the
history is read-only.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from contextlib import contextmanager
from functools import partial
from typing import cast

from django.contrib import admin
from django.contrib.auth.models import User
from django.db import transaction
from django.db.models import Exists, OuterRef, QuerySet
from django.forms import BaseInlineFormSet, ModelForm
from django.http import HttpRequest, HttpResponseBase
from django.template.loader import render_to_string
from django.urls import URLPattern, path, reverse
from django.utils import timezone
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString

from returns import access, deadlines, models, rollups
from returns.admin_carriers import CarrierBookingFilter, ParcelEventInline, book_again, carrier_booking
from returns.admin_photos import photo_view
from returns.admin_receiving import receive_view, scan_view
from returns.admin_staff_return import staff_return_view
from returns.extensions import admin_links_of
from returns.pickup_text import pickup_for_staff
from returns.selectors import order_match, return_match, staff_return_lines
from returns.services import (
    InvalidTransition,
    ReturnRefused,
    replacement_ship,
    return_reject,
    return_transition,
)
from returns_portal.core.admin_actions import act_on_each, ask_first


@admin.register(models.Category)
class CategoryAdmin(admin.ModelAdmin):
    list_display = ["name", "code"]
    search_fields = ["name", "code"]


class VariantInline(admin.TabularInline):
    model = models.Variant
    extra = 0
    fields = ["sku", "option", "stock"]


@admin.register(models.Product)
class ProductAdmin(admin.ModelAdmin):
    list_display = ["name", "code", "category", "returnable"]
    list_filter = ["returnable", "category"]
    search_fields = ["name", "code", "variants__sku"]
    inlines = [VariantInline]


@admin.register(models.Variant)
class VariantAdmin(admin.ModelAdmin):
    list_display = ["sku", "product", "option", "stock"]
    list_select_related = ["product"]
    search_fields = ["sku", "product__name"]
    autocomplete_fields = ["product"]


@admin.register(models.Customer)
class CustomerAdmin(admin.ModelAdmin):
    list_display = ["email", "name", "country", "language", "marketing_consent"]
    list_filter = ["country", "language", "marketing_consent"]
    search_fields = ["email", "name", "postcode"]
    readonly_fields = ["consent_changed_at", "consent_source", "created_at"]


class OrderLineInline(admin.TabularInline):
    model = models.OrderLine
    extra = 0
    fields = ["variant", "quantity", "unit_price", "vat_rate"]
    autocomplete_fields = ["variant"]


class ReplacementFilter(admin.SimpleListFilter):
    title = "exchange replacements"
    parameter_name = "replacement"

    def lookups(self, request: HttpRequest, model_admin: admin.ModelAdmin) -> list[tuple[str, str]]:
        return [("to_ship", "To ship"), ("shipped", "Shipped"), ("all", "All replacements")]

    def queryset(self, request: HttpRequest, queryset: QuerySet[models.Order]) -> QuerySet[models.Order]:
        replacements = queryset.filter(replacement_for__isnull=False)
        if self.value() == "to_ship":
            return replacements.filter(shipped_at__isnull=True)
        if self.value() == "shipped":
            return replacements.filter(shipped_at__isnull=False)
        return replacements if self.value() == "all" else queryset


@contextmanager
def _recounted(order_ids: list[int]) -> Iterator[None]:
    """The change made inside, to these orders, counted in the insight's rollups in the same transaction."""
    with transaction.atomic():
        before = rollups.orders_tally(order_ids=order_ids)
        yield
        rollups.orders_recount(before=before, order_ids=order_ids)


@admin.register(models.Order)
class OrderAdmin(admin.ModelAdmin):
    list_display = [
        "number", "customer", "placed_at", "delivered_at", "currency", "payment_method", "payment_provider",
        "shipped_at",
    ]  # fmt: skip
    # No date hierarchy: its year links scan every order; the date filter does not.
    list_filter = [ReplacementFilter, "placed_at", "currency", "language", "payment_method", "payment_provider"]
    list_select_related = ["customer"]
    search_fields = ["number", "customer__email", "customer__name"]
    autocomplete_fields = ["customer"]
    # The payment's provider and id come from the shop (order intake): refunds go back through them.
    readonly_fields = [
        "return_link", "replacement_for", "shipped_at", "shipment_tracking", "payment_provider", "payment_reference",
    ]  # fmt: skip
    inlines = [OrderLineInline]
    actions = ["ship_replacement"]
    show_full_result_count = False  # a second count of a million orders on every filtered page

    # Staff may correct a mirrored order (the day placed, its lines) or delete one entered by mistake,
    # as order intake may change it, so each such change is counted in the insight's rollups as intake
    # counts its own, in the same transaction (issue #15); else the dashboard drifts until a rebuild.

    def save_model(self, request: HttpRequest, obj: models.Order, form: ModelForm, change: bool) -> None:
        """Tally the order before the form changes its day (here) and its lines (`save_related`): the
        admin saves both in one transaction, its change view's."""
        before = rollups.orders_tally(order_ids=[obj.pk]) if change else rollups.Tally()
        form.rollups_before = before  # type: ignore[attr-defined]
        super().save_model(request, obj, form, change)

    def save_related(
        self, request: HttpRequest, form: ModelForm, formsets: list[BaseInlineFormSet], change: bool
    ) -> None:
        super().save_related(request, form, formsets, change)
        rollups.orders_recount(before=form.rollups_before, order_ids=[form.instance.pk])  # type: ignore[attr-defined]

    def delete_model(self, request: HttpRequest, obj: models.Order) -> None:
        with _recounted([obj.pk]):
            super().delete_model(request, obj)

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[models.Order]) -> None:
        with _recounted(list(queryset.values_list("pk", flat=True))):
            super().delete_queryset(request, queryset)

    def get_search_results(
        self, request: HttpRequest, queryset: QuerySet[models.Order], search_term: str
    ) -> tuple[QuerySet[models.Order], bool]:
        """Indexed lookups by number, e-mail or name, not the admin's default substring scan."""
        if not search_term.strip():
            return queryset, False
        return queryset.filter(order_match(search_term)), False

    @admin.display(description="customer's return link")
    def return_link(self, obj: models.Order) -> str:
        """The signed link the shop puts in its order e-mail, and a way to make a return for the customer."""
        if obj.pk is None:
            return "-"
        url = reverse("returns:items", args=[access.order_token(obj)])
        staff_url = reverse("admin:returns_order_staff_return", args=[obj.pk])
        own = format_html(
            '<a href="{}">{}</a> (valid {} days)<br><a class="button" href="{}">Make a return for the customer</a>',
            url,
            url,
            access.ORDER_LINK_DAYS,
            staff_url,
        )
        # The apps above add theirs (refunds: a goodwill refund), see `returns.extensions`.
        links = ((link.url, link.label) for link in admin_links_of(obj))
        others = format_html_join("", ' <a class="button" href="{}">{}</a>', links)
        return own + others

    @admin.action(description="Mark replacement shipped (asks for the tracking number)", permissions=["change"])
    def ship_replacement(self, request: HttpRequest, queryset: QuerySet[models.Order]) -> HttpResponseBase | None:
        asked = ask_first(
            self,
            request,
            queryset,
            action="ship_replacement",
            intro="Mark these exchange replacements as sent. The customer sees the tracking number.",
            label="Tracking number",
            button="Mark shipped",
            required=False,
        )
        if asked is not None:
            return asked
        staff, tracking = cast(User, request.user), request.POST.get("answer", "")
        act_on_each(
            self,
            request,
            queryset.order_by("pk"),
            lambda order: replacement_ship(order=order, tracking_number=tracking, by=staff),
            verb="Shipped",
            name=lambda order: order.number,
            refusals=(ReturnRefused, InvalidTransition),
        )
        return None

    def get_urls(self) -> list[URLPattern]:
        view = self.admin_site.admin_view(partial(staff_return_view, self))
        return [path("<int:pk>/return/", view, name="returns_order_staff_return"), *super().get_urls()]


class SeasonalExtensionInline(admin.TabularInline):
    model = models.SeasonalExtension
    extra = 0


class ReturnMethodOptionInline(admin.TabularInline):
    model = models.ReturnMethodOption
    extra = 0


@admin.register(models.ReturnPolicy)
class ReturnPolicyAdmin(admin.ModelAdmin):
    list_display = ["name", "is_active", "window_days", "refund_within_days", "updated_at"]
    filter_horizontal = ["non_returnable_categories", "non_returnable_products"]
    inlines = [SeasonalExtensionInline, ReturnMethodOptionInline]
    fieldsets = [
        (None, {"fields": ["name", "is_active"]}),
        ("Time limits", {"fields": ["window_days", "send_within_days", "refund_within_days"]}),
        ("What cannot be returned", {"fields": ["non_returnable_categories", "non_returnable_products"]}),
        (
            "Costs and credit",
            {
                "fields": [
                    "restocking_fee_percent",
                    "free_returns",
                    "free_exchanges",
                    "store_credit_bonus_percent",
                    "store_credit_valid_days",
                ]
            },
        ),
        ("Approval", {"fields": ["auto_approve"]}),
        (
            "Automatic refunds",
            {
                "fields": [
                    "auto_refund",
                    ("auto_refund_ceiling_sek", "auto_refund_ceiling_eur"),
                    ("auto_refund_ceiling_nok", "auto_refund_ceiling_dkk"),
                ],
                "description": "Refunds to the original payment of orders paid through Klarna, Adyen or Stripe are "
                "paid as soon as the inspection is saved, up to the ceiling for the order's currency; larger ones "
                "wait in the refunds list (filter: needs approval).",
            },
        ),
        ("Flags for staff", {"fields": ["abuse_period_days", "abuse_max_returns", "abuse_max_rate_percent"]}),
    ]


@admin.register(models.ReturnReason)
class ReturnReasonAdmin(admin.ModelAdmin):
    list_display = ["code", "label_en", "photo_required", "seller_pays", "active", "position"]
    list_editable = ["active", "position"]
    fields = [
        "code",
        ("label_en", "label_sv"),
        ("label_fi", "label_nb", "label_da"),
        ("photo_required", "seller_pays"),
        ("active", "position"),
    ]


class ReturnLineInline(admin.TabularInline):
    model = models.ReturnLine
    extra = 0
    # Read-only: what arrived is recorded on the receiving screen, which also restocks and refunds.
    fields = readonly_fields = (
        "order_line", "quantity", "reason", "comment", "photos", "exchange_variant", "received_quantity",
        "condition", "outcome", "outcome_reason",
    )  # fmt: skip
    can_delete = False

    def has_add_permission(self, request: HttpRequest, obj: models.ReturnRequest | None = None) -> bool:
        return False

    def get_queryset(self, request: HttpRequest) -> QuerySet[models.ReturnLine]:
        return staff_return_lines()

    @admin.display(description="customer's photos")
    def photos(self, obj: models.ReturnLine) -> SafeString | str:
        return render_to_string("admin/returns/photos.html", {"photos": obj.photos.all()}) if obj.pk else ""


class ReturnEventInline(admin.TabularInline):
    """Who did what, when: never edited, never deleted."""

    model = models.ReturnEvent
    extra = 0
    fields = ("at", "actor", "from_state", "to_state", "note")
    readonly_fields = ("at", "actor", "from_state", "to_state", "note")
    can_delete = False

    def has_add_permission(self, request: HttpRequest, obj: models.ReturnRequest | None = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: models.ReturnRequest | None = None) -> bool:
        return False


class ReasonFilter(admin.SimpleListFilter):
    title = "reason"
    parameter_name = "reason"

    def lookups(self, request: HttpRequest, model_admin: admin.ModelAdmin) -> list[tuple[str, str]]:
        return list(models.ReturnReason.objects.values_list("code", "label_en"))

    def queryset(
        self, request: HttpRequest, queryset: QuerySet[models.ReturnRequest]
    ) -> QuerySet[models.ReturnRequest]:
        if not self.value():
            return queryset
        # EXISTS, not a join: a return with two lines of the same reason is listed once.
        lines = models.ReturnLine.objects.filter(return_request=OuterRef("pk"), reason__code=self.value())
        return queryset.filter(Exists(lines))


class PickupDayFilter(admin.SimpleListFilter):
    """Home pickups the carrier collects on a day (today, tomorrow, or any day typed), and those it refused."""

    title = "pickup day"
    parameter_name = "pickup"
    template = "admin/returns/pickup_filter.html"

    def __init__(
        self, request: HttpRequest, params: dict[str, list[str]], model: type, model_admin: admin.ModelAdmin
    ) -> None:
        super().__init__(request, params, model, model_admin)
        # The day form keeps the list's other filters and search (not its page, nor an error flag).
        self.other_params = [
            (name, value)
            for name, values in request.GET.lists()
            if name not in (self.parameter_name, "p", "e")
            for value in values
        ]

    def lookups(self, request: HttpRequest, model_admin: admin.ModelAdmin) -> list[tuple[str, str]]:
        return [("today", "Today"), ("tomorrow", "Tomorrow"), ("problem", "Could not be booked")]

    def typed_day(self) -> str:
        """A day typed in the form, to show it again."""
        value = self.value() or ""
        return "" if value in dict(self.lookup_choices) else value

    def queryset(
        self, request: HttpRequest, queryset: QuerySet[models.ReturnRequest]
    ) -> QuerySet[models.ReturnRequest]:
        value = self.value()
        if not value:
            return queryset
        pickups = queryset.filter(method=models.ReturnMethod.PICKUP).exclude(state__in=models.VOID_STATES)
        if value == "problem":
            return pickups.exclude(pickup_problem="").filter(state__in=models.TO_BE_SENT_STATES)
        today = timezone.localdate()
        try:
            day = {"today": today, "tomorrow": today + dt.timedelta(days=1)}.get(value) or dt.date.fromisoformat(value)
        except ValueError:
            return queryset.none()
        return pickups.filter(pickup_date=day)


class RefundDueFilter(admin.SimpleListFilter):
    title = "refund due"
    parameter_name = "refund_due"

    def lookups(self, request: HttpRequest, model_admin: admin.ModelAdmin) -> list[tuple[str, str]]:
        return [("late", "Overdue"), ("soon", f"Due within {deadlines.DUE_SOON_DAYS} days")]

    def queryset(
        self, request: HttpRequest, queryset: QuerySet[models.ReturnRequest]
    ) -> QuerySet[models.ReturnRequest]:
        today = timezone.localdate()
        open_returns = queryset.filter(state__in=models.OPEN_STATES)
        if self.value() == "late":
            return open_returns.filter(refund_due_on__lt=today)
        if self.value() == "soon":
            return open_returns.filter(refund_due_on__gte=today, refund_due_on__lte=deadlines.due_soon_until(today))
        return queryset


@admin.register(models.ReturnRequest)
class ReturnRequestAdmin(admin.ModelAdmin):
    list_display = [
        "number", "order", "customer_email", "state", "resolution", "method", "pickup", "tracking_number",
        "created_at", "refund_due_on", "late",
    ]  # fmt: skip
    list_filter = [
        "state",
        ReasonFilter,
        "resolution",
        "method",
        PickupDayFilter,
        RefundDueFilter,
        CarrierBookingFilter,
        "created_at",
    ]  # no date hierarchy: see orders
    list_select_related = ["order__customer"]
    search_fields = ["number", "order__number", "order__customer__email", "tracking_number"]
    actions = ["approve", "reject", "complete", "book_carrier_again"]
    show_full_result_count = False
    # Read-only: every change goes through an action or a screen that applies the rules.
    readonly_fields = [
        "number", "order", "state", "state_changed_at", "created_at", "created_by", "resolution", "method",
        "rejection_reason", "override_reason", "refund_due_on", "pickup", "carrier_booking",
    ]  # fmt: skip
    fields = [
        ("number", "state", "state_changed_at"),
        ("order", "created_at", "created_by"),
        ("resolution", "method"),  # the tracking number is in the carrier's booking, below
        "pickup",
        "carrier_booking",
        ("refund_due_on", "rejection_reason"),
        "override_reason",
    ]
    inlines = [ReturnLineInline, ParcelEventInline, ReturnEventInline]

    def get_search_results(
        self, request: HttpRequest, queryset: QuerySet[models.ReturnRequest], search_term: str
    ) -> tuple[QuerySet[models.ReturnRequest], bool]:
        """The support search's matching (indexed lookups), not the admin's default substring scan."""
        if not search_term.strip():
            return queryset, False
        return queryset.filter(return_match(search_term)), False

    @admin.display(boolean=True, description="late")
    def late(self, obj: models.ReturnRequest) -> bool:
        """Still open after the day the customer was promised their money."""
        due = obj.refund_due_on
        return obj.state in models.OPEN_STATES and due is not None and due < timezone.localdate()

    @admin.display(description="pickup", ordering="pickup_date")
    def pickup(self, obj: models.ReturnRequest) -> str:
        """The carrier's booking (day, window, reference), or why there is none; '-' for other methods."""
        text = pickup_for_staff(obj)
        if obj.pickup_problem:
            return format_html('<strong class="pickup-problem">{}</strong>', text)
        return text or "-"

    @admin.display(description="carrier")
    def carrier_booking(self, obj: models.ReturnRequest) -> SafeString:
        return carrier_booking(obj)

    @admin.display(description="customer", ordering="order__customer__email")
    def customer_email(self, obj: models.ReturnRequest) -> str:
        return obj.order.customer.email

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # returns are created through the portal or `return_create`, which apply the policy

    @admin.action(description="Approve selected returns", permissions=["change"])
    def approve(self, request: HttpRequest, queryset: QuerySet[models.ReturnRequest]) -> None:
        staff = cast(User, request.user)  # admin views only run for logged-in staff
        act_on_each(
            self,
            request,
            queryset.order_by("pk"),
            lambda r: return_transition(return_request=r, to="approved", by=staff),
            verb="Approved",
            name=lambda r: r.number,
            refusals=(InvalidTransition, ReturnRefused),
        )

    @admin.action(description="Reject selected returns (asks for the reason)", permissions=["change"])
    def reject(self, request: HttpRequest, queryset: QuerySet[models.ReturnRequest]) -> HttpResponseBase | None:
        asked = ask_first(
            self,
            request,
            queryset,
            action="reject",
            intro="Reject these returns. The reason is shown to the customer on their status page.",
            label="Reason",
            button="Reject",
        )
        if asked is not None:
            return asked
        staff, reason = cast(User, request.user), request.POST.get("answer", "")
        act_on_each(
            self,
            request,
            queryset.order_by("pk"),
            lambda r: return_reject(return_request=r, by=staff, reason=reason),
            verb="Rejected",
            name=lambda r: r.number,
            refusals=(InvalidTransition, ReturnRefused),
        )
        return None

    @admin.action(description="Complete selected inspected returns (repairs, nothing to pay)", permissions=["change"])
    def complete(self, request: HttpRequest, queryset: QuerySet[models.ReturnRequest]) -> None:
        staff = cast(User, request.user)
        act_on_each(
            self,
            request,
            queryset.order_by("pk"),
            lambda r: return_transition(return_request=r, to="completed", by=staff),
            verb="Completed",
            name=lambda r: r.number,
            refusals=(InvalidTransition,),
        )

    @admin.action(description="Book the carrier again (after the address was fixed)", permissions=["change"])
    def book_carrier_again(self, request: HttpRequest, queryset: QuerySet[models.ReturnRequest]) -> None:
        book_again(self, request, queryset)

    def get_urls(self) -> list[URLPattern]:
        own = [
            path("scan/", self.admin_site.admin_view(partial(scan_view, self)), name="returns_returnrequest_scan"),
            path(
                "<int:pk>/receive/",
                self.admin_site.admin_view(partial(receive_view, self)),
                name="returns_returnrequest_receive",
            ),
            # The customer's photos: by id, behind the admin's login and the right to see returns.
            path(
                "photos/<int:pk>/",
                self.admin_site.admin_view(photo_view, cacheable=True),
                name="returns_returnrequest_photo",
            ),
        ]
        return own + super().get_urls()

    def get_queryset(self, request: HttpRequest) -> QuerySet[models.ReturnRequest]:
        return super().get_queryset(request).select_related("order__customer")
