"""The parcel's documents as PDF: the return label (A6, or A6 in a cut-out frame on A4) and the
packing instructions (A4). Pure functions of plain data, drawn with reportlab's canvas.

Helvetica is built into every PDF reader and covers the Nordic letters, so no
font files ship with the portal.
"""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Sequence
from dataclasses import dataclass

from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import pgettext
from reportlab.graphics import renderPDF
from reportlab.graphics.barcode import code128, qr
from reportlab.graphics.shapes import Drawing
from reportlab.lib.pagesizes import A4, A6
from reportlab.lib.units import mm
from reportlab.pdfbase.pdfmetrics import stringWidth
from reportlab.pdfgen.canvas import Canvas

from returns.l10n import format_day

FONT, BOLD = "Helvetica", "Helvetica-Bold"
INK = (0.1, 0.12, 0.16)


@dataclass(frozen=True)
class LabelData:
    return_number: str
    tracking_number: str
    qr_payload: str
    order_number: str
    sender: tuple[str, ...]
    recipient: tuple[str, ...]
    service: str
    carrier: str
    parcel_number: int
    parcel_count: int
    created_on: dt.date
    language: str
    shop_name: str


@dataclass(frozen=True)
class PackingItem:
    name: str
    option: str
    sku: str
    quantity: int


@dataclass(frozen=True)
class PackingData:
    return_number: str
    order_number: str
    items: tuple[PackingItem, ...]
    send_by: dt.date
    method: str
    drop_off: tuple[str, ...]
    language: str
    shop_name: str
    qr_payload: str


# --- Drawing helpers ---------------------------------------------------------------------------


def fit(text: str, font: str, size: float, width: float, smallest: float = 6) -> tuple[str, float]:
    """Shrink the font until `text` fits `width`; below `smallest`, cut it short with an ellipsis."""
    while size > smallest and stringWidth(text, font, size) > width:
        size -= 0.5
    while text and stringWidth(text, font, size) > width:
        text = text[:-2] + "…"
    return text, size


def write(canvas: Canvas, x: float, y: float, text: str, font: str, size: float, width: float) -> None:
    text, size = fit(text, font, size, width)
    canvas.setFont(font, size)
    canvas.drawString(x, y, text)


def lines_block(
    canvas: Canvas, x: float, top: float, heading: str, lines: Sequence[str], size: float, width: float
) -> float:
    """A small caps heading and address lines below it; returns the y under the block."""
    canvas.setFillColorRGB(0.35, 0.38, 0.42)
    write(canvas, x, top, heading.upper(), BOLD, 6.5, width)
    canvas.setFillColorRGB(*INK)
    y = top - size - 2
    for index, line in enumerate(lines[:5]):
        write(canvas, x, y, line, BOLD if index == 0 else FONT, size, width)
        y -= size + 1.5
    return y


def draw_qr(canvas: Canvas, payload: str, x: float, y: float, side: float) -> None:
    widget = qr.QrCodeWidget(payload, barLevel="M")
    left, bottom, right, top = widget.getBounds()
    drawing = Drawing(side, side, transform=[side / (right - left), 0, 0, side / (top - bottom), 0, 0])
    drawing.add(widget)
    renderPDF.draw(drawing, canvas, x, y)


def draw_code128(canvas: Canvas, value: str, x: float, y: float, width: float, height: float) -> None:
    """A Code 128 barcode centred in `width`, bars at least 0.33 mm wide so warehouse scanners read it."""
    probe = code128.Code128(value, barWidth=1, quiet=False)
    bar_width = max(0.33 * mm, min(0.6 * mm, width / probe.width))
    barcode = code128.Code128(value, barWidth=bar_width, barHeight=height, quiet=False)
    barcode.drawOn(canvas, x + (width - barcode.width) / 2, y)


# --- The label -------------------------------------------------------------------------------------


def draw_label(canvas: Canvas, data: LabelData, ox: float, oy: float) -> None:
    """The A6 label with its lower left corner at (ox, oy)."""
    width, height = A6
    margin = 6 * mm
    inner = width - 2 * margin
    top = oy + height - margin
    canvas.setFillColorRGB(*INK)
    write(canvas, ox + margin, top - 8, data.shop_name, BOLD, 9, inner * 0.6)
    canvas.setFont(FONT, 8)
    canvas.drawRightString(ox + width - margin, top - 8, data.carrier)
    canvas.setLineWidth(0.8)
    canvas.line(ox + margin, top - 13, ox + width - margin, top - 13)

    y = lines_block(canvas, ox + margin, top - 24, pgettext("label", "From"), data.sender, 8, inner)
    y = lines_block(canvas, ox + margin, y - 6, pgettext("label", "To"), data.recipient, 12, inner)

    band = y - 8 - 16
    canvas.rect(ox, band, width, 18, stroke=0, fill=1)
    canvas.setFillColorRGB(1, 1, 1)
    write(canvas, ox + margin, band + 5.5, data.service.upper(), BOLD, 10, inner)
    canvas.setFillColorRGB(*INK)

    bar_top = band - 8
    draw_code128(canvas, data.return_number, ox + margin, bar_top - 20 * mm, inner, 20 * mm)
    canvas.setFont(BOLD, 12)
    canvas.drawCentredString(ox + width / 2, bar_top - 20 * mm - 13, data.return_number)

    side = 27 * mm
    draw_qr(canvas, data.qr_payload, ox + margin - 2, oy + margin - 2, side)
    facts = [
        (pgettext("label", "Tracking"), data.tracking_number),
        (pgettext("label", "Order"), data.order_number),
        (pgettext("label", "Parcel"), f"{data.parcel_number}/{data.parcel_count}"),
        (pgettext("label", "Date"), format_day(data.created_on, data.language)),
    ]
    fx, fy = ox + margin + side + 4 * mm, oy + margin + side - 8
    for label, value in facts:
        canvas.setFillColorRGB(0.35, 0.38, 0.42)
        write(canvas, fx, fy, label, FONT, 6.5, 20 * mm)
        canvas.setFillColorRGB(*INK)
        write(canvas, fx + 17 * mm, fy, value, BOLD, 8, width - margin - fx + ox - 17 * mm)
        fy -= 6.5 * mm / 1.1


def render_label(data: LabelData, *, page: str = "A6") -> bytes:
    """The label as a PDF: A6 for label printers, or A4 with the label in a dashed cut-out frame."""
    buffer = io.BytesIO()
    with translation.override(data.language):
        canvas = Canvas(buffer, pagesize=A4 if page == "A4" else A6, pageCompression=1)
        canvas.setTitle(_("Return label %(number)s") % {"number": data.return_number})
        canvas.setAuthor(data.shop_name)
        if page == "A4":
            ox, oy = (A4[0] - A6[0]) / 2, A4[1] - A6[1] - 18 * mm
            canvas.setDash(4, 3)
            canvas.setLineWidth(0.7)
            canvas.rect(ox, oy, A6[0], A6[1])
            canvas.setDash()
            canvas.setFont(FONT, 9)
            canvas.drawCentredString(
                A4[0] / 2, oy - 7 * mm, _("Cut along the dashed line and tape the label flat on the parcel.")
            )
            draw_label(canvas, data, ox, oy)
        else:
            draw_label(canvas, data, 0, 0)
        canvas.showPage()
        canvas.save()
    return buffer.getvalue()


# --- Packing instructions ------------------------------------------------------------------------------


def render_packing_instructions(data: PackingData) -> bytes:
    buffer = io.BytesIO()
    width, height = A4
    margin = 20 * mm
    with translation.override(data.language):
        canvas = Canvas(buffer, pagesize=A4, pageCompression=1)
        canvas.setTitle(_("Packing instructions %(number)s") % {"number": data.return_number})
        canvas.setAuthor(data.shop_name)
        canvas.setFillColorRGB(*INK)
        y = height - margin
        write(canvas, margin, y, data.shop_name, FONT, 10, width / 2)
        y -= 14 * mm
        write(canvas, margin, y, _("Packing instructions"), BOLD, 22, width - 2 * margin - 40 * mm)
        y -= 9 * mm
        canvas.setFont(FONT, 11)
        canvas.drawString(
            margin,
            y,
            _("Return %(number)s · order %(order)s") % {"number": data.return_number, "order": data.order_number},
        )
        draw_qr(
            canvas, data.qr_payload or data.return_number, width - margin - 34 * mm, height - margin - 36 * mm, 34 * mm
        )
        y -= 9 * mm
        canvas.setFont(BOLD, 12)
        canvas.drawString(margin, y, _("Send by %(day)s") % {"day": format_day(data.send_by, data.language)})
        y = section(canvas, margin, y - 12 * mm, _("Put these in the parcel"), width - 2 * margin)
        for item in data.items:
            canvas.setFont(BOLD, 11)
            canvas.drawString(margin, y, f"{item.quantity} ×")
            name = f"{item.name} · {item.option}" if item.option else item.name
            write(canvas, margin + 12 * mm, y, name, FONT, 11, width - 2 * margin - 50 * mm)
            canvas.setFont(FONT, 9)
            canvas.drawRightString(width - margin, y, item.sku)
            y -= 7 * mm
            if y < 90 * mm:
                break  # a return of more than ~15 lines lists the rest on the status page
        steps = [
            _("Use the original packaging if you still have it, or a sturdy box or bag."),
            _("Remove or cover old labels and barcodes."),
            _("Seal the parcel well."),
            _("Stick the label on the largest side, flat and fully visible."),
        ]
        y = section(canvas, margin, y - 6 * mm, _("How to pack"), width - 2 * margin)
        for number, step in enumerate(steps, start=1):
            write(canvas, margin, y, f"{number}.  {step}", FONT, 11, width - 2 * margin)
            y -= 7 * mm
        y = section(canvas, margin, y - 6 * mm, data.method, width - 2 * margin)
        for line in data.drop_off:
            write(canvas, margin, y, line, FONT, 11, width - 2 * margin)
            y -= 7 * mm
        canvas.showPage()
        canvas.save()
    return buffer.getvalue()


def section(canvas: Canvas, x: float, y: float, title: str, width: float) -> float:
    canvas.setFont(BOLD, 13)
    canvas.drawString(x, y, title)
    canvas.setLineWidth(0.6)
    canvas.line(x, y - 2.5 * mm, x + width, y - 2.5 * mm)
    return y - 10 * mm
