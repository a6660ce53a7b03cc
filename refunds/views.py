"""The support page: one search box, and where every return and its money is. Read-only."""

from __future__ import annotations

from django.contrib import admin
from django.contrib.auth.decorators import login_required, permission_required
from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils import timezone

from refunds.support import support_search
from returns.access import status_token
from returns.insight import customer_flags


@login_required(login_url="admin:login")
@permission_required("returns.view_returnrequest", raise_exception=True)
def support(request: HttpRequest) -> HttpResponse:
    query = request.GET.get("q", "")
    results = list(support_search(query)) if query else []
    flags = customer_flags(list({r.order.customer_id for r in results}), now=timezone.now()) if results else {}
    for return_request in results:
        return_request.customer_flag = flags.get(return_request.order.customer_id)  # type: ignore[attr-defined]
        return_request.status_url = request.build_absolute_uri(  # type: ignore[attr-defined]
            reverse("returns:status", args=[status_token(return_request)])
        )
    context = {
        **admin.site.each_context(request),
        "query": query,
        "results": results,
        "title": "Support: find a return",
    }
    return TemplateResponse(request, "refunds/support.html", context)
