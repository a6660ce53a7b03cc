"""The insight dashboard in the admin: what returns teach, the money paid back, what customers said.
Thin: the figures come from `returns.insight`, `refunds.insight` and `followup.insight`."""

from __future__ import annotations

import csv
from collections.abc import Iterable
from decimal import Decimal

from django.contrib import admin
from django.contrib.auth.decorators import permission_required
from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse

from followup.insight import satisfaction
from refunds import insight as money_insight
from returns import insight
from returns_portal.core import charts
from returns_portal.core.periods import Period
from returns_portal.pages.forms import PeriodForm

TOP = 10


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
        "satisfaction": satisfaction(period),
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
    return TemplateResponse(request, "pages/insight.html", context)


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
