"""The customer's postal address, as carriers need it: asked for when it is missing, corrected when
the carrier could not read it (and then the booking is tried again)."""

from __future__ import annotations

import re
from dataclasses import dataclass

from django.db import transaction

from returns.models import Customer, ReturnRequest
from returns.services.booking import return_address_fixable, return_retry_booking


@dataclass(frozen=True)
class PostcodeRule:
    pattern: str  # what the customer may type (spaces around it are forgiven)
    digits: int
    example: str


# Sweden writes "113 46" (the space is customary, not required); Finland five digits; Norway and Denmark four.
POSTCODE_RULES = {
    "SE": PostcodeRule(r"(\d{3}) ?(\d{2})", 5, "113 46"),
    "FI": PostcodeRule(r"(\d{5})", 5, "00100"),
    "NO": PostcodeRule(r"(\d{4})", 4, "0150"),
    "DK": PostcodeRule(r"(\d{4})", 4, "2100"),
}


@dataclass(frozen=True)
class PostalAddress:
    street: str
    postcode: str
    city: str


def postcode_rule(country: str) -> PostcodeRule | None:
    return POSTCODE_RULES.get(country.upper())


def postcode_normalized(country: str, text: str) -> str | None:
    """The postcode written the country's way ("11346" -> "113 46" in Sweden), or None if it cannot be one.

    Countries without a rule here take any short text.
    """
    text = text.strip()
    rule = postcode_rule(country)
    if rule is None:
        return text.upper() if 0 < len(text) <= 16 else None
    match = re.fullmatch(rule.pattern, text)
    return " ".join(match.groups()) if match else None


def address_complete(customer: Customer) -> bool:
    return all(part.strip() for part in (customer.street, customer.postcode, customer.city))


def customer_set_address(*, customer: Customer, address: PostalAddress) -> Customer:
    """Save the address the customer gave (the form has checked it against their country)."""
    customer.street, customer.postcode, customer.city = address.street, address.postcode, address.city
    customer.save(update_fields=["street", "postcode", "city"])
    return customer


def return_fix_address(*, return_request: ReturnRequest, address: PostalAddress) -> ReturnRequest:
    """The customer corrected the address the carrier refused: save it, then book again.

    The address is committed first; the booking is a remote call and runs with no transaction open.
    A return whose refusal is no longer the customer's to fix (fixed meanwhile, cancelled) is left as it is.
    """
    with transaction.atomic():
        locked = ReturnRequest.objects.select_for_update().get(pk=return_request.pk)
        if not return_address_fixable(locked):
            return return_request
        customer_set_address(customer=return_request.order.customer, address=address)
    return return_retry_booking(return_request=return_request)
