"""The customer's forms. They check input; the rules themselves live in services and policy."""

from __future__ import annotations

import datetime as dt
from typing import Any, cast

from django import forms
from django.core.files.uploadedfile import UploadedFile
from django.forms.boundfield import BoundWidget
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from returns.carriers import ServicePoint
from returns.models import OrderLine, Resolution, ReturnMethodOption, ReturnReason, Variant
from returns.photos import PhotoRejected, PreparedPhoto, photo_prepare
from returns.policy import LineEligibility
from returns.services.address import PostalAddress, postcode_normalized, postcode_rule

MAX_PHOTOS_PER_ITEM = 3
ANY_POINT = "any"  # the picker's last choice: the customer takes the parcel to any of the carrier's points


class LookupForm(forms.Form):
    order_number = forms.CharField(label=_("Order number"), max_length=40)
    contact = forms.CharField(
        label=_("E-mail address or postcode"),
        max_length=254,
        help_text=_("The e-mail address or postcode you used when you ordered."),
    )


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class PhotosField(forms.FileField):
    widget = MultipleFileInput(attrs={"accept": "image/jpeg,image/png,image/webp,image/heic,image/heif"})

    def clean(self, data: Any, initial: Any = None) -> list[PreparedPhoto]:
        """The photos decoded and re-encoded, ready to store; a refusal for any of them stores none."""
        files: list[UploadedFile] = [file for file in (data if isinstance(data, list | tuple) else [data]) if file]
        if len(files) > MAX_PHOTOS_PER_ITEM:
            raise forms.ValidationError(_("Add at most %(count)d photos per item.") % {"count": MAX_PHOTOS_PER_ITEM})
        try:
            return [photo_prepare(file) for file in files]
        except PhotoRejected as problem:
            raise forms.ValidationError(str(problem)) from None


class ItemsForm(forms.Form):
    """One row per order line: how many to return, why, a comment and photos."""

    def __init__(
        self,
        *args: Any,
        lines: list[OrderLine],
        results: dict[int, LineEligibility],
        reasons: list[ReturnReason],
        photos_on_file: set[int],
        language: str,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.lines, self.results, self.photos_on_file = lines, results, photos_on_file
        self.reasons = {reason.code: reason for reason in reasons}
        reason_choices = [("", _("Choose a reason"))] + [(reason.code, reason.label(language)) for reason in reasons]
        for line in lines:
            can = results[line.id].returnable_quantity
            if not can:
                continue
            self.fields[f"qty_{line.id}"] = forms.TypedChoiceField(
                label=_("Quantity"),
                choices=[(n, n) for n in range(can + 1)],
                coerce=int,
                initial=0,
                required=False,
                empty_value=0,  # type: ignore[arg-type]  # Django accepts any empty value; 0 units is ours
            )
            self.fields[f"reason_{line.id}"] = forms.ChoiceField(
                label=_("Reason"), choices=reason_choices, required=False
            )
            self.fields[f"comment_{line.id}"] = forms.CharField(
                label=_("Comment (optional)"), max_length=1000, required=False, widget=forms.Textarea(attrs={"rows": 2})
            )
            self.fields[f"photos_{line.id}"] = PhotosField(label=_("Photos"), required=False)

    def rows(self) -> list[dict[str, Any]]:
        """The order lines with their fields (or why they cannot be returned), for the template."""
        rows = []
        for line in self.lines:
            fields = (
                {name: self[f"{name}_{line.id}"] for name in ("qty", "reason", "comment", "photos")}
                if (f"qty_{line.id}" in self.fields)
                else {}
            )
            rows.append({"line": line, "result": self.results[line.id], "fields": fields})
        return rows

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        chosen = 0
        for line in self.lines:
            quantity = cleaned.get(f"qty_{line.id}") or 0
            if not quantity:
                continue
            chosen += 1
            reason = self.reasons.get(cleaned.get(f"reason_{line.id}") or "")
            if reason is None:
                self.add_error(f"reason_{line.id}", _("Choose a reason for returning this item."))
            elif reason.photo_required and not cleaned.get(f"photos_{line.id}") and line.id not in self.photos_on_file:
                self.add_error(f"photos_{line.id}", _("Add at least one photo that shows the problem."))
        if not chosen and not self.errors:
            raise forms.ValidationError(_("Choose at least one item to return."))
        return cleaned

    def selected(self) -> list[dict[str, Any]]:
        return [
            {
                "line_id": line.id,
                "quantity": self.cleaned_data[f"qty_{line.id}"],
                "reason": self.cleaned_data[f"reason_{line.id}"],
                "comment": self.cleaned_data[f"comment_{line.id}"],
            }
            for line in self.lines
            if self.cleaned_data.get(f"qty_{line.id}")
        ]

    def photos(self) -> dict[int, list[PreparedPhoto]]:
        return {
            line.id: self.cleaned_data.get(f"photos_{line.id}") or []
            for line in self.lines
            if f"qty_{line.id}" in self.fields
        }


class ChoiceForm(forms.Form):
    """How the customer wants to be compensated, and how the parcel travels."""

    resolution = forms.ChoiceField(label=_("What would you like?"), widget=forms.RadioSelect)
    method = forms.ChoiceField(label=_("How will you send it back?"), widget=forms.RadioSelect)
    pickup_date = forms.TypedChoiceField(label=_("Pickup day"), required=False, coerce=dt.date.fromisoformat)
    service_point = forms.ChoiceField(
        label=_("Where will you hand in the parcel?"),
        widget=forms.RadioSelect,
        required=False,
        error_messages={"invalid_choice": _("Choose one of the service points in the list.")},
    )

    def __init__(
        self,
        *args: Any,
        resolutions: list[tuple[str, str]],
        methods: list[ReturnMethodOption],
        method_labels: dict[str, str],
        pickup_days: list[tuple[str, str]],
        exchange_lines: list[tuple[OrderLine, list[Variant]]],
        service_points: list[ServicePoint] | None = None,
        point_methods: tuple[str, ...] = (),
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        cast(forms.ChoiceField, self.fields["resolution"]).choices = resolutions
        cast(forms.ChoiceField, self.fields["method"]).choices = [(o.method, method_labels[o.method]) for o in methods]
        cast(forms.ChoiceField, self.fields["pickup_date"]).choices = [("", _("Choose a day")), *pickup_days]
        # Only ids of the points the carrier listed can be chosen: posted details are never trusted.
        self.points, self.point_methods = list(service_points or []), point_methods
        point_field = cast(forms.ChoiceField, self.fields["service_point"])
        point_field.choices = [(point.id, point.name) for point in self.points] + [(ANY_POINT, _("Any point"))]
        if self.points and not self.initial.get("service_point"):
            self.initial["service_point"] = self.points[0].id
        self.exchange_lines = exchange_lines
        for line, variants in exchange_lines:
            self.fields[f"exchange_{line.id}"] = forms.TypedChoiceField(
                label=_("New size or colour for %(item)s") % {"item": line.variant.product.name},
                choices=[("", _("Choose"))] + [(variant.id, variant.option or variant.sku) for variant in variants],
                coerce=int,
                required=False,
            )

    def exchange_fields(self) -> list[forms.BoundField]:
        return [self[f"exchange_{line.id}"] for line, _variants in self.exchange_lines]

    def point_rows(self) -> list[tuple[BoundWidget, ServicePoint | None]]:
        """Each radio of the picker with its point (None: "any point", the last one)."""
        radios = list(self["service_point"])
        return list(zip(radios, [*self.points, None], strict=True))

    def chosen_point(self) -> ServicePoint | None:
        """The listed point the customer chose, if the chosen method takes one."""
        if self.cleaned_data.get("method") not in self.point_methods:
            return None
        chosen = self.cleaned_data.get("service_point")
        return next((point for point in self.points if point.id == chosen), None)

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        if cleaned.get("method") == "pickup" and not cleaned.get("pickup_date"):
            self.add_error("pickup_date", _("Choose a day for the pickup."))
        if cleaned.get("resolution") == Resolution.EXCHANGE:
            for line, _variants in self.exchange_lines:
                if not cleaned.get(f"exchange_{line.id}"):
                    self.add_error(f"exchange_{line.id}", _("Choose the size or colour you want instead."))
            if not self.exchange_lines:
                self.add_error("resolution", _("There is no other size or colour in stock for these items."))
        return cleaned


class AddressForm(forms.Form):
    """The sender's address, for the carrier: the postcode checked against the customer's country."""

    street = forms.CharField(label=_("Street address"), max_length=200)
    postcode = forms.CharField(label=_("Postcode"), max_length=16)
    city = forms.CharField(label=_("Town or city"), max_length=100)

    def __init__(self, *args: Any, country: str, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.country = country
        rule = postcode_rule(country)
        postcode = self.fields["postcode"]
        postcode.widget.attrs.update({"autocomplete": "postal-code", "inputmode": "numeric" if rule else "text"})
        self.fields["street"].widget.attrs["autocomplete"] = "street-address"
        self.fields["city"].widget.attrs["autocomplete"] = "address-level2"
        if rule:
            postcode.help_text = _("%(digits)d digits, for example %(example)s") % {
                "digits": rule.digits,
                "example": rule.example,
            }

    def clean_postcode(self) -> str:
        postcode = postcode_normalized(self.country, self.cleaned_data["postcode"])
        if postcode is None:
            rule = postcode_rule(self.country)
            raise forms.ValidationError(
                _("Enter a postcode of %(digits)d digits, for example %(example)s.")
                % {"digits": rule.digits if rule else 5, "example": rule.example if rule else "113 46"}
            )
        return postcode

    def address(self) -> PostalAddress:
        data = self.cleaned_data
        return PostalAddress(street=data["street"].strip(), postcode=data["postcode"], city=data["city"].strip())


def pickup_days(language_format: Any, days_ahead: int = 10) -> list[tuple[str, str]]:
    """The next weekdays, from tomorrow, as (iso, shown) choices."""
    today = timezone.localdate()
    days = [today + dt.timedelta(days=n) for n in range(1, days_ahead + 1)]
    return [(day.isoformat(), language_format(day)) for day in days if day.weekday() < 5]
