#!/usr/bin/env python3
"""Return labels per second: `render_label` against the same marks on a bare reportlab canvas.

    .venv/bin/python bench/labels.py [--labels 500] [--smoke]

Both sides draw every label of the same set (each with its own return number,
tracking number and QR payload, so nothing is reused between labels): the same
strings, the same Code 128 and QR drawing calls, the same boxes and rules, on a
canvas with the same settings, in one process. The bare side gets its strings
ready-made (translated, formatted, fitted) and its positions as constants; the
difference is what our layout code costs. Targets: >= 100 labels/s and a time
ratio (ours / bare) <= 1.5. --smoke draws five labels once each and judges nothing.
No database is touched.
"""

from __future__ import annotations

import datetime as dt
import io
import os
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "returns_portal.settings")
# Labels are drawn from plain data; a stray query meets an empty database instead of a real one.
os.environ["DATABASE_URL"] = "sqlite://:memory:"

import django

django.setup()

from reportlab.graphics.barcode import code128, qr  # noqa: E402
from reportlab.lib.pagesizes import A6  # noqa: E402
from reportlab.lib.units import mm  # noqa: E402
from reportlab.pdfgen.canvas import Canvas  # noqa: E402

from bench import cli  # noqa: E402
from returns.carriers import Address, BuiltinCarrier, ShipmentRequest  # noqa: E402
from returns.documents import LabelData, render_label  # noqa: E402
from returns.numbers import ALPHABET, PREFIX, check_character  # noqa: E402

TARGET_RATE, TARGET_RATIO = 100.0, 1.5
SENDER = ("Astrid Lindqvist", "Sveavägen 44", "113 46 Stockholm", "SE")
RECIPIENT = ("Nordväst Outfitters Returns", "Lagervägen 12", "136 50 Haninge", "Sweden")
SENDER_ADDRESS = Address("Astrid Lindqvist", "Sveavägen 44", "113 46", "Stockholm", "SE")
RECIPIENT_ADDRESS = Address("Nordväst Outfitters Returns", "Lagervägen 12", "136 50", "Haninge", "SE")


def labels(count: int) -> list[LabelData]:
    carrier = BuiltinCarrier()
    result = []
    for index in range(count):
        body = "".join(ALPHABET[(index * 7 + position * 13) % len(ALPHABET)] for position in range(5))
        body += ALPHABET[index % len(ALPHABET)]
        number = f"{PREFIX}{body}{check_character(body)}"
        shipment = carrier.create_shipment(
            ShipmentRequest(
                return_id=index + 1, return_number=number, sender=SENDER_ADDRESS, recipient=RECIPIENT_ADDRESS
            )
        )
        result.append(
            LabelData(
                return_number=number,
                tracking_number=shipment.tracking_number,
                qr_payload=shipment.qr_payload,
                order_number=f"NV-{10001 + index}",
                sender=SENDER,
                recipient=RECIPIENT,
                service="Returpaket · utlämningsställe",
                carrier=shipment.carrier,
                parcel_number=1,
                parcel_count=1,
                created_on=dt.date(2026, 11, 23),
                language="sv",
                shop_name="Nordväst Outfitters",
            )
        )
    return result


def bare_label(data: LabelData) -> bytes:
    """The marks `render_label` draws for an A6 label in Swedish, with nothing computed."""
    buffer = io.BytesIO()
    canvas = Canvas(buffer, pagesize=A6, pageCompression=1, lang="sv")
    canvas.setTitle(f"Returetikett {data.return_number}")
    canvas.setAuthor(data.shop_name)
    canvas.setSubject(f"Returetikett {data.return_number}")
    canvas.setCreator("Returns portal")
    canvas.setViewerPreference("PrintScaling", "None")
    top, left, right = A6[1], 5 * mm, A6[0] - 5 * mm

    def text(y: float, value: str, font: str = "Helvetica-Bold", size: float = 6.5, x: float = left) -> None:
        canvas.setFont(font, size)
        canvas.drawString(x, top - y * mm, value)

    text(10.5, data.carrier, size=13)
    canvas.setFont("Helvetica", 8)
    canvas.drawRightString(right, top - 10.5 * mm, data.shop_name)
    canvas.setLineWidth(1.2)
    canvas.line(left, top - 14 * mm, right, top - 14 * mm)
    text(19, "FRÅN")
    for index, line in enumerate(data.sender):
        text(22.7 + index * 3.6, line, "Helvetica-Bold" if index == 0 else "Helvetica", 8.5)
    canvas.setLineWidth(1.5)
    canvas.rect(left, top - 72 * mm, right - left, 33 * mm)
    text(43.5, "TILL", x=left + 3 * mm)
    for index, line in enumerate(data.recipient):
        text(48.4 + index * 5.1, line, "Helvetica-Bold" if index == 0 else "Helvetica", 12, x=left + 3 * mm)
    canvas.rect(0, top - 82 * mm, A6[0], 8 * mm, stroke=0, fill=1)
    canvas.setFillColorRGB(1, 1, 1)
    canvas.setFont("Helvetica-Bold", 11)
    canvas.drawCentredString(A6[0] / 2, top - 79.4 * mm, data.service.upper())
    canvas.setFillColorRGB(0, 0, 0)
    canvas.setFont("Helvetica-Bold", 6.5)
    canvas.drawCentredString(A6[0] / 2, top - 87 * mm, "RETURNUMMER")
    barcode = code128.Code128(data.return_number, barWidth=0.5 * mm, barHeight=20 * mm, quiet=False)
    barcode.drawOn(canvas, (A6[0] - barcode.width) / 2, top - 109 * mm)
    canvas.setFont("Helvetica-Bold", 13)
    canvas.drawCentredString(A6[0] / 2, top - 114 * mm, data.return_number)
    canvas.setLineWidth(0.6)
    canvas.line(left, top - 117 * mm, right, top - 117 * mm)
    qr.QrCode(data.qr_payload, width=30 * mm, height=30 * mm, qrLevel="M", qrBorder=4).drawOn(
        canvas, 3 * mm, top - 146.5 * mm
    )
    facts = (
        ("SPÅRNING", data.tracking_number),
        ("KOLLI", "1/1"),
        ("DATUM", "23 november 2026"),
        ("ORDER", data.order_number),
    )
    for index, (label, value) in enumerate(facts):
        x = left + 30 * mm + (index % 2) * 37 * mm
        text(123.5 + (index // 2) * 12, label, x=x)
        text(128.5 + (index // 2) * 12, value, size=10, x=x)
    canvas.showPage()
    canvas.save()
    return buffer.getvalue()


def seconds(render: Callable[[LabelData], bytes], batch: Sequence[LabelData]) -> float:
    start = time.perf_counter()
    for data in batch:
        render(data)
    return time.perf_counter() - start


def main() -> int:
    parser = cli.parser(__doc__)
    parser.add_argument("--labels", type=int, default=500)
    parser.add_argument("--rounds", type=int, default=3, help="best of this many rounds, each side alternately")
    options = parser.parse_args()
    if options.smoke:
        options.labels, options.rounds = 5, 1
    batch = labels(options.labels)
    for data in batch[:20]:  # warm up: imports, font metrics, translation catalogues
        render_label(data)
        bare_label(data)
    ours = bare = float("inf")
    for _round in range(options.rounds):
        ours = min(ours, seconds(render_label, batch))
        bare = min(bare, seconds(bare_label, batch))
    rate, bare_rate, ratio = len(batch) / ours, len(batch) / bare, ours / bare
    print(f"{len(batch)} A6 labels, best of {options.rounds} rounds, one process")
    print(f"render_label      {rate:8.1f} labels/s  ({ours / len(batch) * 1000:.2f} ms each)")
    print(f"bare canvas       {bare_rate:8.1f} labels/s  ({bare / len(batch) * 1000:.2f} ms each)")
    passed = rate >= TARGET_RATE and ratio <= TARGET_RATIO
    judged_by = f"ours/bare time (target <= {TARGET_RATIO}, and >= {TARGET_RATE:.0f} labels/s)"
    return cli.verdict(judged_by, ratio, passed=passed, smoke=options.smoke)


if __name__ == "__main__":
    sys.exit(main())
