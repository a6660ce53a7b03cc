"""The insight dashboard and the bookkeeping report in the admin. Thin: the figures come from
`returns.insight`, `refunds.insight` and `refunds.bookkeeping`."""

from __future__ import annotations

import csv
import datetime as dt
from collections.abc import Iterable
from decimal import Decimal

from django import forms
from django.contrib import admin
from django.contrib.auth.decorators import permission_required
from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from django.template.response import TemplateResponse
from django.utils import timezone

from refunds import bookkeeping, charts
from refunds import insight as money_insight
from returns import insight
from returns_portal.core.periods import Period

TOP = 10


class PeriodForm(forms.Form):
    start = forms.DateField(required=False, widget=forms.DateInput(attrs={"type": "date"}))
    end = forms.DateField(required=False, widget=forms.DateInput(attrs={"type": "date"}))

    @classmethod
    def for_request(cls, request: HttpRequest, default_days: int) -> tuple[PeriodForm, Period]:
        """The chosen period, and the form showing it (the default days filled in when none was chosen)."""
        form = cls(request.GET or None)
        period = form.period(default_days)
        if not form.is_bound:
            last_day = (period.end - dt.timedelta(days=1)).date()
            form = cls(initial={"start": period.start.date(), "end": last_day})
        return form, period

    def period(self, default_days: int) -> Period:
        """The chosen days, whole local days; by default the last `default_days`."""
        today = timezone.localdate()
        data = self.cleaned_data if self.is_valid() else {}
        end = data.get("end") or today
        start = data.get("start") or end - dt.timedelta(days=default_days)
        if start > end:
            start, end = end, start
        return Period(_midnight(start), _midnight(end + dt.timedelta(days=1)))


def _midnight(day: dt.date) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time()))


def _rate_text(rate: insight.Rate) -> str:
    return f"{_percent(rate.rate)} · {rate.returned}/{rate.sold}"


def _percent(value: Decimal | None) -> str:
    return "–" if value is None else f"{value * 100:.1f} %"


@permission_required("refunds.view_refund", raise_exception=True)
def dashboard(request: HttpRequest) -> HttpResponse:
    form, period = PeriodForm.for_request(request, default_days=90)
    panel = request.GET.get("csv")
    if panel:
        return _panel_csv(panel, period)
    figures = insight.cohort(period)
    products, categories, dominant, reasons = figures.products, figures.categories, figures.dominant, figures.reasons
    flags = insight.product_flags(period, figures)
    flagged = {flag.product.name for flag in flags}
    money_figures = money_insight.money(period)
    labels = {code: label for code, label, _units in reasons}
    top = products[:TOP]
    context = {
        **admin.site.each_context(request),
        "title": "Returns insight",
        "form": form,
        "period": period,
        "money": money_figures,
        "satisfaction": money_insight.satisfaction(period),
        "flags": flags,
        "top": [(rate, labels.get(dominant.get(rate.key, ("", 0))[0], "")) for rate in top],
        "categories": categories,
        "top_chart": charts.bars([(rate.name, float(rate.rate), _rate_text(rate)) for rate in top], warn=flagged),
        "category_chart": charts.bars(
            [
                (rate.name, float(rate.rate), f"{_percent(rate.rate)} · {rate.returned}/{rate.sold}")
                for rate in categories
            ]
        ),
        "reason_chart": charts.bars(
            [(label, units, f"{units} units") for _code, label, units in reasons], width=460, label_width=150
        ),
        "trend_chart": charts.columns(
            [(week.strftime("%d %b"), units) for week, _returns, units in insight.weekly_trend(period)]
        ),
        "late_share": _percent(money_figures.late_share),
    }
    return TemplateResponse(request, "admin/refunds/insight.html", context)


def _panel_csv(panel: str, period: Period) -> HttpResponse:
    rows: Iterable[list[object]]
    figures = insight.cohort(period) if panel in ("products", "categories", "reasons", "flags") else None
    if panel == "products" and figures:
        header = ["product", "category", "sold", "returned", "return_rate", "dominant_reason"]
        rows = (
            [rate.name, rate.category, rate.sold, rate.returned, f"{rate.rate:.4f}",
             figures.dominant.get(rate.key, ("",))[0]]
            for rate in figures.products
        )  # fmt: skip
    elif panel == "categories" and figures:
        header = ["category", "sold", "returned", "return_rate"]
        rows = ([rate.name, rate.sold, rate.returned, f"{rate.rate:.4f}"] for rate in figures.categories)
    elif panel == "reasons" and figures:
        header = ["reason", "label", "units"]
        rows = ([code, label, units] for code, label, units in figures.reasons)
    elif panel == "trend":
        header = ["week", "returns", "units"]
        rows = ([week.isoformat(), returns, units] for week, returns, units in insight.weekly_trend(period))
    elif panel == "flags" and figures:
        header = ["product", "category", "return_rate", "category_rate", "reason", "share", "hint"]
        rows = (
            [flag.product.name, flag.product.category, f"{flag.product.rate:.4f}", f"{flag.category_rate:.4f}",
             flag.reason, f"{flag.share:.2f}", flag.hint]
            for flag in insight.product_flags(period, figures)
        )  # fmt: skip
    else:
        return HttpResponse("Unknown panel.", status=400, content_type="text/plain")
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="returns-{panel}.csv"'
    writer = csv.writer(response)
    writer.writerow(header)
    writer.writerows(rows)
    return response


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
    return TemplateResponse(request, "admin/refunds/bookkeeping.html", context)
