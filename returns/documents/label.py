"""The return label: A6 like a carrier's, or the same A6 in a dashed cut-out frame at the top of an A4 sheet.

The layout is a fixed grid of boxes measured from the label's top edge, so
long data shrinks or is shortened inside its box and never pushes into the
barcode: FROM, TO (largest), the service band, the return number as Code 128,
then the QR code beside the tracking number, order, parcel and date.
"""

from __future__ import annotations

import datetime as dt
import io
from dataclasses import dataclass

from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import pgettext
from reportlab.lib.pagesizes import A4, A6
from reportlab.lib.units import mm
from reportlab.pdfgen.canvas import Canvas

from returns.documents.drawing import (
    BOLD,
    FONT,
    INK,
    MUTED,
    WHITE,
    draw_code128,
    draw_qr,
    draw_text,
    new_canvas,
)
from returns_portal.core.l10n import format_day

WIDTH, HEIGHT = A6
MARGIN = 5 * mm
INNER = WIDTH - 2 * MARGIN
QR_SIDE = 30 * mm


@dataclass(frozen=True)
class LabelData:
    return_number: str
    tracking_number: str
    qr_payload: str
    order_number: str
    sender: tuple[str, ...]
    recipient: tuple[str, ...]
    service: str  # already translated, e.g. "Return parcel · drop-off point"
    carrier: str
    parcel_number: int
    parcel_count: int
    created_on: dt.date
    language: str  # en, sv, fi, nb, da
    shop_name: str


def render_label(data: LabelData, *, page: str = "A6") -> bytes:
    """The label as a one-page PDF: "A6" for label printers, "A4" for office printers (cut it out)."""
    if page not in ("A6", "A4"):
        raise ValueError(f"A label is printed on A6 or A4, not {page!r}")
    buffer = io.BytesIO()
    with translation.override(data.language):
        title = _("Return label %(number)s") % {"number": data.return_number}
        canvas = new_canvas(buffer, A4 if page == "A4" else A6, title=title, author=data.shop_name, lang=data.language)
        # Printed at 100 %, the label keeps its size and the barcode its bar widths.
        canvas.setViewerPreference("PrintScaling", "None")
        if page == "A4":
            left, bottom = (A4[0] - WIDTH) / 2, A4[1] - HEIGHT - 15 * mm
            _draw_cut_out_frame(canvas, left, bottom)
            canvas.translate(left, bottom)
        _draw_label(canvas, data)
        canvas.showPage()
        canvas.save()
    return buffer.getvalue()


def _draw_cut_out_frame(canvas: Canvas, left: float, bottom: float) -> None:
    canvas.setStrokeColor(MUTED)
    canvas.setLineWidth(0.6)
    canvas.setDash(4, 3)
    canvas.rect(left - 2 * mm, bottom - 2 * mm, WIDTH + 4 * mm, HEIGHT + 4 * mm)
    canvas.setDash()
    canvas.setFillColor(INK)
    notes = (
        (BOLD, _("Cut along the dashed line and tape the label flat on the parcel.")),
        (FONT, _("Do not fold the label or put tape across the barcode or the QR code.")),
    )
    y = bottom - 9 * mm
    for font, note in notes:
        draw_text(canvas, 20 * mm, y, note, font, 9.5, A4[0] - 40 * mm, align="center")
        y -= 5 * mm


def _draw_label(canvas: Canvas, data: LabelData) -> None:
    """The A6 label with its lower left corner at the origin."""

    def y(mm_from_top: float) -> float:
        return HEIGHT - mm_from_top * mm

    canvas.setFillColor(INK)
    draw_text(canvas, MARGIN, y(10.5), data.carrier, BOLD, 13, INNER * 0.55)
    canvas.setFillColor(MUTED)
    draw_text(canvas, MARGIN + INNER * 0.55, y(10.5), data.shop_name, FONT, 8, INNER * 0.45, align="right")
    canvas.setStrokeColor(INK)
    canvas.setLineWidth(1.2)
    canvas.line(MARGIN, y(14), WIDTH - MARGIN, y(14))

    _draw_address(canvas, pgettext("label", "From"), data.sender, top=y(19), size=8.5, max_lines=4)
    canvas.setLineWidth(1.5)
    canvas.rect(MARGIN, y(72), INNER, 33 * mm)
    _draw_address(canvas, pgettext("label", "To"), data.recipient, top=y(43.5), size=12, max_lines=5, indent=3 * mm)

    canvas.setFillColor(INK)
    canvas.rect(0, y(82), WIDTH, 8 * mm, stroke=0, fill=1)
    canvas.setFillColor(WHITE)
    draw_text(canvas, MARGIN, y(79.4), data.service.upper(), BOLD, 11, INNER, align="center")

    canvas.setFillColor(MUTED)
    draw_text(canvas, MARGIN, y(87), pgettext("label", "Return number").upper(), BOLD, 6.5, INNER, align="center")
    draw_code128(canvas, data.return_number, MARGIN, y(109), INNER, 20 * mm)
    canvas.setFillColor(INK)
    draw_text(canvas, MARGIN, y(114), data.return_number, BOLD, 13, INNER, align="center")

    canvas.setLineWidth(0.6)
    canvas.line(MARGIN, y(117), WIDTH - MARGIN, y(117))
    draw_qr(canvas, data.qr_payload, MARGIN - 2 * mm, y(146.5), QR_SIDE)
    _draw_facts(canvas, data, left=MARGIN + QR_SIDE, top=y(123.5))


def _draw_address(
    canvas: Canvas,
    heading: str,
    address: tuple[str, ...],
    *,
    top: float,
    size: float,
    max_lines: int,
    indent: float = 0,
) -> None:
    """A small heading over the address, the name in bold, at most `max_lines` lines.

    Lines past the last are joined onto it, so the carrier sees them, shortened if they must be.
    """
    x, width = MARGIN + indent, INNER - 2 * indent
    canvas.setFillColor(MUTED)
    draw_text(canvas, x, top, heading.upper(), BOLD, 6.5, width)
    canvas.setFillColor(INK)
    if len(address) > max_lines:
        address = (*address[: max_lines - 1], ", ".join(address[max_lines - 1 :]))
    baseline = top - size - 2
    for index, line in enumerate(address):
        draw_text(canvas, x, baseline, line, BOLD if index == 0 else FONT, size, width)
        baseline -= size * 1.2


def _draw_facts(canvas: Canvas, data: LabelData, *, left: float, top: float) -> None:
    """The small print beside the QR code, in two columns."""
    facts = (
        (pgettext("label", "Tracking"), data.tracking_number),
        (pgettext("label", "Parcel"), f"{data.parcel_number}/{data.parcel_count}"),
        (pgettext("label", "Date"), format_day(data.created_on, data.language)),
        (pgettext("label", "Order"), data.order_number),
    )
    widths = ((WIDTH - MARGIN - left) * 0.58, (WIDTH - MARGIN - left) * 0.42)
    for index, (label, value) in enumerate(facts):
        x = left + (widths[0] if index % 2 else 0)
        baseline = top - (index // 2) * 12 * mm
        canvas.setFillColor(MUTED)
        draw_text(canvas, x, baseline, label.upper(), BOLD, 6.5, widths[index % 2] - 3 * mm)
        canvas.setFillColor(INK)
        draw_text(canvas, x, baseline - 5 * mm, value, BOLD, 10, widths[index % 2] - 3 * mm)
