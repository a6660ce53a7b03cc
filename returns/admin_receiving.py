"""The warehouse's two screens in the admin: scan a parcel, then receive and inspect it on one page."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponseBase
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.utils import timezone

from returns.carriers import parse_qr_payload
from returns.insight import customer_flags
from returns.models import Condition, ReturnLine, ReturnRequest
from returns.numbers import normalize_return_number
from returns.selectors import staff_return_lines
from returns.services import ReceivedLine, ReturnRefused, return_receive


class ScanForm(forms.Form):
    code = forms.CharField(
        label="Return number, tracking number or QR code",
        max_length=200,  # the label's QR code carries both numbers
        widget=forms.TextInput(attrs={"autofocus": True, "autocomplete": "off", "class": "vTextField scan-input"}),
    )


class ReceiveLineForm(forms.Form):
    received_quantity = forms.IntegerField(
        min_value=0, label="Received", widget=forms.NumberInput(attrs={"class": "quantity-input"})
    )
    condition = forms.ChoiceField(choices=Condition.choices)
    accept = forms.TypedChoiceField(
        choices=[("1", "Accept"), ("0", "Reject")], coerce=lambda value: value == "1", widget=forms.RadioSelect
    )
    reason = forms.CharField(required=False, label="Reason (shown to the customer)")
    restock = forms.BooleanField(required=False, initial=True)


def find_parcel(code: str) -> ReturnRequest | None:
    """By return number (typed or scanned, check character verified), by carrier tracking number, or by
    the label's QR code (`RETURN:<number>/TRACK:<tracking>`: the return number first, then the tracking)."""
    if scanned := parse_qr_payload(code.strip().upper()):
        return_number, tracking_number = scanned
        return find_parcel(return_number) or find_parcel(tracking_number)
    number = normalize_return_number(code)
    found = ReturnRequest.objects.filter(number=number).first() if number else None
    return found or ReturnRequest.objects.filter(tracking_number=code.strip().upper()).first()


def scan_view(model_admin: admin.ModelAdmin, request: HttpRequest) -> HttpResponseBase:
    if not model_admin.has_change_permission(request):
        raise PermissionDenied
    form = ScanForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        parcel = find_parcel(form.cleaned_data["code"])
        if parcel is not None:
            return redirect("admin:returns_returnrequest_receive", parcel.pk)
        messages.error(request, f"No return matches “{form.cleaned_data['code']}”. Check the label and scan again.")
        form = ScanForm()
    context = {**model_admin.admin_site.each_context(request), "form": form, "title": "Scan to receive"}
    return TemplateResponse(request, "admin/returns/scan.html", context)


def receive_view(model_admin: admin.ModelAdmin, request: HttpRequest, pk: int) -> HttpResponseBase:
    if not model_admin.has_change_permission(request):
        raise PermissionDenied
    return_request = get_object_or_404(ReturnRequest.objects.select_related("order__customer"), pk=pk)
    lines = list(staff_return_lines().filter(return_request=return_request))
    forms_by_line = [
        (line, ReceiveLineForm(request.POST or None, prefix=f"line-{line.pk}", initial=_initial(line)))
        for line in lines
    ]
    note = request.POST.get("note", "")
    errors: list[str] = []
    if request.method == "POST" and all(form.is_valid() for _line, form in forms_by_line):
        received = [ReceivedLine(return_line_id=line.pk, **form.cleaned_data) for line, form in forms_by_line]
        try:
            return_receive(return_request=return_request, lines=received, by=request.user, note=note)  # type: ignore[arg-type]
        except ReturnRefused as refusal:
            errors = [message for messages_ in refusal.errors.values() for message in messages_]
        else:
            messages.success(request, f"Return {return_request.number} received and inspected.")
            return redirect("admin:returns_returnrequest_change", return_request.pk)
    customer_id = return_request.order.customer_id
    context = {
        **model_admin.admin_site.each_context(request),
        "title": f"Receive {return_request.number}",
        "customer_flag": customer_flags([customer_id], now=timezone.now()).get(customer_id),
        "return_request": return_request,
        "rows": forms_by_line,
        "errors": errors,
        "note": note,
        "opts": ReturnRequest._meta,
    }
    return TemplateResponse(request, "admin/returns/receive.html", context)


def _initial(line: ReturnLine) -> dict[str, Any]:
    return {"received_quantity": line.quantity, "condition": Condition.RESELLABLE, "accept": "1", "restock": True}
