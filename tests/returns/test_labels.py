"""The label and packing instructions: read back as text, and the codes scanned from a rendered image."""

from __future__ import annotations

import datetime as dt
import io
import shutil
import subprocess
from pathlib import Path

import pytest
from django.utils import translation
from django.utils.translation import gettext
from PIL import Image
from pypdf import PdfReader

from returns.labels import LabelData, PackingData, PackingItem, render_label, render_packing_instructions
from tests.conftest import REQUIRE_SERVICES

LABEL = LabelData(
    return_number="R-7K3P9QX",
    tracking_number="RR000012345SE",
    qr_payload="RETURN:R-7K3P9QX;TRACK:RR000012345SE",
    order_number="NV-10001",
    sender=("Astrid Lindqvist", "Sveavägen 44", "113 46 Stockholm", "SE"),
    recipient=("Nordväst Outfitters Returns", "Lagervägen 12", "136 50 Haninge", "Sweden"),
    service="Return parcel · printed label",
    carrier="Portal Post",
    parcel_number=1,
    parcel_count=1,
    created_on=dt.date(2026, 11, 23),
    language="sv",
    shop_name="Nordväst Outfitters",
)


def text_of(pdf: bytes) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)


def scan(pdf: bytes, tmp_path: Path) -> dict[str, str]:
    """Render at 300 dpi like a printer would, then read every code on the page."""
    if not shutil.which("pdftoppm"):
        if REQUIRE_SERVICES:
            pytest.fail("pdftoppm is required (apt-get install poppler-utils)")
        pytest.skip("pdftoppm not installed (apt-get install poppler-utils)")
    zxingcpp = pytest.importorskip("zxingcpp")
    (tmp_path / "label.pdf").write_bytes(pdf)
    subprocess.run(["pdftoppm", "-png", "-r", "300", "-singlefile", "label.pdf", "label"], cwd=tmp_path, check=True)
    codes = zxingcpp.read_barcodes(Image.open(tmp_path / "label.png"))
    return {code.format.name: code.text for code in codes}


@pytest.mark.parametrize("page", ["A6", "A4"])
def test_the_barcode_and_qr_code_scan_back_to_the_return(page: str, tmp_path: Path) -> None:
    codes = scan(render_label(LABEL, page=page), tmp_path)
    assert codes == {"Code128": "R-7K3P9QX", "QRCode": "RETURN:R-7K3P9QX;TRACK:RR000012345SE"}


def test_the_label_says_who_sends_what_to_whom_in_the_customers_language() -> None:
    pdf = render_label(LABEL)
    text = text_of(pdf)
    for expected in ("R-7K3P9QX", "RR000012345SE", "NV-10001", "Astrid Lindqvist", "136 50 Haninge", "1/1"):
        assert expected in text
    assert "23 november 2026" in text  # Swedish date
    with translation.override("sv"):
        assert translation.pgettext("label", "Tracking") in text
    page = PdfReader(io.BytesIO(pdf)).pages[0]
    assert (round(float(page.mediabox.width)), round(float(page.mediabox.height))) == (298, 420)  # A6 in points


def test_a_very_long_address_line_is_shortened_not_spilled() -> None:
    long_name = LabelData(**{**LABEL.__dict__, "sender": ("Maximiliana " * 12, "Street 1", "11122 Town", "SE")})
    text = text_of(render_label(long_name))
    assert "…" in text
    assert "Maximiliana " * 12 not in text


def test_packing_instructions_list_every_item_and_the_deadline() -> None:
    data = PackingData(
        return_number="R-7K3P9QX",
        order_number="NV-10001",
        items=(
            PackingItem("Rain jacket Fjäll", "M / Navy", "RJF-M-NVY", 1),
            PackingItem("Merino base layer", "S", "MBL-S", 2),
        ),
        send_by=dt.date(2026, 12, 7),
        method="Printable label",
        drop_off=("Hand it in at any parcel shop.",),
        language="fi",
        shop_name="Nordväst Outfitters",
        qr_payload=LABEL.qr_payload,
    )
    text = text_of(render_packing_instructions(data))
    assert "Rain jacket Fjäll · M / Navy" in text
    assert "Merino base layer · S" in text
    assert "1 ×" in text and "2 ×" in text
    assert "7. joulukuuta 2026" in text  # Finnish date
    with translation.override("fi"):
        assert gettext("Seal the parcel well.") in text
