"""Staff screens for carriers: the routes (which carrier serves which country and method), and the
carrier's side of a return (its booking, its refusal in its own words, the parcel's events).

Credentials are never here: they stay in the environment (see `manage.py carrier_check`).
"""

from __future__ import annotations

import re

from django import forms
from django.conf import settings
from django.contrib import admin, messages
from django.db.models import QuerySet
from django.db.models.fields.files import FieldFile
from django.http import HttpRequest
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString

from returns import models
from returns.carriers import DEFAULT_KEY
from returns.services import return_needs_carrier, return_retry_booking

LABELS = {
    "builtin": "Built-in (the portal's own numbers, no contract)",
    "postnord": "PostNord",
    "nshift": "nShift Delivery",
    "bring": "Bring",
}


def carrier_choices() -> list[tuple[str, str]]:
    """The keys of settings.CARRIERS, each with a name staff recognise and the class behind it."""
    return [(key, f"{LABELS.get(key, key)} — {key}") for key in settings.CARRIERS]


class CarrierRouteForm(forms.ModelForm):
    carrier = forms.ChoiceField(
        choices=carrier_choices,
        help_text="Its credentials come from the environment. Where no route matches, RETURN_CARRIER books.",
    )

    class Meta:
        model = models.CarrierRoute
        fields = ["country", "method", "carrier"]

    def clean_country(self) -> str:
        country = self.cleaned_data["country"].strip().upper()
        if not re.fullmatch(r"[A-Z]{2}", country):
            raise forms.ValidationError("Two letters, the ISO code of the customer's country: SE, FI, NO, DK.")
        return country


@admin.register(models.CarrierRoute)
class CarrierRouteAdmin(admin.ModelAdmin):
    form = CarrierRouteForm
    list_display = ["country", "method", "carrier_label"]
    list_filter = ["carrier", "method"]
    ordering = ["country", "method"]

    @admin.display(description="carrier", ordering="carrier")
    def carrier_label(self, obj: models.CarrierRoute) -> str:
        known = dict(carrier_choices())
        return known.get(obj.carrier, f"{obj.carrier} (not in settings.CARRIERS: the default carrier books)")


class CarrierBookingFilter(admin.SimpleListFilter):
    """The returns that need staff because of the carrier: refused (fix the address, book again) or not
    answered yet (the carrier is down; retried by itself)."""

    title = "carrier booking"
    parameter_name = "carrier"

    def lookups(self, request: HttpRequest, model_admin: admin.ModelAdmin) -> list[tuple[str, str]]:
        return [("refused", "Refused by the carrier"), ("waiting", "Waiting for the carrier")]

    def queryset(
        self, request: HttpRequest, queryset: QuerySet[models.ReturnRequest]
    ) -> QuerySet[models.ReturnRequest]:
        if self.value() == "refused":
            return queryset.exclude(carrier_problem="")
        if self.value() == "waiting":
            # A pause is set while the carrier has not answered, and cleared when it does.
            return queryset.filter(
                state__in=models.TO_BE_SENT_STATES, carrier_problem="", carrier_retry_at__isnull=False
            )
        return queryset


class ParcelEventInline(admin.TabularInline):
    """What the carrier said about the parcel, newest last; read-only."""

    model = models.ParcelEvent
    extra = 0
    can_delete = False
    fields = readonly_fields = ("at", "stage", "description", "location", "received_at")
    verbose_name_plural = "parcel events (from the carrier)"

    def has_add_permission(self, request: HttpRequest, obj: models.ReturnRequest | None = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: models.ReturnRequest | None = None) -> bool:
        return False


def carrier_booking(obj: models.ReturnRequest) -> SafeString:
    """The return's booking as staff need it: carrier and key, tracking, code, service point, and the
    carrier's refusal in its own words, highlighted."""
    rows = [
        ("Carrier", f"{obj.carrier or '-'} (route key: {obj.carrier_key or DEFAULT_KEY})"),
        ("Tracking number", obj.tracking_number or "-"),
        ("Carrier's booking id", obj.shipment_id or "-"),
        ("Label-free code", obj.dropoff_code or "-"),
        ("Service point", _service_point(obj.service_point) or "any"),
        ("Carrier's label", _file_link(obj.carrier_label, f"{obj.number}.pdf")),
        ("Carrier's code picture", _file_link(obj.dropoff_code_image, f"{obj.number}-qr.png")),
        ("Booking attempts", str(obj.booking_attempts)),
    ]
    if return_needs_carrier(obj) and obj.carrier_retry_at:
        rows.append(("Waiting for the carrier", f"tried again at {obj.carrier_retry_at:%Y-%m-%d %H:%M}"))
    table = format_html_join("", "<tr><th>{}</th><td>{}</td></tr>", rows)
    problem = ""
    if obj.carrier_problem:
        field = f" (the customer can fix: {obj.carrier_problem_field})" if obj.carrier_problem_field else ""
        problem = format_html(
            '<p class="errornote carrier-problem"><strong>The carrier refused the booking:</strong> {}{}</p>',
            obj.carrier_problem,
            field,
        )
    return format_html("{}<table>{}</table>", problem, table)


def _file_link(file: FieldFile, text: str) -> str:
    """A link to one of the carrier's files (stored under a name made unique), named for the return."""
    if not file:
        return "-"
    return format_html('<a href="{}">{}</a>', file.url, text)


def _service_point(point: dict[str, object]) -> str:
    if not point:
        return ""
    parts = [point.get("name"), point.get("street"), f"{point.get('postcode', '')} {point.get('city', '')}".strip()]
    return ", ".join(str(part) for part in parts if part) + (f" (id {point['id']})" if point.get("id") else "")


def book_again(model_admin: admin.ModelAdmin, request: HttpRequest, queryset: QuerySet[models.ReturnRequest]) -> None:
    """Clear the carrier's refusal and ask it again (after the address was fixed); reports each outcome."""
    outcomes: dict[str, list[str]] = {"booked": [], "waiting": [], "refused": [], "nothing to book": []}
    for return_request in queryset.select_related("order__customer").order_by("pk"):
        if not (
            return_needs_carrier(return_request) or return_request.carrier_problem or return_request.pickup_problem
        ):
            outcomes["nothing to book"].append(return_request.number)
            continue
        return_retry_booking(return_request=return_request)
        if return_request.carrier_problem or return_request.pickup_problem:
            outcomes["refused"].append(
                f"{return_request.number} ({return_request.carrier_problem or return_request.pickup_problem})"
            )
        elif return_needs_carrier(return_request):
            outcomes["waiting"].append(return_request.number)
        else:
            outcomes["booked"].append(return_request.number)
    for outcome, numbers in outcomes.items():
        if numbers:
            level = messages.WARNING if outcome in ("refused", "waiting") else messages.SUCCESS
            model_admin.message_user(request, f"{outcome.capitalize()}: {', '.join(numbers)}", level)
