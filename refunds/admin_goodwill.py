"""A goodwill refund in the admin: money back that is not tied to a returned item (a late
delivery, a missing part), with a reason, never beyond what the order can still give back."""

from __future__ import annotations

import uuid
from typing import cast

from django import forms
from django.contrib import admin, messages
from django.contrib.auth.models import User
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponseBase
from django.shortcuts import redirect
from django.template.response import TemplateResponse

from refunds.models import RefundMethod
from refunds.selectors import order_paid, order_refundable
from refunds.services import RefundLineIn, RefundRefused, refund_create
from returns.models import Order
from returns_portal.core.money import MONEY_PLACES


class GoodwillForm(forms.Form):
    order = forms.CharField(label="Order number", max_length=40)
    amount = forms.DecimalField(min_value=0, max_digits=12, decimal_places=MONEY_PLACES)
    method = forms.ChoiceField(choices=RefundMethod.choices, initial=RefundMethod.ORIGINAL_PAYMENT)
    reason = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 2, "cols": 70}), help_text="Kept with the refund, for bookkeeping."
    )
    # One key per form shown: a double click or a resubmitted page cannot pay twice.
    key = forms.CharField(widget=forms.HiddenInput)

    def clean_order(self) -> Order:
        order = Order.objects.filter(number=self.cleaned_data["order"].strip()).first()
        if order is None:
            raise forms.ValidationError("No order has this number.")
        return order


def goodwill_view(model_admin: admin.ModelAdmin, request: HttpRequest) -> HttpResponseBase:
    if not model_admin.has_change_permission(request):
        raise PermissionDenied
    initial = {"order": request.GET.get("order", ""), "key": uuid.uuid4().hex}
    form = GoodwillForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            refund = refund_create(
                order=data["order"],
                lines=[RefundLineIn("goodwill", data["amount"])],
                method=data["method"],
                idempotency_key=f"goodwill:{data['key']}",
                reason=data["reason"],
                by=cast(User, request.user),
            )
        except RefundRefused as refusal:
            form.add_error(None, str(refusal))
        else:
            messages.success(request, f"Goodwill refund #{refund.pk} proposed: pay it from the refund list.")
            return redirect("admin:refunds_refund_change", refund.pk)
    number = (request.POST or request.GET).get("order", "").strip()
    order = Order.objects.filter(number=number).first() if number else None
    context = {
        **model_admin.admin_site.each_context(request),
        "title": "Goodwill refund",
        "form": form,
        "order": order,
        "paid": order_paid(order) if order else None,
        "refundable": order_refundable(order) if order else None,
        "opts": model_admin.model._meta,
    }
    return TemplateResponse(request, "admin/refunds/goodwill.html", context)
