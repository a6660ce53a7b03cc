"""Where the parcel leaves from, on the customer's flow: the sender's address (asked for when the
order has none) and the carrier's service points near it, for the "how" step."""

from __future__ import annotations

import dataclasses

from django.http import HttpRequest, HttpResponseBase
from django.shortcuts import redirect, render
from django.utils import translation
from django.views.decorators.http import require_http_methods

from returns.forms import AddressForm
from returns.models import LABELLED_METHODS, Order, ReturnMethod, ReturnMethodOption
from returns.services.address import PostalAddress, address_complete, postcode_normalized
from returns.services.service_points import PointChoice, service_point_choice
from returns.views.common import Draft, with_order

# Methods where a carrier takes the parcel: it needs to know where from.
CARRIER_METHODS = LABELLED_METHODS | {ReturnMethod.PICKUP}


def carrier_needed(methods: list[ReturnMethodOption]) -> bool:
    """Whether a carrier may carry the parcel (and so needs the sender's address)."""
    return any(option.method in CARRIER_METHODS for option in methods)


def address_wanted(order: Order, draft: Draft, methods: list[ReturnMethodOption]) -> bool:
    return not draft["address"] and not address_complete(order.customer) and carrier_needed(methods)


def sender_of(order: Order, draft: Draft) -> PostalAddress:
    """Where the parcel leaves from: the address given in this flow, else the one on the order."""
    if draft["address"]:
        return PostalAddress(**draft["address"])
    customer = order.customer
    postcode = postcode_normalized(customer.country, customer.postcode) or customer.postcode
    return PostalAddress(street=customer.street, postcode=postcode, city=customer.city)


def point_choice(
    request: HttpRequest, order: Order, draft: Draft, sender: PostalAddress, methods: list[ReturnMethodOption]
) -> PointChoice | None:
    """The service points offered near the sender. A posted choice is checked against the list the
    customer was shown (kept in the draft), so a carrier that turns slow in between costs nothing."""
    offered = draft["offered"]
    if request.method == "POST" and offered and offered.get("postcode") == sender.postcode:
        return PointChoice.from_dict(offered["choice"]) if offered["choice"] else None
    picker = service_point_choice(
        country=order.customer.country,
        postcode=sender.postcode,
        street=sender.street,
        methods=[option.method for option in methods],
        language=translation.get_language() or order.language,
    )
    draft.update(offered={"postcode": sender.postcode, "choice": picker.as_dict() if picker else None})
    return picker


@with_order
@require_http_methods(["GET", "POST"])
def address(request: HttpRequest, order: Order, token: str) -> HttpResponseBase:
    """The sender's address, for an order that came without one; then the "how" step."""
    draft = Draft(request, order)
    if not draft["lines"]:
        return redirect("returns:items", token=token)
    sender = sender_of(order, draft)
    form = AddressForm(request.POST or None, country=order.customer.country, initial=dataclasses.asdict(sender))
    if request.method == "POST" and form.is_valid():
        draft.update(address=dataclasses.asdict(form.address()), offered=None)
        return redirect("returns:choice", token=token)
    return render(request, "returns/address.html", {"order": order, "form": form, "token": token})
