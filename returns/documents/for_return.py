"""The documents of one return, as the customer gets them from the status page or by e-mail."""

from __future__ import annotations

import io
import logging
from dataclasses import replace

from django.conf import settings
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from pypdf import PdfReader, PdfWriter
from pypdf.errors import PdfReadError

from returns import deadlines
from returns.carrier_files import carrier_file_read
from returns.documents.label import LabelData, render_label
from returns.documents.packing import PackingData, PackingItem, render_packing_instructions
from returns.models import ReturnMethod, ReturnPolicy, ReturnRequest
from returns.pickup_text import pickup_lines

log = logging.getLogger(__name__)


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
        qr_payload=return_request.dropoff_code or return_request.qr_payload,
        pickup_on=return_request.pickup_date if return_request.method == ReturnMethod.PICKUP else None,
        printerless=not (return_request.method == ReturnMethod.LABEL and return_request.carrier_label),
    )


def drop_off_lines(return_request: ReturnRequest) -> list[str]:
    """Where and how the parcel is handed over, in words for the chosen method."""
    method = return_request.method
    point = return_request.service_point or {}
    if method in (ReturnMethod.LABEL, ReturnMethod.QR_DROPOFF) and point.get("name"):
        return service_point_lines(method, point)
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


def service_point_lines(method: str, point: dict[str, object]) -> list[str]:
    """The chosen service point: where, how, and when it is open."""
    city_line = " ".join(str(part) for part in (point.get("postcode"), point.get("city")) if part)
    where = ", ".join(str(part) for part in (point.get("name"), point.get("street"), city_line) if part)
    lines = [
        _("Hand in the parcel at %(point)s.") % {"point": where},
        _("No printer needed: show the QR code there; they print the label for you.")
        if method == ReturnMethod.QR_DROPOFF
        else _("Stick the label on the parcel first."),
    ]
    listed = point.get("opening_hours")
    hours = [str(line) for line in listed if line] if isinstance(listed, list) else []
    if hours:
        lines.append(_("Opening hours: %(hours)s") % {"hours": "; ".join(hours)})
    return lines


def label_pdf(return_request: ReturnRequest, page: str = "A6", packing: bytes | None = None) -> bytes:
    """The carrier's own label with our packing instructions after it, when the carrier issued one;
    else the portal's label. `packing`: the instructions already rendered (`packing_pdf`), if at hand."""
    carrier_label = carrier_file_read(return_request.carrier_label)  # b"" if gone: the portal's label carries it
    if carrier_label:
        return combine_pdfs(carrier_label, packing_pdf(return_request) if packing is None else packing)
    return render_label(label_data(return_request), page=page)


def combine_pdfs(*documents: bytes) -> bytes:
    """The pages of each document, one after the other, as one PDF to print at once."""
    writer = PdfWriter()
    for document in documents:
        try:
            writer.append(PdfReader(io.BytesIO(document)))
        except (PdfReadError, ValueError):  # a damaged file: the rest still prints
            log.warning("Left out a document that is not a readable PDF (%d bytes)", len(document))
    buffer = io.BytesIO()
    writer.write(buffer)
    return buffer.getvalue()


def packing_pdf(return_request: ReturnRequest) -> bytes:
    """The packing instructions to print or keep on the phone; a label-free return's carries the
    carrier's own picture of its code when there is one (read here: the HTML page needs no file)."""
    data = packing_data(return_request)
    if return_request.method == ReturnMethod.QR_DROPOFF:
        data = replace(data, qr_image=carrier_file_read(return_request.dropoff_code_image))
    return render_packing_instructions(data)
