"""Packing instructions on A4: what goes in the parcel, how to pack it, by when, and where to hand it in.

Laid out with platypus, so long item names wrap and a long return flows onto
a second page with the table's header repeated.
"""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Callable
from dataclasses import dataclass
from xml.sax.saxutils import escape

from django.utils import translation
from django.utils.translation import gettext as _
from reportlab.lib.enums import TA_CENTER
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import (
    Flowable,
    Image,
    KeepTogether,
    Paragraph,
    SimpleDocTemplate,
    Spacer,
    Table,
    TableStyle,
)
from reportlab.platypus.doctemplate import BaseDocTemplate

from returns.documents.drawing import BOLD, CREATOR, FONT, INK, MUTED, draw_qr, draw_text, printable
from returns_portal.core.l10n import format_day

MARGIN = 18 * mm
CONTENT_WIDTH = A4[0] - 2 * MARGIN
QR_COLUMN = 50 * mm
SHADE = (0.94, 0.95, 0.96)
RULE = (0.8, 0.82, 0.85)

BODY = ParagraphStyle("body", fontName=FONT, fontSize=10.5, leading=14.5, textColor=INK)
SMALL = ParagraphStyle("small", BODY, fontSize=8.5, leading=11, textColor=MUTED)
CAPTION = ParagraphStyle("caption", SMALL, alignment=TA_CENTER)
NUMBER = ParagraphStyle("number", CAPTION, fontName=BOLD, fontSize=12, leading=15, textColor=INK, spaceBefore=1 * mm)
SHOP = ParagraphStyle("shop", BODY, fontName=BOLD, fontSize=9, textColor=MUTED)
TITLE = ParagraphStyle("title", BODY, fontName=BOLD, fontSize=24, leading=29, spaceBefore=3 * mm)
DEADLINE = ParagraphStyle("deadline", BODY, fontName=BOLD, fontSize=15, leading=19)
HEADING = ParagraphStyle("heading", BODY, fontName=BOLD, fontSize=13, leading=16, spaceBefore=8 * mm, spaceAfter=3 * mm)
STEP = ParagraphStyle("step", BODY, leftIndent=7 * mm, spaceAfter=1.5 * mm)


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
    method: str  # already translated
    drop_off: tuple[str, ...]  # already translated: where and how to hand the parcel in
    language: str
    shop_name: str
    qr_payload: str
    pickup_on: dt.date | None = None  # a home pickup: the carrier comes that day, no label, no drop-off point
    # Whether the code can stand in for a printed label; not beside a carrier's own label, which is what
    # its service points scan.
    printerless: bool = True
    # The carrier's own picture of its label-free code (PNG): shown as it came instead of drawing
    # `qr_payload`, because the carrier's scanners read its code, whose content is the carrier's.
    qr_image: bytes = b""


def render_packing_instructions(data: PackingData) -> bytes:
    buffer = io.BytesIO()
    with translation.override(data.language):
        title = _("Packing instructions %(number)s") % {"number": data.return_number}
        document = SimpleDocTemplate(
            buffer,
            pagesize=A4,
            # The frame pads its content by 6 pt: text and tables then start at MARGIN.
            leftMargin=MARGIN - 6,
            rightMargin=MARGIN - 6,
            topMargin=MARGIN - 6,
            bottomMargin=MARGIN + 8 * mm - 6,
            title=title,
            author=data.shop_name,
            subject=title,
            creator=CREATOR,
            lang=data.language,
            pageCompression=1,
        )
        footer = _footer(data)
        document.build(_story(data), onFirstPage=footer, onLaterPages=footer)
    return buffer.getvalue()


def text(value: str) -> str:
    """Data made safe for a Paragraph's markup and for Helvetica."""
    return escape(printable(value))


def _story(data: PackingData) -> list[Flowable]:
    steps = [
        _("Use the original packaging if you still have it, or a sturdy box or bag."),
        _("Remove or cover old labels and barcodes."),
        _("Seal the parcel well."),
    ]
    if data.pickup_on is None:
        steps.append(_("Stick the label on the largest side, flat and fully visible."))
    receipt = [] if data.pickup_on else [
        Spacer(1, 2 * mm),
        Paragraph(text(_("Keep the receipt from the drop-off point until your refund has arrived.")), SMALL),
    ]  # fmt: skip
    return [
        _header(data),
        Paragraph(_("Put these in the parcel"), HEADING),
        _items_table(data.items),
        KeepTogether(
            [
                Paragraph(_("How to pack"), HEADING),
                *(Paragraph(text(step), STEP, bulletText=f"{number}.") for number, step in enumerate(steps, start=1)),
            ]
        ),
        KeepTogether(
            [
                Paragraph(_("Hand in the parcel"), HEADING),
                *(Paragraph(text(line), STEP, bulletText="•") for line in data.drop_off),
                *receipt,
            ]
        ),
    ]


def _header(data: PackingData) -> Table:
    """Title, return and deadline on the left; the QR code for drop-off without a printer on the right."""
    if data.pickup_on is not None:
        headline = _("Pickup on %(day)s") % {"day": format_day(data.pickup_on, data.language)}
    else:
        headline = _("Send by %(day)s") % {"day": format_day(data.send_by, data.language)}
    deadline = Table(
        [
            [Paragraph(text(headline), DEADLINE)],
            [Paragraph(text(data.method), BODY)],
        ],
        colWidths=[CONTENT_WIDTH - QR_COLUMN - 6 * mm],
        style=TableStyle(
            [
                ("BACKGROUND", (0, 0), (-1, -1), SHADE),
                ("LINEBEFORE", (0, 0), (0, -1), 3, INK),
                ("LEFTPADDING", (0, 0), (-1, -1), 4 * mm),
                ("TOPPADDING", (0, 0), (-1, 0), 3 * mm),
                ("BOTTOMPADDING", (0, -1), (-1, -1), 3 * mm),
            ]
        ),
    )
    subtitle = _("Return %(number)s · order %(order)s") % {"number": data.return_number, "order": data.order_number}
    left = [
        Paragraph(text(data.shop_name).upper(), SHOP),
        Paragraph(_("Packing instructions"), TITLE),
        Paragraph(text(subtitle), BODY),
        Spacer(1, 6 * mm),
        deadline,
    ]
    right = [
        _code(data, 38 * mm),
        Paragraph(text(data.return_number), NUMBER),
    ]
    if data.pickup_on is None and data.printerless:
        right.append(
            Paragraph(text(_("No printer? Show this code on your phone when you hand in the parcel.")), CAPTION)
        )
    return Table(
        [[left, right]],
        colWidths=[CONTENT_WIDTH - QR_COLUMN, QR_COLUMN],
        style=TableStyle([("VALIGN", (0, 0), (-1, -1), "TOP"), ("LEFTPADDING", (0, 0), (-1, -1), 0)]),
    )


def _items_table(items: tuple[PackingItem, ...]) -> Table:
    """One row per item with a box to tick while packing; the header repeats on every page."""
    rows: list[list[object]] = [["", _("Qty"), _("Item"), _("Article no.")]]
    for item in items:
        option = f'<br/><font color="{MUTED.hexval()}">{text(item.option)}</font>' if item.option else ""
        rows.append(
            [
                CheckBox(),
                Paragraph(f"<b>{item.quantity} ×</b>", BODY),
                Paragraph(f"<b>{text(item.name)}</b>{option}", BODY),
                Paragraph(text(item.sku), SMALL),
            ]
        )
    return Table(
        rows,
        colWidths=[9 * mm, 16 * mm, CONTENT_WIDTH - 65 * mm, 40 * mm],
        repeatRows=1,
        style=TableStyle(
            [
                ("FONT", (0, 0), (-1, 0), BOLD, 8.5),
                ("TEXTCOLOR", (0, 0), (-1, 0), MUTED),
                ("LINEBELOW", (0, 0), (-1, 0), 1, INK),
                ("LINEBELOW", (0, 1), (-1, -1), 0.5, RULE),
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
                ("TOPPADDING", (0, 1), (-1, -1), 2.5 * mm),
                ("BOTTOMPADDING", (0, 1), (-1, -1), 2.5 * mm),
                ("LEFTPADDING", (0, 0), (0, -1), 0),
            ]
        ),
    )


def _footer(data: PackingData) -> Callable[[Canvas, BaseDocTemplate], None]:
    line = f"{data.shop_name} · " + _("Return %(number)s · order %(order)s") % {
        "number": data.return_number,
        "order": data.order_number,
    }

    def draw(canvas: Canvas, document: BaseDocTemplate) -> None:
        canvas.saveState()
        canvas.setStrokeColorRGB(*RULE)
        canvas.setLineWidth(0.5)
        canvas.line(MARGIN, MARGIN, A4[0] - MARGIN, MARGIN)
        canvas.setFillColor(MUTED)
        draw_text(canvas, MARGIN, MARGIN - 4.5 * mm, line, FONT, 8, CONTENT_WIDTH - 20 * mm)
        draw_text(canvas, MARGIN, MARGIN - 4.5 * mm, str(document.page), FONT, 8, CONTENT_WIDTH, align="right")
        canvas.restoreState()

    return draw


def _code(data: PackingData, side: float) -> Flowable:
    if data.qr_image:
        picture = Image(io.BytesIO(data.qr_image), width=side, height=side)
        picture.hAlign = "CENTER"
        return picture
    return QrFlowable(data.qr_payload or data.return_number, side)


class QrFlowable(Flowable):
    def __init__(self, payload: str, side: float) -> None:
        super().__init__()
        self.payload, self.width, self.height = payload, side, side
        self.hAlign = "CENTER"

    def draw(self) -> None:
        draw_qr(self.canv, self.payload, 0, 0, self.width)


class CheckBox(Flowable):
    """An empty square to tick, the height of a line of text."""

    side = 3.6 * mm
    width = height = 4 * mm

    def draw(self) -> None:
        self.canv.setStrokeColor(INK)
        self.canv.setLineWidth(0.8)
        self.canv.rect(0, self.height - self.side - 0.2 * mm, self.side, self.side)
