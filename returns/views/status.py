"""The customer's status page, reached by a signed link, and the documents for the parcel."""

from __future__ import annotations

import logging
from typing import Any

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBase
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.utils.cache import patch_cache_control
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from returns import access, deadlines
from returns.carrier_files import carrier_file_read, code_image_filename
from returns.documents.for_return import label_pdf, packing_data, packing_pdf
from returns.extensions import IssuedCredit, Payout, PayoutKind, payouts_of
from returns.forms import AddressForm
from returns.models import (
    CANCELLABLE_STATES,
    LABELLED_METHODS,
    MONEY_RESOLUTIONS,
    PRINTABLE_STATES,
    TO_BE_SENT_STATES,
    VOID_STATES,
    Order,
    Resolution,
    ReturnLine,
    ReturnMethod,
    ReturnRequest,
    ReturnState,
    TrackingStage,
)
from returns.outcomes import (
    line_outcomes,
    nothing_accepted,
    nothing_comes_text,
    promise_text,
    replacements_text,
)
from returns.services import InvalidTransition, return_address_fixable, return_ensure_shipment, return_transition
from returns.services.address import return_fix_address
from returns.views.common import link_problem, with_return
from returns_portal.core import pagecache

log = logging.getLogger(__name__)

OUTCOME_HEADING = {
    Resolution.REFUND: gettext_lazy("Your money"),
    Resolution.STORE_CREDIT: gettext_lazy("Your store credit"),
    Resolution.EXCHANGE: gettext_lazy("Your exchange"),
    Resolution.REPAIR: gettext_lazy("Repair or replacement"),
}
FINAL_STEP = {
    Resolution.REFUND: gettext_lazy("Refunded"),
    Resolution.STORE_CREDIT: gettext_lazy("Store credit issued"),
    Resolution.EXCHANGE: gettext_lazy("Exchanged"),
    Resolution.REPAIR: gettext_lazy("Repaired or replaced"),
}
HAPPY_PATH = [
    ReturnState.REQUESTED,
    ReturnState.APPROVED,
    ReturnState.IN_TRANSIT,
    ReturnState.RECEIVED,
    ReturnState.INSPECTED,
    ReturnState.COMPLETED,
]


def timeline(return_request: ReturnRequest, payouts: list[Payout]) -> list[dict[str, Any]]:
    """The happy path with the day each step happened, ending in what the customer gets (refunded,
    exchanged...); an end state (rejected, cancelled, expired) closes it instead."""
    reached = {event.to_state: event.at for event in return_request.history.all()}
    ended = return_request.state in VOID_STATES
    if ended:
        steps = [step for step in HAPPY_PATH if step in reached] + [ReturnState(return_request.state)]
        return [
            {"label": step.label, "at": reached.get(step), "current": step == return_request.state} for step in steps
        ]
    rows = [
        {"label": step.label, "at": reached.get(step), "current": step == return_request.state}
        for step in HAPPY_PATH
        if step != ReturnState.COMPLETED
    ]
    paid = max((payout.paid_at for payout in payouts if payout.paid_at), default=None)
    done_at = paid or reached.get(ReturnState.COMPLETED)
    final = FINAL_STEP[Resolution(return_request.resolution)]
    rows.append({"label": final, "at": done_at, "current": done_at is not None})
    if done_at is not None:
        for row in rows[:-1]:
            row["current"] = False
    return rows


def status(request: HttpRequest, token: str) -> HttpResponseBase:
    """The status page, served from the cache until the return changes (see `pagecache`)."""
    try:
        return_id = access.return_id_from_token(token)
    except access.LinkExpired:
        return link_problem(request, expired=True)
    except access.LinkInvalid:
        return link_problem(request, expired=False)
    new = request.GET.get("new") == "1"
    key = pagecache.page_key("status", return_id, new, language=pagecache.chosen_language(request))
    return pagecache.from_cache(request, key) or _status_page(request, token, key)


@with_return
def _status_page(request: HttpRequest, return_request: ReturnRequest, token: str, key: str) -> HttpResponse:
    context = _status_context(request, return_request, token)
    return pagecache.render_cached(
        request,
        key,
        lambda csrf_token: render_to_string("returns/status.html", context | {"csrf_token": csrf_token}, request),
    )


def _status_context(request: HttpRequest, return_request: ReturnRequest, token: str) -> dict[str, Any]:
    order = return_request.order
    payouts = payouts_of(return_request)  # money and codes, from the apps above (see `returns.extensions`)
    lines = list(return_request.lines.all())
    context = {
        "return": return_request,
        "order": order,
        "lines": lines,
        **what_comes(return_request, lines, payouts),
        "steps": timeline(return_request, payouts),
        "token": token,
        "new": request.GET.get("new") == "1",
        "can_cancel": return_request.state in CANCELLABLE_STATES,
        "can_print": return_request.state in PRINTABLE_STATES and return_request.method in LABELLED_METHODS,
        "send_by": deadlines.return_send_by(return_request),
        "is_store_credit": return_request.resolution == Resolution.STORE_CREDIT,
        "is_exchange": return_request.resolution == Resolution.EXCHANGE,
        "replacement": replacement_of(return_request),
        "method_label": ReturnMethod(return_request.method).label,
        "resolution_label": Resolution(return_request.resolution).label,
        **parcel_facts(return_request),
    }
    if context["address_problem"]:
        context["address_form"] = AddressForm(
            country=order.customer.country,
            initial={field: getattr(order.customer, field) for field in ("street", "postcode", "city")},
        )
    return context


# The carrier's refusal, by what the customer can fix, in words they understand (its own words are for staff).
CARRIER_PROBLEM_TEXT = {
    "postcode": gettext_lazy("The carrier could not read your postcode. Please check it."),
    "address": gettext_lazy("The carrier could not find your street address. Please check it."),
    "phone": gettext_lazy("The carrier could not use your phone number."),
    "email": gettext_lazy("The carrier could not use your e-mail address."),
}


def parcel_facts(return_request: ReturnRequest) -> dict[str, Any]:
    """What the page says about the parcel's journey: the label or code (or that it is on its way),
    the chosen service point, the carrier's refusal in plain words, and the carrier's events."""
    labelled = return_request.method in LABELLED_METHODS and return_request.state in TO_BE_SENT_STATES
    problem = return_request.carrier_problem_field if return_request.carrier_problem else ""
    booked = bool(return_request.tracking_number or return_request.dropoff_code)
    events = sorted(return_request.parcel_events.all(), key=lambda event: (event.at, event.pk), reverse=True)
    return {
        "booking_pending": labelled and not booked and not return_request.carrier_problem,
        "carrier_problem": labelled and bool(return_request.carrier_problem) and not booked,
        "problem_text": CARRIER_PROBLEM_TEXT.get(problem, ""),
        "address_problem": return_address_fixable(return_request),
        "dropoff_code": _dropoff_code(return_request) if labelled else "",
        "point": return_request.service_point or None,
        "parcel_events": events,
        "arrived": any(event.stage == TrackingStage.DELIVERED for event in events),
    }


def _dropoff_code(return_request: ReturnRequest) -> str:
    """What the service point scans for a label-free return: the carrier's code, or the portal's own QR."""
    if return_request.method != ReturnMethod.QR_DROPOFF:
        return ""
    return return_request.dropoff_code or return_request.qr_payload


def what_comes(return_request: ReturnRequest, lines: list[ReturnLine], payouts: list[Payout]) -> dict[str, Any]:
    """What the page says the customer gets, in the words of what they chose: money only when money
    is the outcome, the new item of an exchange, the store credit code once issued; each line's
    outcome and why; nothing at all once the return is closed or nothing was accepted."""
    outcomes = line_outcomes(lines)
    resolution = Resolution(return_request.resolution)
    none_accepted = nothing_accepted(return_request, outcomes)
    ended = return_request.state in VOID_STATES
    credit = issued_store_credit(payouts)
    credit_payouts = [payout for payout in payouts if payout.kind == PayoutKind.STORE_CREDIT]
    money_payouts = [payout for payout in payouts if payout.kind == PayoutKind.MONEY]
    open_ = resolution in MONEY_RESOLUTIONS and not (ended or none_accepted)
    waiting = credit_payouts if resolution == Resolution.STORE_CREDIT else money_payouts
    return {
        "items": list(zip(lines, outcomes, strict=True)),
        "money_payouts": money_payouts,
        "store_credit": credit,
        "credit_coming": bool(credit_payouts) and credit is None and not ended,
        "outcome_heading": OUTCOME_HEADING[resolution],
        "ended": ended,
        "nothing_comes": nothing_comes_text(resolution)
        if none_accepted or return_request.state == ReturnState.REJECTED
        else "",
        "expecting": open_ and not waiting,
        "show_fees": open_ and bool(return_request.return_fee or return_request.restocking_fee),
        "replacement_items": replacements_text(outcomes),
        "promise": promise_text(resolution),
        "is_repair": resolution == Resolution.REPAIR,
    }


def issued_store_credit(payouts: list[Payout]) -> IssuedCredit | None:
    """The store credit code among the return's payouts, once issued."""
    return next((payout.credit for payout in payouts if payout.credit), None)


def replacement_of(return_request: ReturnRequest) -> Order | None:
    try:
        return return_request.replacement_order
    except Order.DoesNotExist:
        return None


@require_POST
@with_return
def cancel(request: HttpRequest, return_request: ReturnRequest, token: str) -> HttpResponseBase:
    try:
        return_transition(return_request=return_request, to=ReturnState.CANCELLED, actor="customer")
    except InvalidTransition:
        messages.error(request, _("This return can no longer be cancelled: the parcel is already on its way."))
    else:
        messages.success(request, _("Your return is cancelled. You can start a new one while the return period lasts."))
    return redirect("returns:status", token=token)


@require_POST
@with_return
def fix_address(request: HttpRequest, return_request: ReturnRequest, token: str) -> HttpResponseBase:
    """The customer corrects the address the carrier refused; the booking is then tried again."""
    if not return_address_fixable(return_request):
        return redirect("returns:status", token=token)  # fixed already, or a stale page
    form = AddressForm(request.POST, country=return_request.order.customer.country)
    if not form.is_valid():
        context = _status_context(request, return_request, token) | {"address_form": form}
        return render(request, "returns/status.html", context, status=400)
    booked = return_fix_address(return_request=return_request, address=form.address())
    if not booked.carrier_problem:
        messages.success(request, _("Thank you. We have sent your corrected address to the carrier."))
    return redirect("returns:status", token=token)


def _pdf(content: bytes, filename: str, request: HttpRequest) -> HttpResponse:
    response = HttpResponse(content, content_type="application/pdf")
    disposition = "attachment" if request.GET.get("download") else "inline"
    response["Content-Disposition"] = f'{disposition}; filename="{filename}"'
    return response


@with_return
def label(request: HttpRequest, return_request: ReturnRequest, token: str) -> HttpResponseBase:
    if return_request.method not in LABELLED_METHODS:
        return redirect("returns:status", token=token)
    try:
        return_ensure_shipment(return_request=return_request)  # booked on demand, outside any transaction
    except Exception:  # the carrier is down: the sweep books it; the customer tries again later
        log.warning("Could not book the carrier for the label of %s", return_request, exc_info=True)
        messages.error(request, _("Your label is not ready yet. Please try again in a few minutes."))
        return redirect("returns:status", token=token)
    page = "A4" if request.GET.get("page") == "a4" else "A6"
    pdf = label_pdf(return_request, page=page)
    return _pdf(pdf, f"return-label-{return_request.number}.pdf", request)


# The picture at one link never changes (a booking keeps its first answer), so the phone may keep it:
# at a service point with a poor connection the page still shows the code.
CODE_IMAGE_SECONDS = 24 * 3600


def dropoff_code_image(request: HttpRequest, token: str) -> HttpResponseBase:
    """The carrier's own picture of the drop-off code, behind the status link (the same signed token).

    Not `with_return`: a picture needs the file's name, not the page's queries. Any link that is not
    good, or a return without the picture (or whose file is gone), is a 404: the page says why.
    """
    try:
        return_id = access.return_id_from_token(token)
    except (access.LinkExpired, access.LinkInvalid):
        raise Http404 from None
    return_request = ReturnRequest.objects.only("number", "dropoff_code_image").filter(pk=return_id).first()
    content = carrier_file_read(return_request.dropoff_code_image) if return_request else b""
    if return_request is None or not content:
        raise Http404
    response = HttpResponse(content, content_type="image/png")
    response["Content-Disposition"] = f'inline; filename="{code_image_filename(return_request)}"'
    patch_cache_control(response, private=True, max_age=CODE_IMAGE_SECONDS)
    return response


@with_return
def packing(request: HttpRequest, return_request: ReturnRequest, token: str) -> HttpResponseBase:
    if request.GET.get("format") == "pdf":
        return _pdf(packing_pdf(return_request), f"packing-{return_request.number}.pdf", request)
    data = packing_data(return_request)
    return render(request, "returns/packing.html", {"return": return_request, "data": data, "token": token})
