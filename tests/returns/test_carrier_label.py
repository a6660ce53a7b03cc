"""The printed label, when the carrier issued its own: the carrier's pages, then our packing
instructions, in one PDF; the packing instructions name the chosen service point."""

from __future__ import annotations

import io

import pytest
from django.core.files.base import ContentFile
from django.test import Client
from django.urls import reverse
from pypdf import PdfReader
from reportlab.pdfgen.canvas import Canvas

from returns import access
from returns.documents.for_return import packing_pdf
from returns.models import ReturnRequest
from returns.services import LineRequest, return_create
from tests.factories import OrderFactory, OrderLineFactory
from tests.returns.test_label_free_status import POINT

pytestmark = pytest.mark.django_db


def carrier_label_pdf(pages: int) -> bytes:
    buffer = io.BytesIO()
    canvas = Canvas(buffer)
    for number in range(1, pages + 1):
        canvas.drawString(72, 720, f"POSTNORD RETURN LABEL {number}/{pages}")
        canvas.showPage()
    canvas.save()
    return buffer.getvalue()


def label_return(label: bytes = b"", method: str = "label") -> ReturnRequest:
    order = OrderFactory(language="en")
    OrderLineFactory(order=order, variant__product__name="Rain jacket")
    return_request = return_create(
        order=order,
        lines=[LineRequest(order.lines.get().id, 1, "too_big")],
        resolution="refund",
        method=method,
        service_point=POINT,
    )
    return_request.carrier, return_request.tracking_number = "PostNord", "00370712345678901234"
    if label:
        return_request.carrier_label.save("label.pdf", ContentFile(label), save=False)
    return_request.save()
    return return_request


def download_label(return_request: ReturnRequest) -> PdfReader:
    response = Client().get(reverse("returns:label", args=[access.status_token(return_request)]) + "?download=1")
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    return PdfReader(io.BytesIO(response.content))


def test_the_label_is_the_carriers_own_followed_by_our_packing_instructions() -> None:
    return_request = label_return(carrier_label_pdf(2))
    pdf = download_label(return_request)
    texts = [page.extract_text() for page in pdf.pages]
    assert len(texts) == 3
    assert "POSTNORD RETURN LABEL 1/2" in texts[0] and "POSTNORD RETURN LABEL 2/2" in texts[1]
    assert "Packing instructions" in texts[2] and "Rain jacket" in texts[2]


def test_without_a_carrier_label_the_portal_prints_its_own() -> None:
    pdf = download_label(label_return())
    assert len(pdf.pages) == 1
    assert "POSTNORD RETURN LABEL" not in pdf.pages[0].extract_text()


def test_a_damaged_carrier_label_still_gives_the_packing_instructions() -> None:
    pdf = download_label(label_return(b"%PDF-1.4 this is not really a pdf"))
    assert "Packing instructions" in "".join(page.extract_text() for page in pdf.pages)


def test_the_packing_instructions_name_the_chosen_point_and_its_hours() -> None:
    text = PdfReader(io.BytesIO(packing_pdf(label_return(method="qr")))).pages[0].extract_text()
    assert "Pressbyrån Odenplan, Odenplan 1, 113 22 Stockholm" in text.replace("\n", " ")
    assert "Mon–Fri 07:00–22:00" in text


def test_beside_the_carriers_label_our_code_does_not_claim_to_replace_it() -> None:
    packing = download_label(label_return(carrier_label_pdf(1))).pages[-1].extract_text()
    assert "No printer?" not in packing  # the carrier's service point scans the carrier's label
    assert "No printer?" in PdfReader(io.BytesIO(packing_pdf(label_return()))).pages[0].extract_text()
