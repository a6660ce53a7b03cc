"""The support page: one search box, and where every return, its money and its e-mails are. Read-only."""

from __future__ import annotations

from django.conf import settings
from django.contrib import admin, messages
from django.contrib.auth.decorators import login_required, permission_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from followup.outbox import confirmation_resend
from refunds.reconcile import refund_is_stuck
from refunds.support import support_search
from returns.access import status_token
from returns.insight import customer_flags
from returns.models import ReturnRequest
from returns.services.booking import return_needs_carrier


@login_required(login_url="admin:login")
@permission_required("returns.view_returnrequest", raise_exception=True)
def support(request: HttpRequest) -> HttpResponse:
    query = request.GET.get("q", "")
    results = list(support_search(query).prefetch_related("outbox_messages", "parcel_events")) if query else []
    flags = customer_flags(list({r.order.customer_id for r in results}), now=timezone.now()) if results else {}
    for return_request in results:
        return_request.customer_flag = flags.get(return_request.order.customer_id)  # type: ignore[attr-defined]
        # Still to be booked after a try the carrier did not answer: the retry is due at `carrier_retry_at`.
        return_request.waiting_for_carrier = (  # type: ignore[attr-defined]
            return_needs_carrier(return_request)
            and bool(return_request.booking_attempts)
            and return_request.carrier_retry_at is not None
        )
        for refund in return_request.refunds.all():  # prefetched: the template reads the same objects
            refund.at_provider = refund.provider in settings.PAYMENT_PROVIDERS  # type: ignore[attr-defined]
            refund.stuck = refund_is_stuck(refund)  # type: ignore[attr-defined]
        return_request.status_url = request.build_absolute_uri(  # type: ignore[attr-defined]
            reverse("returns:status", args=[status_token(return_request)])
        )
    context = {
        **admin.site.each_context(request),
        "query": query,
        "results": results,
        "title": "Support: find a return",
    }
    return TemplateResponse(request, "pages/support.html", context)


@require_POST
@login_required(login_url="admin:login")
@permission_required("followup.add_outboxmessage", raise_exception=True)
def resend(request: HttpRequest, pk: int) -> HttpResponse:
    """E-mail the customer their status link (and label) again, and come back to the return."""
    return_request = get_object_or_404(ReturnRequest.objects.select_related("order__customer"), pk=pk)
    confirmation_resend(return_request=return_request)
    messages.success(request, f"The status link for {return_request.number} is on its way to "
                     f"{return_request.order.customer.email}.")  # fmt: skip
    return redirect(f"{reverse('support:search')}?q={return_request.number}")
