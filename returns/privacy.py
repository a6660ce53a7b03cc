"""What the returns app holds about a person, for the right of access and the right to erasure.

A customer's name, e-mail and address; their orders; their returns with the comments, photos and
the free texts staff and carriers wrote about them. Erasure anonymises in place: amounts, VAT,
dates, order and return numbers, reasons and conditions stay, so bookkeeping and insight still
count them; names, addresses, free texts, photos and the carrier's files (its label, its picture of
the drop-off code) go. `returns_portal.privacy` composes this with what `refunds` and `followup` hold.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Iterable
from typing import Any

from django.db import transaction
from django.db.models import Exists, OuterRef, Q, QuerySet
from django.db.models.fields.files import FieldFile

from returns.cached_pages import forget_status_pages
from returns.models import (
    OPEN_STATES,
    Customer,
    Order,
    ReturnEvent,
    ReturnLine,
    ReturnPhoto,
    ReturnRequest,
    SelfHelpOutcome,
)

log = logging.getLogger(__name__)

# RFC 2606 reserves .invalid: such an address is nobody's and no mail server delivers to it.
ERASED_DOMAIN = "invalid"
ERASED_CUSTOMERS = Q(email__startswith="erased-", email__endswith=f"@{ERASED_DOMAIN}")

CUSTOMER_FIELDS = [
    "email", "name", "street", "postcode", "city", "country", "language",
    "marketing_consent", "consent_changed_at", "consent_source", "created_at",
]  # fmt: skip
ORDER_FIELDS = [
    "number", "placed_at", "delivered_at", "currency", "language", "payment_method", "shipping_amount",
    "discount_amount", "shipped_at", "shipment_tracking",
]  # fmt: skip
RETURN_FIELDS = [
    "number", "order__number", "state", "state_changed_at", "created_at", "resolution", "method", "language",
    "pickup_date", "pickup_reference", "pickup_window", "pickup_problem", "carrier", "tracking_number",
    "items_amount", "return_fee", "restocking_fee", "store_credit_bonus", "shipping_refund", "expected_refund",
    "refund_due_on", "rejection_reason", "override_reason",
]  # fmt: skip
LINE_FIELDS = [
    "id", "order_line__variant__sku", "order_line__variant__product__name", "quantity", "reason__code", "comment",
    "received_quantity", "condition", "outcome", "outcome_reason", "exchange_variant__sku", "amount",
]  # fmt: skip
# The free texts about a return: the customer's words, and what staff or the carrier wrote about it.
RETURN_TEXTS = ["pickup_problem", "rejection_reason", "override_reason"]
LINE_TEXTS = ["comment", "outcome_reason"]


def customer_by_email(email: str) -> Customer | None:
    """The customer with this address, whatever its case; None for an unknown (or forgotten) address."""
    return Customer.objects.filter(email__iexact=email.strip()).first()


def erased_email(customer: Customer) -> str:
    """The placeholder an anonymised customer keeps: unique, as addresses must be, and nobody's."""
    return f"erased-{customer.pk}@{ERASED_DOMAIN}"


def customer_is_erased(customer: Customer) -> bool:
    return customer.email == erased_email(customer)


def open_matters(customer: Customer) -> list[str]:
    """Returns still under way: erasing them would leave staff with a parcel and nobody to refund."""
    open_returns = ReturnRequest.objects.filter(order__customer=customer, state__in=OPEN_STATES).order_by("pk")
    return [f"return {number} is {state}" for number, state in open_returns.values_list("number", "state")]


def returns_ended_before(cutoff: dt.datetime) -> QuerySet[ReturnRequest]:
    """Returns that came to an end (completed, rejected, cancelled, expired) before `cutoff`."""
    return ReturnRequest.objects.exclude(state__in=OPEN_STATES).filter(state_changed_at__lt=cutoff)


def customers_inactive_since(cutoff: dt.datetime) -> QuerySet[Customer]:
    """Customers with no order since `cutoff` and no return that was open or ended since then."""
    recent_order = Order.objects.filter(customer=OuterRef("pk"), placed_at__gte=cutoff)
    live_return = ReturnRequest.objects.filter(order__customer=OuterRef("pk")).filter(
        Q(state__in=OPEN_STATES) | Q(state_changed_at__gte=cutoff)
    )
    return (
        Customer.objects.filter(created_at__lt=cutoff)
        .exclude(ERASED_CUSTOMERS)
        .exclude(Exists(recent_order))
        .exclude(Exists(live_return))
    )


def export(*, email: str, customer: Customer | None) -> dict[str, Any]:
    """The customer, their orders and returns, as plain values (DjangoJSONEncoder writes them)."""
    if customer is None:
        return {}
    orders = Order.objects.filter(customer=customer).order_by("placed_at", "pk")
    return {
        "customer": Customer.objects.filter(pk=customer.pk).values(*CUSTOMER_FIELDS).get(),
        "orders": [_order(order) for order in orders.prefetch_related("lines__variant__product")],
        "returns": [_return(values) for values in _returns_of(customer).values("pk", *RETURN_FIELDS)],
        "photos_not_sent": list(
            ReturnPhoto.objects.filter(order_line__order__customer=customer, return_line__isnull=True)
            .order_by("pk")
            .values("image", "content_type", "uploaded_at")
        ),
        "self_help": list(
            SelfHelpOutcome.objects.filter(order_line__order__customer=customer)
            .order_by("at")
            .values("product__name", "solved", "at")
        ),
    }


def _returns_of(customer: Customer) -> QuerySet[ReturnRequest]:
    return ReturnRequest.objects.filter(order__customer=customer).order_by("created_at", "pk")


def _order(order: Order) -> dict[str, Any]:
    lines = [
        {"sku": line.variant.sku, "product": line.variant.product.name, "option": line.variant.option,
         "quantity": line.quantity, "unit_price": line.unit_price, "vat_rate": line.vat_rate}
        for line in order.lines.all()
    ]  # fmt: skip
    return {field: getattr(order, field) for field in ORDER_FIELDS} | {"lines": lines}


def _return(values: dict[str, Any]) -> dict[str, Any]:
    return_id = values.pop("pk")
    lines = list(ReturnLine.objects.filter(return_request_id=return_id).order_by("pk").values(*LINE_FIELDS))
    photos = ReturnPhoto.objects.filter(return_line__return_request_id=return_id).order_by("pk")
    by_line: dict[int, list[dict[str, Any]]] = {}
    for line_id, image, content_type, uploaded_at in photos.values_list(
        "return_line_id", "image", "content_type", "uploaded_at"
    ):
        by_line.setdefault(line_id, []).append(
            {"image": image, "content_type": content_type, "uploaded_at": uploaded_at}
        )
    for line in lines:
        line["photos"] = by_line.get(line.pop("id"), [])
    history = ReturnEvent.objects.filter(return_request_id=return_id).values("at", "from_state", "to_state", "note")
    return values | {"lines": lines, "history": list(history)}


def erase(*, email: str, customer: Customer | None) -> dict[str, int]:
    """Anonymise the customer and everything of theirs in this app; nothing if already done."""
    if customer is None or customer_is_erased(customer):
        return {}
    counts = erase_returns(_returns_of(customer).values_list("pk", flat=True))
    drafts = ReturnPhoto.objects.filter(order_line__order__customer=customer, return_line__isnull=True)
    counts["photos"] = counts.get("photos", 0) + _delete_photos(drafts)
    counts["orders"] = Order.objects.filter(customer=customer).count()
    customer.email, customer.name = erased_email(customer), ""
    customer.street = customer.postcode = customer.city = ""
    customer.marketing_consent, customer.consent_changed_at, customer.consent_source = False, None, ""
    customer.save(update_fields=["email", "name", "street", "postcode", "city", "marketing_consent",
                                 "consent_changed_at", "consent_source"])  # fmt: skip
    counts["customers"] = 1
    return counts


def erase_returns(return_ids: Iterable[int]) -> dict[str, int]:
    """Clear the free texts and delete the photos of these returns; the numbers and amounts stay."""
    ids = list(return_ids)
    returns = ReturnRequest.objects.filter(pk__in=ids)
    lines = ReturnLine.objects.filter(return_request_id__in=ids)
    counts = {
        "returns": returns.update(**dict.fromkeys(RETURN_TEXTS, "")),
        "return lines": lines.update(**dict.fromkeys(LINE_TEXTS, "")),
        "photos": _delete_photos(ReturnPhoto.objects.filter(return_line__return_request_id__in=ids)),
    }
    ReturnEvent.objects.filter(return_request_id__in=ids).exclude(note="").update(note="")
    counts["carrier files"] = _delete_carrier_files(returns)
    for return_request in returns:  # the status pages kept in the cache show the old texts
        forget_status_pages(sender=ReturnRequest, instance=return_request)
    return counts


def _delete_carrier_files(returns: QuerySet[ReturnRequest]) -> int:
    """The carrier's label (the customer's name and address) and its picture of the drop-off code: the
    names are cleared now, the files deleted once that commits."""
    files = [
        file
        for return_request in returns.exclude(carrier_label="", dropoff_code_image="")
        for file in (return_request.carrier_label, return_request.dropoff_code_image)
        if file
    ]
    returns.update(carrier_label="", dropoff_code_image="")
    transaction.on_commit(lambda: _delete_files(files))
    return len(files)


def _delete_photos(photos: QuerySet[ReturnPhoto]) -> int:
    """Delete the rows now and the files once that commits: a rollback keeps both."""
    files = [photo.image for photo in photos]
    deleted, _by_model = photos.delete()
    transaction.on_commit(lambda: _delete_files(files))
    return deleted


def _delete_files(files: list[FieldFile]) -> None:
    for file in files:
        try:
            file.delete(save=False)  # through the storage, wherever it keeps them
        except Exception:  # one unreachable file must not keep the others
            log.warning("Could not delete the file %s of an erased return", file.name, exc_info=True)
