"""The demo's returns, each walked through the same services staff and customers use.

Nothing is faked with a bare state change: a return is created, approved,
received and inspected line by line, and its refund or store credit is paid the
way the admin pays it, so every screen (status page, receiving screen, support,
bookkeeping) shows what it would show in a real shop.
"""

from __future__ import annotations

import datetime as dt
import io
from dataclasses import dataclass, field

from django.contrib.auth.models import User
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image, ImageDraw

from refunds.models import Refund, RefundState
from refunds.services import refund_confirm, refund_execute
from returns.models import Order, Resolution, ReturnState, Variant
from returns.photos import photo_prepare, photos_store_draft
from returns.services import (
    LineRequest,
    ReceivedLine,
    return_book_carrier,
    return_create,
    return_receive,
    return_transition,
)
from returns.services.exchange import replacement_ship

# How far a demo return goes: each stage includes the ones before it.
STAGES = ("requested", "approved", "in_transit", "inspected", "paid")


@dataclass(frozen=True)
class DemoReturn:
    order: str
    skus: tuple[str, ...]
    reason: str
    until: str
    resolution: str = Resolution.REFUND
    method: str = "label"
    rejected: dict[str, str] = field(default_factory=dict)  # sku: the reason staff give the customer
    exchange_to: dict[str, str] = field(default_factory=dict)  # sku: the sku wanted instead
    photos: bool = False


DEMO_RETURNS = [
    DemoReturn("NV-10007", ("MBL-M",), "too_big", until="paid"),
    DemoReturn("NV-10010", ("TRG-42",), "too_small", until="in_transit"),
    DemoReturn(
        "NV-10011",
        ("MBL-M", "WBN-40"),
        "changed_mind",
        until="paid",
        rejected={"WBN-40": "The boots have been worn outdoors: the soles are scuffed, so we cannot take them back."},
    ),
    DemoReturn("NV-10012", ("DVS-L",), "too_big", until="approved", method="pickup"),
    DemoReturn("NV-10013", ("EBA-BLK",), "defective", until="in_transit", photos=True),
    DemoReturn(
        "NV-10014",
        ("TRG-43",),
        "too_small",
        until="paid",
        resolution=Resolution.EXCHANGE,
        exchange_to={"TRG-43": "TRG-44"},
    ),
    DemoReturn("NV-10015", ("MBL-S", "WSK-4346"), "changed_mind", until="paid", resolution=Resolution.STORE_CREDIT),
]


def demo_return(demo: DemoReturn, order: Order, staff: User, now: dt.datetime) -> None:
    # Within the return window: a few days after delivery, and at least ten days ago.
    started = min(now - dt.timedelta(days=10), (order.delivered_at or order.placed_at) + dt.timedelta(days=5))
    day = iter(started + dt.timedelta(days=n) for n in range(1, 10))
    lines = {line.variant.sku: line for line in order.lines.select_related("variant") if line.variant.sku in demo.skus}
    draft_key = f"demo-{order.number}"
    if demo.photos:
        photos = [photo_prepare(defect_photo(1)), photo_prepare(defect_photo(2))]
        photos_store_draft(draft_key=draft_key, photos={line.pk: photos for line in lines.values()})
    exchange = {sku: Variant.objects.get(sku=wanted).pk for sku, wanted in demo.exchange_to.items()}
    return_request = return_create(
        order=order,
        lines=[
            LineRequest(
                order_line_id=line.pk,
                quantity=1,
                reason_code=demo.reason,
                comment="The left earbud stopped charging after a week." if demo.photos else "",
                exchange_variant_id=exchange.get(sku),
            )
            for sku, line in lines.items()
        ],
        resolution=demo.resolution,
        method=demo.method,
        pickup_date=next_weekday(now) if demo.method == "pickup" else None,
        photo_draft_key=draft_key if demo.photos else "",
        now=started,
    )
    # Booked after return_create's commit already; asked again (a no-op then) for a seed run inside a
    # transaction, such as a test's, where that commit never comes.
    return_request = return_book_carrier(return_request=return_request)
    reached = STAGES.index(demo.until)
    if return_request.state == ReturnState.REQUESTED and reached >= STAGES.index("approved"):
        return_transition(return_request=return_request, to=ReturnState.APPROVED, by=staff, now=next(day))
    if reached >= STAGES.index("in_transit"):
        return_transition(return_request=return_request, to=ReturnState.IN_TRANSIT, now=next(day))
    if reached >= STAGES.index("inspected"):
        received = [
            ReceivedLine(
                return_line_id=line.pk,
                received_quantity=line.quantity,
                condition="damaged" if line.order_line.variant.sku in demo.rejected else "resellable",
                accept=line.order_line.variant.sku not in demo.rejected,
                reason=demo.rejected.get(line.order_line.variant.sku, ""),
                restock=line.order_line.variant.sku not in demo.rejected,
            )
            for line in return_request.lines.select_related("order_line__variant")
        ]
        return_receive(return_request=return_request, lines=received, by=staff, now=next(day))
    if reached >= STAGES.index("paid"):
        pay(return_request.pk, staff)


def pay(return_id: int, staff: User) -> None:
    """As staff do it: pay the proposed refund, confirm the manual transfer; ship an exchange."""
    for refund in Refund.objects.filter(return_request_id=return_id, state=RefundState.PENDING):
        paid = refund_execute(refund=refund, by=staff)
        if paid.state == RefundState.PROCESSING:  # a manual payout: staff confirm the transfer
            refund_confirm(refund=paid, by=staff, reference=f"BANK-{paid.pk:06d}")
    replacement = Order.objects.filter(replacement_for_id=return_id, shipped_at__isnull=True).first()
    if replacement is not None:
        replacement_ship(order=replacement, tracking_number=f"00370712345{return_id:07d}", by=staff)


def next_weekday(now: dt.datetime) -> dt.date:
    day = now.date() + dt.timedelta(days=1)
    while day.weekday() >= 5:
        day += dt.timedelta(days=1)
    return day


def defect_photo(number: int) -> SimpleUploadedFile:
    """A small JPEG that looks like a photo of a product, drawn here so the demo needs no files."""
    image = Image.new("RGB", (640, 480), (232, 236, 240))
    draw = ImageDraw.Draw(image)
    draw.ellipse((220, 140, 420, 340), fill=(40, 44, 52))
    draw.ellipse((280, 200, 360, 280), fill=(90, 96, 108))
    draw.line((250, 170, 390, 310), fill=(200, 60, 60), width=6)  # the crack
    draw.text((24, 24), f"Photo {number}: crack on the charging contact", fill=(20, 20, 20))
    buffer = io.BytesIO()
    image.save(buffer, format="JPEG", quality=80)
    return SimpleUploadedFile(f"defect-{number}.jpg", buffer.getvalue(), content_type="image/jpeg")
