"""The bookkeeping report in the admin: refunds paid in a period, per currency and VAT rate.
Thin: the rows come from `refunds.bookkeeping`."""

from __future__ import annotations

import datetime as dt

from django.contrib import admin
from django.contrib.auth.decorators import permission_required
from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from django.template.response import TemplateResponse

from refunds import bookkeeping
from returns_portal.pages.forms import PeriodForm


@permission_required("refunds.view_refund", raise_exception=True)
def bookkeeping_report(request: HttpRequest) -> HttpResponse | StreamingHttpResponse:
    """On screen: the totals per currency and VAT rate and the first refunds; the CSV has them all."""
    form, period = PeriodForm.for_request(request, default_days=31)
    if request.GET.get("format") == "csv":
        response = StreamingHttpResponse(bookkeeping.report_csv(period), content_type="text/csv; charset=utf-8")
        first, last = period.start.date(), (period.end - dt.timedelta(days=1)).date()
        response["Content-Disposition"] = f'attachment; filename="refunds-{first}-{last}.csv"'
        return response
    totals = bookkeeping.Totals()
    rows: list[list[str]] = []
    for row in bookkeeping.report_rows(period, totals):
        if len(rows) < 200:
            rows.append(row)
    context = {
        **admin.site.each_context(request),
        "title": "Bookkeeping: refunds paid",
        "form": form,
        "header": bookkeeping.HEADER,
        "rows": rows,
        "totals": list(bookkeeping.total_rows(totals)),
        "shown_all": sum(totals.count.values()) <= len(rows),
        "query": request.GET.urlencode(),
    }
    return TemplateResponse(request, "pages/bookkeeping.html", context)
