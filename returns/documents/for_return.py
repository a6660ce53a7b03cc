"""The documents of one return, as the customer gets them from the status page or by e-mail."""

from __future__ import annotations

from django.conf import settings
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from returns import deadlines
from returns.documents.label import LabelData, render_label
from returns.documents.packing import PackingData, PackingItem, render_packing_instructions
from returns.models import ReturnMethod, ReturnPolicy, ReturnRequest
from returns.pickup_text import pickup_lines


def label_data(return_request: ReturnRequest) -> LabelData:
    order, customer = return_request.order, return_request.order.customer
    policy = ReturnPolicy.current()
    service = (
        _("Return parcel · drop-off point")
        if return_request.method == ReturnMethod.QR_DROPOFF
        else _("Return parcel · printed label")
    )
    return LabelData(
        return_number=return_request.number,
        tracking_number=return_request.tracking_number,
        qr_payload=return_request.qr_payload,
        order_number=order.number,
        sender=tuple(
            part
            for part in (
                customer.name,
                customer.street,
                f"{customer.postcode} {customer.city}".strip(),
                customer.country,
            )
            if part
        ),
        recipient=tuple(line.strip() for line in policy.return_address.splitlines() if line.strip()),
        service=service,
        carrier=return_request.carrier,
        parcel_number=1,
        parcel_count=1,
        created_on=timezone.localdate(return_request.created_at),
        language=translation.get_language() or return_request.language,
        shop_name=settings.SHOP_NAME,
    )


def packing_data(return_request: ReturnRequest) -> PackingData:
    return PackingData(
        return_number=return_request.number,
        order_number=return_request.order.number,
        items=tuple(
            PackingItem(
                name=line.order_line.variant.product.name,
                option=line.order_line.variant.option,
                sku=line.order_line.variant.sku,
                quantity=line.quantity,
            )
            for line in return_request.lines.all()
        ),
        send_by=deadlines.return_send_by(return_request),
        method=str(ReturnMethod(return_request.method).label),
        drop_off=tuple(drop_off_lines(return_request)),
        language=translation.get_language() or return_request.language,
        shop_name=settings.SHOP_NAME,
        qr_payload=return_request.qr_payload,
        pickup_on=return_request.pickup_date if return_request.method == ReturnMethod.PICKUP else None,
    )


def drop_off_lines(return_request: ReturnRequest) -> list[str]:
    """Where and how the parcel is handed over, in words for the chosen method."""
    method = return_request.method
    if method == ReturnMethod.LABEL:
        return [_("Stick the label on the parcel and hand it in at any parcel shop or post office.")]
    if method == ReturnMethod.QR_DROPOFF:
        return [_("No printer needed: show the QR code at a parcel shop; they print the label for you.")]
    if method == ReturnMethod.PICKUP:
        return pickup_lines(return_request)  # the carrier's booked day and window, never a promised one
    return [
        _("Bring the parcel to our store: %(address)s. Show the return number at the till.")
        % {"address": ReturnPolicy.current().store_address}
    ]


def label_pdf(return_request: ReturnRequest, page: str = "A6") -> bytes:
    return render_label(label_data(return_request), page=page)


def packing_pdf(return_request: ReturnRequest) -> bytes:
    return render_packing_instructions(packing_data(return_request))
