"""The customer's pages: find the order, choose items, choose how, confirm, follow the return.

Views are thin: eligibility, prices and every change come from selectors,
pricing and services. What the customer has chosen so far lives in the session
(`Draft`), so the flow works without JavaScript and survives the back button.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from django.http import HttpRequest, HttpResponse, HttpResponseBase
from django.middleware.csrf import get_token
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from returns import access
from returns.forms import ChoiceForm, ItemsForm, LookupForm, pickup_days
from returns.models import (
    LABELLED_METHODS,
    MONEY_RESOLUTIONS,
    HelpGuide,
    Order,
    Resolution,
    ReturnMethod,
    ReturnPhoto,
    ReturnPolicy,
    ReturnReason,
    Variant,
)
from returns.outcomes import promise_text, variant_text
from returns.photos import PhotosNotStored, photos_store_draft
from returns.pricing import Selection
from returns.selectors import (
    exchange_options,
    help_guides_for,
    order_by_lookup,
    order_eligibility,
    order_lines_with_returned,
    quote_return,
)
from returns.services import LineRequest, ReturnRefused, return_create, self_help_record
from returns.services.address import PostalAddress
from returns.services.service_points import point_as_dict
from returns.views.common import Draft, client_address, remember_language, with_order
from returns.views.sender import CARRIER_METHODS, address_wanted, carrier_needed, point_choice, sender_of
from returns_portal.core import pagecache, throttle
from returns_portal.core.l10n import format_day, format_money, format_month_day, format_number
from returns_portal.core.money import Currency

# --- Finding the order ----------------------------------------------------------------------


@require_http_methods(["GET", "POST"])
def start(request: HttpRequest) -> HttpResponseBase:
    form = LookupForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        number, client = form.cleaned_data["order_number"], client_address(request)
        if throttle.lookup_blocked(client=client, order_number=number):
            return render(request, "returns/try_later.html", {"minutes": throttle.WINDOW_SECONDS // 60}, status=429)
        order = order_by_lookup(number, form.cleaned_data["contact"])
        if order is not None:
            response = redirect("returns:items", token=access.order_token(order))
            return remember_language(request, response, order.language)
        throttle.lookup_failed(client=client, order_number=number)
        form.add_error(None, _("We could not find an order with those details. Check the order number and try again."))

    def page(csrf_token: str) -> str:
        context = {"form": form, "policy": ReturnPolicy.current(), "csrf_token": csrf_token}
        return render_to_string("returns/start.html", context, request)

    if request.method == "GET":
        key = pagecache.page_key("start", language=current_language())
        return pagecache.render_cached(request, key, page, local=True)
    return HttpResponse(page(get_token(request)))


# The currency a reader of each language most likely pays in; the policy page leads with it.
LANGUAGE_CURRENCY = {"sv": Currency.SEK, "fi": Currency.EUR, "nb": Currency.NOK, "da": Currency.DKK}


def fee_text(fee: Decimal, currency: str) -> str:
    return format_money(fee, currency) if fee else _("free")


def current_language() -> str:
    return translation.get_language() or "en"


def policy_page(request: HttpRequest) -> HttpResponse:
    key = pagecache.page_key("policy", language=current_language())
    return pagecache.render_cached(
        request, key, lambda csrf_token: render_to_string(*_policy_page(request), request), local=True
    )


def _policy_page(request: HttpRequest) -> tuple[str, dict[str, object]]:
    policy = ReturnPolicy.current()
    seasons = [
        {
            "name": season.name,
            "start": format_month_day(season.bought_from_month, season.bought_from_day),
            "end": format_month_day(season.bought_to_month, season.bought_to_day),
            "until": format_month_day(season.returnable_until_month, season.returnable_until_day),
        }
        for season in policy.extensions.all()
    ]
    currency = LANGUAGE_CURRENCY.get(current_language(), Currency.EUR)
    methods = [
        {
            "label": ReturnMethod(option.method).label,
            "fee": fee_text(option.fee(currency), currency),
            "fees": [fee_text(option.fee(other), other) for other in Currency.values],
        }
        for option in policy.methods.all()
        if option.offered
    ]
    context = {
        "policy": policy,
        "seasons": seasons,
        "methods": methods,
        "currencies": Currency.values,
        "currency": currency,
        "final_sale": list(policy.non_returnable_categories.all()),
        "seller_pays": [reason.label() for reason in ReturnReason.objects.filter(active=True, seller_pays=True)],
        "bonus": format_number(policy.store_credit_bonus_percent) if policy.store_credit_bonus_percent else "",
        "restocking": format_number(policy.restocking_fee_percent) if policy.restocking_fee_percent else "",
    }
    return "returns/policy.html", context


# --- Choosing items ------------------------------------------------------------------------------


@with_order
@require_http_methods(["GET", "POST"])
def items(request: HttpRequest, order: Order, token: str) -> HttpResponseBase:
    draft = Draft(request, order)
    lines = list(order_lines_with_returned(order))
    results = order_eligibility(order, ReturnPolicy.current(), timezone.now(), lines)
    photos_on_file = set(
        ReturnPhoto.objects.filter(draft_key=draft["key"], return_line__isnull=True).values_list(
            "order_line_id", flat=True
        )
    )
    form = ItemsForm(
        request.POST or None,
        request.FILES or None,
        lines=lines,
        results=results,
        reasons=list(ReturnReason.objects.filter(active=True)),
        photos_on_file=photos_on_file,
        language=translation.get_language() or order.language,
        initial=_initial_items(draft),
    )
    if request.method == "POST" and form.is_valid() and _photos_kept(form, draft):
        draft.update(lines=form.selected())
        guided = _lines_with_guides(order, draft)
        return redirect("returns:help" if guided else "returns:choice", token=token)
    returnable = any(result.eligible for result in results.values())
    return render(
        request, "returns/items.html", {"order": order, "form": form, "returnable": returnable, "token": token}
    )


def _photos_kept(form: ItemsForm, draft: Draft) -> bool:
    """Store the photos; when the storage fails, say so on each item that had some, and keep none."""
    photos = form.photos()
    try:
        photos_store_draft(draft_key=draft["key"], photos=photos)
    except PhotosNotStored:
        message = _("Your photos could not be saved just now. Please add them again in a few minutes.")
        for line_id in [line_id for line_id, prepared in photos.items() if prepared]:
            form.add_error(f"photos_{line_id}", message)
        return False
    return True


def _initial_items(draft: Draft) -> dict[str, Any]:
    initial: dict[str, Any] = {}
    for line in draft["lines"] or []:
        initial |= {
            f"qty_{line['line_id']}": line["quantity"],
            f"reason_{line['line_id']}": line["reason"],
            f"comment_{line['line_id']}": line["comment"],
        }
    return initial


def _lines_with_guides(order: Order, draft: Draft) -> list[tuple[int, HelpGuide]]:
    """Chosen lines claimed as faulty, not yet shown their guide."""
    claims = {line["line_id"]: line["reason"] for line in draft["lines"] or [] if not line.get("guided")}
    return help_guides_for(order, claims, translation.get_language() or order.language)


@with_order
@require_http_methods(["GET", "POST"])
def help_first(request: HttpRequest, order: Order, token: str) -> HttpResponseBase:
    draft = Draft(request, order)
    guided = _lines_with_guides(order, draft)
    if not guided:
        return redirect("returns:choice", token=token)
    if request.method == "POST":
        solved = request.POST.get("outcome") == "solved"
        self_help_record(guided=guided, solved=solved)
        ids = {line_id for line_id, _guide in guided}
        lines = draft["lines"] or []
        if solved:
            lines = [line for line in lines if line["line_id"] not in ids]
        else:
            lines = [line | {"guided": True} if line["line_id"] in ids else line for line in lines]
        draft.update(lines=lines)
        if solved and not lines:
            return render(request, "returns/solved.html", {"order": order})
        return redirect("returns:choice", token=token)
    guides = list({guide.pk: guide for _line_id, guide in guided}.values())
    return render(request, "returns/help.html", {"order": order, "guides": guides, "token": token})


# --- Choosing how ----------------------------------------------------------------------------------


def _chosen_lines(draft: Draft) -> dict[int, dict[str, Any]]:
    return {line["line_id"]: line for line in draft["lines"] or []}


@with_order
@require_http_methods(["GET", "POST"])
def choice(request: HttpRequest, order: Order, token: str) -> HttpResponseBase:
    draft = Draft(request, order)
    chosen = _chosen_lines(draft)
    if not chosen:
        return redirect("returns:items", token=token)
    policy = ReturnPolicy.current()
    methods = [option for option in policy.methods.all() if option.offered]
    if address_wanted(order, draft, methods):
        return redirect("returns:address", token=token)
    sender = sender_of(order, draft)
    picker = point_choice(request, order, draft, sender, methods)
    lines = [line for line in order.lines.select_related("variant__product") if line.id in chosen]
    options = exchange_options(lines)
    reasons = ReturnReason.objects.in_bulk([line["reason"] for line in chosen.values()], field_name="code")
    form = ChoiceForm(
        request.POST or None,
        resolutions=_resolutions(policy, chosen, reasons, any(options.values())),
        methods=methods,
        method_labels=_method_labels(policy, order.currency),
        pickup_days=pickup_days(format_day),
        exchange_lines=[(line, options[line.id]) for line in lines if options[line.id]],
        service_points=list(picker.points) if picker else None,
        point_methods=picker.methods if picker else (),
        initial=draft.data | {"service_point": draft["service_point_id"]},
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        point = form.chosen_point()
        draft.update(
            resolution=data["resolution"],
            method=data["method"],
            pickup_date=data["pickup_date"].isoformat() if data.get("pickup_date") else None,
            exchange={str(line.id): data.get(f"exchange_{line.id}") for line, _variants in form.exchange_lines},
            service_point=point_as_dict(point) if point else {},
            service_point_id=data.get("service_point") or None,
        )
        return redirect("returns:confirm", token=token)
    context = {"order": order, "form": form, "token": token, "picker": picker, "sender": sender}
    return render(request, "returns/choice.html", context | {"asks_address": carrier_needed(methods)})


def _resolutions(
    policy: ReturnPolicy, chosen: dict[int, dict[str, Any]], reasons: dict[str, ReturnReason], can_exchange: bool
) -> list[tuple[str, str]]:
    bonus = format_number(policy.store_credit_bonus_percent) if policy.store_credit_bonus_percent else ""
    offered = [(Resolution.REFUND.value, _("Refund to my original payment method"))]
    offered.append(
        (Resolution.STORE_CREDIT.value, _("Store credit with %(bonus)s %% extra") % {"bonus": bonus})
        if bonus
        else (Resolution.STORE_CREDIT.value, _("Store credit"))
    )
    if can_exchange:
        offered.append((Resolution.EXCHANGE.value, _("Exchange for another size or colour")))
    if all(line["reason"] in reasons and reasons[line["reason"]].allows_repair for line in chosen.values()):
        offered.append((Resolution.REPAIR.value, _("Repair or replacement")))
    return offered


def _method_labels(policy: ReturnPolicy, currency: str) -> dict[str, str]:
    return {
        option.method: f"{ReturnMethod(option.method).label} — {fee_text(option.fee(currency), currency)}"
        for option in policy.methods.all()
    }


# --- Confirming ------------------------------------------------------------------------------------


def _line_requests(draft: Draft) -> list[LineRequest]:
    exchange = draft["exchange"] or {}
    return [
        LineRequest(
            order_line_id=line["line_id"],
            quantity=line["quantity"],
            reason_code=line["reason"],
            comment=line["comment"],
            exchange_variant_id=exchange.get(str(line["line_id"])),
        )
        for line in draft["lines"] or []
    ]


@with_order
@require_http_methods(["GET", "POST"])
def confirm(request: HttpRequest, order: Order, token: str) -> HttpResponseBase:
    draft = Draft(request, order)
    if not draft["lines"] or not draft["method"]:
        return redirect("returns:items", token=token)
    errors: list[str] = []
    if request.method == "POST":
        try:
            return_request = return_create(
                order=order,
                lines=_line_requests(draft),
                resolution=draft["resolution"],
                method=draft["method"],
                pickup_date=dt.date.fromisoformat(draft["pickup_date"]) if draft["pickup_date"] else None,
                language=translation.get_language() or order.language,
                submission_key=draft["key"],
                photo_draft_key=draft["key"],
                service_point=draft["service_point"] or {},
                sender=PostalAddress(**draft["address"]) if draft["address"] else None,
            )
        except ReturnRefused as refusal:
            errors = [message for messages in refusal.errors.values() for message in messages]
        else:
            draft.clear()
            return redirect(reverse("returns:status", args=[access.status_token(return_request)]) + "?new=1")
    return render(request, "returns/confirm.html", _confirm_context(order, draft, errors, token))


def _confirm_context(order: Order, draft: Draft, errors: list[str], token: str) -> dict[str, Any]:
    policy = ReturnPolicy.current()
    lines = list(order_lines_with_returned(order))
    requests = _line_requests(draft)
    reasons = ReturnReason.objects.in_bulk([line.reason_code for line in requests], field_name="code")
    selections = [
        Selection(
            line.order_line_id,
            line.quantity,
            bool(reasons.get(line.reason_code) and reasons[line.reason_code].seller_pays),
        )
        for line in requests
    ]
    quote = quote_return(
        order=order,
        lines=lines,
        policy=policy,
        selections=selections,
        resolution=draft["resolution"],
        method=draft["method"],
    )
    by_id = {line.id: line for line in lines}
    amounts = {quote_line.line_id: quote_line.amount for quote_line in quote.lines}
    resolution = Resolution(draft["resolution"])
    wanted = (
        Variant.objects.select_related("product").in_bulk([line.exchange_variant_id for line in requests])
        if resolution == Resolution.EXCHANGE
        else {}
    )
    rows = [
        {
            "line": by_id[line.order_line_id],
            "quantity": line.quantity,
            "reason": reasons[line.reason_code].label() if line.reason_code in reasons else "",
            "amount": amounts.get(line.order_line_id),
            "instead": variant_text(wanted[line.exchange_variant_id]) if line.exchange_variant_id in wanted else "",
        }
        for line in requests
        if line.order_line_id in by_id
    ]
    return {
        "order": order,
        "rows": rows,
        "quote": quote,
        # Money is spoken of only when money is what the customer gets back.
        "money": resolution in MONEY_RESOLUTIONS,
        "is_store_credit": resolution == Resolution.STORE_CREDIT,
        "is_exchange": resolution == Resolution.EXCHANGE,
        "promise": promise_text(resolution),
        "resolution": resolution.label,
        "method": ReturnMethod(draft["method"]).label,
        "pickup_date": dt.date.fromisoformat(draft["pickup_date"]) if draft["pickup_date"] else None,
        "service_point": draft["service_point"] if draft["method"] in LABELLED_METHODS else None,
        "sender": sender_of(order, draft) if draft["method"] in CARRIER_METHODS else None,
        "refund_days": policy.refund_within_days,
        "errors": errors,
        "token": token,
    }
