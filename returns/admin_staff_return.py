"""Staff make a return for a customer (on the phone, in the store), and may go beyond the policy
with a reason that is recorded in the return's history."""

from __future__ import annotations

from typing import cast

from django import forms
from django.contrib import admin, messages
from django.contrib.auth.models import User
from django.core.exceptions import PermissionDenied
from django.core.validators import MaxValueValidator
from django.http import HttpRequest, HttpResponseBase
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse

from returns.models import Order, OrderLine, Resolution, ReturnMethod, ReturnReason
from returns.selectors import order_lines_with_returned
from returns.services import LineRequest, ReturnRefused, return_create


class StaffReturnForm(forms.Form):
    resolution = forms.ChoiceField(
        choices=[choice for choice in Resolution.choices if choice[0] != Resolution.EXCHANGE],
        help_text="Exchanges need the customer's choice of size: send them the return link.",
    )
    method = forms.ChoiceField(choices=ReturnMethod.choices, initial=ReturnMethod.LABEL)
    override_reason = forms.CharField(
        required=False,
        widget=forms.Textarea(attrs={"rows": 2, "cols": 70}),
        label="Override the policy because",
        help_text="Leave empty to apply the policy. With a reason, lines outside the window or final-sale "
        "items are accepted and the return waits for approval; the reason is kept in its history.",
    )


class StaffLineForm(forms.Form):
    quantity = forms.IntegerField(min_value=0, initial=0, widget=forms.NumberInput(attrs={"class": "quantity-input"}))
    reason = forms.ChoiceField(choices=())

    def __init__(self, *args: object, line: OrderLine, reasons: list[tuple[str, str]], **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.fields["quantity"].validators.append(MaxValueValidator(line.quantity))
        self.fields["quantity"].widget.attrs["max"] = line.quantity
        cast(forms.ChoiceField, self.fields["reason"]).choices = reasons


def staff_return_view(model_admin: admin.ModelAdmin, request: HttpRequest, pk: int) -> HttpResponseBase:
    if not request.user.has_perm("returns.add_returnrequest") and not request.user.has_perm(
        "returns.change_returnrequest"
    ):
        raise PermissionDenied
    order = get_object_or_404(Order.objects.select_related("customer"), pk=pk)
    reasons = [(reason.code, reason.label_en) for reason in ReturnReason.objects.filter(active=True)]
    data = request.POST if request.method == "POST" else None
    form = StaffReturnForm(data)
    rows = [
        (line, StaffLineForm(data, prefix=f"line-{line.pk}", line=line, reasons=reasons))
        for line in order_lines_with_returned(order)
    ]
    errors: dict[int | None, list[str]] = {}
    if data is not None and form.is_valid() and all(line_form.is_valid() for _line, line_form in rows):
        chosen = [
            LineRequest(line.pk, line_form.cleaned_data["quantity"], line_form.cleaned_data["reason"])
            for line, line_form in rows
            if line_form.cleaned_data["quantity"]
        ]
        try:
            return_request = return_create(
                order=order,
                lines=chosen,
                by=cast(User, request.user),
                **form.cleaned_data,
            )
        except ReturnRefused as refusal:
            errors = refusal.errors
            if not form.cleaned_data["override_reason"]:
                hint = "To accept it anyway, say why in “Override the policy because”."
                errors = {**errors, None: [*errors.get(None, []), hint]}
        else:
            messages.success(request, f"Return {return_request.number} made for order {order.number}.")
            return redirect("admin:returns_returnrequest_change", return_request.pk)
    context = {
        **model_admin.admin_site.each_context(request),
        "title": f"Make a return for order {order.number}",
        "order": order,
        "form": form,
        "rows": [(line, line_form, errors.get(line.pk, [])) for line, line_form in rows],
        "errors": errors.get(None, []),
        "opts": Order._meta,
    }
    return TemplateResponse(request, "admin/returns/staff_return.html", context)
