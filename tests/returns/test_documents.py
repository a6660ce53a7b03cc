"""The label and the packing instructions: read back as text, measured, and scanned like a printer would print them."""

from __future__ import annotations

import dataclasses
import datetime as dt
import io
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
from django.utils import translation
from PIL import Image
from pypdf import PdfReader
from reportlab.lib.units import mm
from reportlab.pdfbase.pdfmetrics import stringWidth

from returns.documents import LabelData, PackingData, PackingItem, render_label, render_packing_instructions
from returns_portal.core.l10n import format_day
from tests.conftest import REQUIRE_SERVICES

LABEL = LabelData(
    return_number="R-7K3P9QX",
    tracking_number="CR000012345SE",
    qr_payload="RETURN:R-7K3P9QX/TRACK:CR000012345SE",
    order_number="NV-10001",
    sender=("Astrid Lindqvist", "Sveavägen 44", "113 46 Stockholm", "SE"),
    recipient=("Nordväst Outfitters Returns", "Lagervägen 12", "136 50 Haninge", "Sweden"),
    service="Returpaket · utlämningsställe",
    carrier="Portal Post",
    parcel_number=1,
    parcel_count=1,
    created_on=dt.date(2026, 11, 23),
    language="sv",
    shop_name="Nordväst Outfitters",
)
PACKING = PackingData(
    return_number="R-7K3P9QX",
    order_number="NV-10001",
    items=(
        PackingItem("Rain jacket Fjäll", "M / Navy", "RJF-M-NVY", 1),
        PackingItem("Merino base layer", "S", "MBL-S", 2),
        PackingItem("Wool socks", "", "WS-3PK", 3),
    ),
    send_by=dt.date(2026, 12, 7),
    method="Tulostettava osoitekortti",
    drop_off=("Vie paketti mihin tahansa pakettipisteeseen.", "Ota kuitti talteen."),
    language="fi",
    shop_name="Nordväst Outfitters",
    qr_payload="RETURN:R-7K3P9QX/TRACK:CR000012345SE",
)
A6_POINTS, A4_POINTS = (298, 420), (595, 842)


def pages(pdf: bytes) -> list[Any]:
    return list(PdfReader(io.BytesIO(pdf)).pages)


def text_of(pdf: bytes, *, layout: bool = False) -> str:
    mode = "layout" if layout else "plain"
    return "\n".join(page.extract_text(extraction_mode=mode) for page in pages(pdf))


def text_runs(pdf: bytes) -> list[tuple[str, float, float]]:
    """Every line of text on the pages as (text, left edge, right edge) in points."""
    runs = []

    def visit(text: str, cm: list[float], tm: list[float], font: Any, size: float) -> None:
        text = text.strip()
        if text and font:
            left = cm[0] * tm[4] + cm[4]
            runs.append((text, left, left + stringWidth(text, font["/BaseFont"][1:], size)))

    for page in pages(pdf):
        page.extract_text(visitor_text=visit)
    return runs


def scan(pdf: bytes, tmp_path: Path) -> dict[str, str]:
    """Print the first page at 300 dpi, then read every code on it: {format: text}."""
    if not shutil.which("pdftoppm"):
        if REQUIRE_SERVICES:
            pytest.fail("pdftoppm is required (REQUIRE_SERVICES=1): apt-get install poppler-utils")
        pytest.skip("pdftoppm not installed (apt-get install poppler-utils); the codes are not scanned")
    zxingcpp = pytest.importorskip("zxingcpp", reason="zxing-cpp not installed (pip install zxing-cpp)")
    (tmp_path / "document.pdf").write_bytes(pdf)
    subprocess.run(
        ["pdftoppm", "-png", "-r", "300", "-f", "1", "-l", "1", "-singlefile", "document.pdf", "page"],
        cwd=tmp_path,
        check=True,
    )
    codes = zxingcpp.read_barcodes(Image.open(tmp_path / "page.png"))
    return {code.format.name: code.text for code in codes}


# --- The label ---------------------------------------------------------------------------------


@pytest.mark.parametrize("page", ["A6", "A4"])
def test_the_barcode_reads_the_return_number_and_the_qr_code_the_payload(page: str, tmp_path: Path) -> None:
    assert scan(render_label(LABEL, page=page), tmp_path) == {
        "Code128": LABEL.return_number,
        "QRCode": LABEL.qr_payload,
    }


def test_a_carriers_own_qr_payload_is_printed_as_it_is(tmp_path: Path) -> None:
    label = dataclasses.replace(LABEL, qr_payload="https://track.example/r/R-7K3P9QX?s=Ab9;x")
    assert scan(render_label(label), tmp_path)["QRCode"] == label.qr_payload


def test_the_label_says_who_sends_what_to_whom() -> None:
    text = text_of(render_label(LABEL))
    for expected in (
        LABEL.return_number,
        LABEL.tracking_number,
        LABEL.order_number,
        *LABEL.sender,
        *LABEL.recipient,
        LABEL.service.upper(),
        LABEL.carrier,
        "1/1",
    ):
        assert expected in text


def test_the_label_speaks_the_customers_language() -> None:
    text = text_of(render_label(LABEL))
    assert format_day(LABEL.created_on, "sv") in text
    with translation.override("sv"):
        for word in ("From", "To", "Tracking", "Order", "Parcel", "Date"):
            assert translation.pgettext("label", word).upper() in text


@pytest.mark.parametrize(("page", "size"), [("A6", A6_POINTS), ("A4", A4_POINTS)])
def test_the_label_is_one_page_of_its_paper_size_with_a_title(page: str, size: tuple[int, int]) -> None:
    reader = PdfReader(io.BytesIO(render_label(LABEL, page=page)))
    assert len(reader.pages) == 1
    box = reader.pages[0].mediabox
    assert (round(float(box.width)), round(float(box.height))) == size
    assert reader.metadata is not None
    assert LABEL.return_number in (reader.metadata.title or "")
    assert reader.metadata.author == LABEL.shop_name


def test_the_a4_sheet_says_how_to_cut_out_the_label() -> None:
    a4, a6 = text_of(render_label(LABEL, page="A4")), text_of(render_label(LABEL))
    assert len(a4.splitlines()) > len(a6.splitlines())
    assert LABEL.return_number in a4


def test_a_paper_size_other_than_a6_or_a4_is_refused() -> None:
    with pytest.raises(ValueError, match="A6 or A4"):
        render_label(LABEL, page="Letter")


def test_a_very_long_address_line_is_shortened_inside_the_label_not_spilled() -> None:
    long_name = "Maximiliana Charlotta Augusta von Bredow-Lindqvist-Haraldsdottir"
    long_street = "Gamle Kongevei 124B, 3. etasje, leilighet H0304, inngang fra bakgården ved siden av garasjen"
    label = dataclasses.replace(
        LABEL,
        sender=(long_name, long_street, "9730 Karasjok", "NO"),
        recipient=(long_name, "c/o Lagerlogistik", "Lagervägen 12", "Port 7", "136 50 Haninge", "Sweden"),
    )
    pdf = render_label(label)
    runs = text_runs(pdf)
    assert runs
    for text, left, right in runs:
        assert left >= 5 * mm - 0.5 and right <= A6_POINTS[0] - 5 * mm + 0.5, text
    text = text_of(pdf)
    assert "…" in text and long_street not in text
    assert "136 50 Haninge, Sweden" in text  # lines past the box's last are joined onto it, not dropped


def test_letters_helvetica_cannot_print_are_written_without_their_accents() -> None:
    label = dataclasses.replace(LABEL, sender=("Máret Čađa", "Ŋuorggamvegen 3", "9730 Kárášjohka", "NO"))
    text = text_of(render_label(label))
    assert "Máret Cada" in text and "Nuorggamvegen 3" in text and "9730 Kárášjohka" in text


# --- Packing instructions ----------------------------------------------------------------------


def test_packing_instructions_list_every_item_with_its_quantity_and_the_deadline() -> None:
    pdf = render_packing_instructions(PACKING)
    rows = text_of(pdf, layout=True).splitlines()
    for item in PACKING.items:
        (row,) = (row for row in rows if item.name in row)
        assert f"{item.quantity} ×" in row and item.sku in row
        assert item.option in text_of(pdf)
    text = text_of(pdf)
    assert format_day(PACKING.send_by, "fi") in text
    for expected in (PACKING.return_number, PACKING.order_number, PACKING.method, *PACKING.drop_off):
        assert expected in text


def test_packing_instructions_are_a4_in_the_customers_language(tmp_path: Path) -> None:
    pdf = render_packing_instructions(PACKING)
    reader = PdfReader(io.BytesIO(pdf))
    box = reader.pages[0].mediabox
    assert (round(float(box.width)), round(float(box.height))) == A4_POINTS
    assert reader.metadata is not None and PACKING.return_number in (reader.metadata.title or "")
    with translation.override("fi"):
        assert translation.gettext("Seal the parcel well.") in text_of(pdf)


def test_the_packing_qr_code_is_for_drop_off_without_a_printer(tmp_path: Path) -> None:
    assert scan(render_packing_instructions(PACKING), tmp_path) == {"QRCode": PACKING.qr_payload}


def test_long_item_names_wrap_and_a_long_return_flows_onto_more_pages() -> None:
    name = "Wool socks for hiking, extra thick, with a reinforced heel and toe, in a pack of three pairs"
    items = tuple(PackingItem(f"{name} {index}", "39–42 / Grey", f"WSH-{index:04d}", 1) for index in range(30))
    pdf = render_packing_instructions(dataclasses.replace(PACKING, items=items))
    assert len(pages(pdf)) > 1
    for text, left, right in text_runs(pdf):
        assert left >= 18 * mm - 0.5 and right <= A4_POINTS[0] - 18 * mm + 0.5, text
    text = " ".join(text_of(pdf).split())
    assert all(f"{name} {index}" in text for index in range(30))


def test_markup_in_shop_data_is_printed_not_interpreted() -> None:
    data = dataclasses.replace(PACKING, items=(PackingItem("Tee <b>& Co</b>", "", "T&1", 1),), qr_payload="")
    text = text_of(render_packing_instructions(data))
    assert "Tee <b>& Co</b>" in text and "T&1" in text
