"""What both documents draw with: text that fits and prints, the Code 128 barcode and the QR code."""

from __future__ import annotations

import io
import unicodedata

from reportlab.graphics.barcode import code128, qr
from reportlab.lib.colors import Color
from reportlab.lib.units import mm
from reportlab.pdfbase.pdfmetrics import stringWidth
from reportlab.pdfgen.canvas import Canvas

FONT, BOLD = "Helvetica", "Helvetica-Bold"
INK = Color(0.07, 0.08, 0.1)
MUTED = Color(0.36, 0.38, 0.42)
WHITE = Color(1, 1, 1)
ELLIPSIS = "…"
CREATOR = "Returns portal"

# Letters of Sámi and neighbours that Helvetica's WinAnsi encoding lacks and that have no accent to drop.
_BASE_LETTERS = str.maketrans({"đ": "d", "Đ": "D", "ł": "l", "Ł": "L", "ŋ": "n", "Ŋ": "N", "ŧ": "t", "Ŧ": "T"})


def printable(text: str) -> str:
    """`text` on one line in characters Helvetica can print: ``Čađa`` becomes ``Cada``, not black boxes."""
    text = " ".join(text.split())
    if _in_winansi(text):
        return text
    return "".join(char if _in_winansi(char) else _nearest(char) for char in text.translate(_BASE_LETTERS))


def _in_winansi(text: str) -> bool:
    try:
        text.encode("cp1252")
    except UnicodeEncodeError:
        return False
    return True


def _nearest(char: str) -> str:
    return unicodedata.normalize("NFKD", char).encode("cp1252", "ignore").decode("cp1252") or "?"


def fit(text: str, font: str, size: float, width: float, smallest: float = 6.5) -> tuple[str, float]:
    """`text` and a font size at which it fits `width`: shrunk down to `smallest`, then cut short with "…"."""
    text = printable(text)
    natural = stringWidth(text, font, size)
    if natural <= width:
        return text, size
    size = max(smallest, size * width / natural - 0.05)
    if stringWidth(text, font, size) <= width:
        return text, size
    while text and stringWidth(text + ELLIPSIS, font, size) > width:
        text = text[:-1]
    return text.rstrip() + ELLIPSIS, size


def draw_text(
    canvas: Canvas, x: float, y: float, text: str, font: str, size: float, width: float, *, align: str = "left"
) -> None:
    """One line of text within `width` from `x` (or centred in it, or ending at its right edge)."""
    text, size = fit(text, font, size, width)
    canvas.setFont(font, size)
    if align == "center":
        canvas.drawCentredString(x + width / 2, y, text)
    elif align == "right":
        canvas.drawRightString(x + width, y, text)
    else:
        canvas.drawString(x, y, text)


def draw_code128(canvas: Canvas, value: str, x: float, y: float, width: float, height: float) -> None:
    """A Code 128 barcode centred in `width`, with room for its quiet zones (10 bar widths each side).

    Bars are 0.5 mm wide when they fit: 4 dots on a 203 dpi label printer, easy for any warehouse scanner.
    """
    modules = code128.Code128(value, barWidth=1, quiet=False).width
    bar_width = min(0.5 * mm, width / (modules + 20))
    barcode = code128.Code128(value, barWidth=bar_width, barHeight=height, quiet=False)
    canvas.setFillColor(INK)
    barcode.drawOn(canvas, x + (width - barcode.width) / 2, y)


def draw_qr(canvas: Canvas, payload: str, x: float, y: float, side: float) -> None:
    """A QR code filling the square `side` wide at (x, y), its 4-module quiet zone included.

    Level M survives a scuffed corner (15 % of the code) without growing a size.
    """
    canvas.setFillColor(INK)
    qr.QrCode(payload, width=side, height=side, qrLevel="M", qrBorder=4).drawOn(canvas, x, y)


def new_canvas(buffer: io.BytesIO, pagesize: tuple[float, float], *, title: str, author: str, lang: str) -> Canvas:
    canvas = Canvas(buffer, pagesize=pagesize, pageCompression=1, lang=lang)
    canvas.setTitle(title)
    canvas.setAuthor(author)
    canvas.setSubject(title)
    canvas.setCreator(CREATOR)
    return canvas
