"""The carrier's own picture of a label-free code: kept when the carrier books (once, even when two
bookings race), served behind the status link, shown on the status page instead of the portal's
drawing of the code, and deleted when the return is erased."""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Callable
from typing import Any

import pytest
from django.core.files.storage import default_storage
from django.db import connection, transaction
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from PIL import Image
from pypdf import PdfReader

from returns import access
from returns.carriers import CarrierUnavailable
from returns.models import ReturnPolicy, ReturnRequest
from returns.services import return_ensure_shipment
from returns_portal.privacy.models import Why
from returns_portal.privacy.services import erase_returns
from tests.conftest import ObjectStore
from tests.returns.carrier_doubles import ScriptedCarrier, a_return, qr_png, scripted_fixture  # noqa: F401

pytestmark = pytest.mark.django_db

ALT = 'alt="QR code to show at the service point"'


@pytest.fixture
def with_picture(scripted: type[ScriptedCarrier]) -> type[ScriptedCarrier]:
    """The scripted carrier, answering a label-free booking with a real PNG of its code."""
    scripted.code_image = qr_png()
    return scripted


def image_url(return_request: ReturnRequest) -> str:
    return reverse("returns:dropoff_code_image", args=[access.status_token(return_request)])


def status_page(return_request: ReturnRequest) -> str:
    response = Client().get(reverse("returns:status", args=[access.status_token(return_request)]))
    assert response.status_code == 200
    return response.content.decode()


def stored(return_request: ReturnRequest) -> bytes:
    with default_storage.open(return_request.dropoff_code_image.name, "rb") as file:
        return file.read()


# --- Booking keeps it -------------------------------------------------------------------------------


def test_a_label_free_booking_keeps_the_carriers_picture_of_the_code(with_picture: type[ScriptedCarrier]) -> None:
    return_request = ReturnRequest.objects.get(pk=a_return("qr").pk)
    assert return_request.dropoff_code == f"CODE-{return_request.pk}"
    name = return_request.dropoff_code_image.name
    assert name.startswith("dropoff-codes/") and f"/{return_request.number}-qr-" in name and name.endswith(".png")
    assert stored(return_request) == with_picture.code_image


def test_a_printed_label_return_keeps_no_picture(with_picture: type[ScriptedCarrier]) -> None:
    return_request = ReturnRequest.objects.get(pk=a_return("label").pk)
    assert return_request.carrier_label and not return_request.dropoff_code_image


def test_a_picture_that_is_no_png_is_not_kept_and_the_page_draws_the_code(scripted: type[ScriptedCarrier]) -> None:
    scripted.code_image = b"\x89PNG\r\n\x1a\n PostNord QR"  # PostNord's documented placeholder: a signature, no image
    return_request = ReturnRequest.objects.get(pk=a_return("qr").pk)
    assert return_request.dropoff_code and not return_request.dropoff_code_image
    assert '<svg role="img"' in status_page(return_request)


def test_two_bookings_at_once_keep_one_picture_and_the_loser_deletes_its_own(
    with_picture: type[ScriptedCarrier],
) -> None:
    with_picture.failures = [CarrierUnavailable("down")]
    return_request = a_return("qr")
    stale = ReturnRequest.objects.select_related("order__customer").get(pk=return_request.pk)
    winner = return_ensure_shipment(return_request=return_request)
    loser = return_ensure_shipment(return_request=stale)  # read before the winner recorded its answer
    assert with_picture.calls == ["shipment", "shipment", "shipment"]
    assert loser.dropoff_code_image.name == winner.dropoff_code_image.name
    folder = winner.dropoff_code_image.name.rsplit("/", 1)[0]
    assert default_storage.listdir(folder)[1] == [winner.dropoff_code_image.name.rsplit("/", 1)[1]]
    assert stored(winner) == with_picture.code_image


def test_in_object_storage_the_loser_of_a_race_leaves_the_winners_files(
    with_picture: type[ScriptedCarrier], object_store: ObjectStore
) -> None:
    """S3 overwrites a name that exists: the two bookings must not write one object, or the loser's
    clean-up would delete the file the winner recorded."""
    with_picture.failures = [CarrierUnavailable("down")]
    return_request = a_return("qr")
    stale = ReturnRequest.objects.select_related("order__customer").get(pk=return_request.pk)
    winner = return_ensure_shipment(return_request=return_request)
    return_ensure_shipment(return_request=stale)
    assert object_store.keys() == [winner.dropoff_code_image.name]
    assert Client().get(image_url(winner)).content == with_picture.code_image


# --- The customer gets it behind the status link -------------------------------------------------


def test_the_status_link_serves_the_picture_privately_as_a_png(with_picture: type[ScriptedCarrier]) -> None:
    return_request = a_return("qr")
    response = Client().get(image_url(return_request))
    assert response.status_code == 200
    assert response["Content-Type"] == "image/png"
    assert response.content == with_picture.code_image
    assert "private" in response["Cache-Control"] and "public" not in response["Cache-Control"]
    assert response["Content-Disposition"] == f'inline; filename="return-{return_request.number}-qr.png"'
    assert response["X-Content-Type-Options"] == "nosniff"


@pytest.mark.parametrize(
    "token",
    ["not-a-token", "signed-for-an-order", "for-another-salt"],
)
def test_a_link_that_is_not_the_returns_status_link_gets_nothing(
    with_picture: type[ScriptedCarrier], token: str
) -> None:
    return_request = a_return("qr")
    forged = {
        "not-a-token": "not-a-token",
        "signed-for-an-order": access.order_token(return_request.order),  # the order link is not the status link
        "for-another-salt": access.status_token(return_request)[:-2] + "xx",  # altered
    }[token]
    response = Client().get(reverse("returns:dropoff_code_image", args=[forged]))
    assert response.status_code == 404
    assert response.get("Content-Type", "").startswith("text/html")


def test_an_expired_status_link_gets_nothing(with_picture: type[ScriptedCarrier], clock: Any) -> None:
    url = image_url(a_return("qr"))
    clock.shift(dt.timedelta(days=access.STATUS_LINK_DAYS + 1))
    assert Client().get(url).status_code == 404


def test_a_return_without_a_picture_or_whose_file_is_gone_is_a_404(with_picture: type[ScriptedCarrier]) -> None:
    assert Client().get(image_url(a_return("label"))).status_code == 404
    return_request = a_return("qr")
    default_storage.delete(return_request.dropoff_code_image.name)  # a restore without the media
    assert Client().get(image_url(return_request)).status_code == 404


# --- The status page shows it ---------------------------------------------------------------------


def dropoff_block(page: str) -> str:
    return page.split('id="dropoff-code"')[1].split("</div>\n")[0]


def test_the_status_page_shows_the_carriers_picture_instead_of_drawing_the_code(
    with_picture: type[ScriptedCarrier],
) -> None:
    return_request = a_return("qr")
    code = dropoff_block(status_page(return_request))
    assert f'<img class="dropoff-image" src="{image_url(return_request)}" width="320" height="320" {ALT}>' in code
    assert "<svg" not in code and "style=" not in code  # one code to scan; the CSP allows no inline style
    assert f"CODE-{return_request.pk}" in code  # the code in words, for a point whose scanner fails


def test_without_the_carriers_picture_the_page_draws_the_code_as_before(scripted: type[ScriptedCarrier]) -> None:
    code = dropoff_block(status_page(a_return("qr")))
    assert '<svg role="img" aria-hidden="true"' in code
    assert "<img" not in code


def test_the_picture_costs_the_status_page_no_query(scripted: type[ScriptedCarrier]) -> None:
    counts = []
    for picture in (b"", qr_png()):
        scripted.code_image = picture
        return_request = a_return("qr")
        assert bool(return_request.dropoff_code_image) == bool(picture)
        ReturnPolicy.current()
        url = reverse("returns:status", args=[access.status_token(return_request)])
        with CaptureQueriesContext(connection) as queries:
            assert Client().get(url).status_code == 200
        counts.append(len(queries))
    assert counts[0] == counts[1], counts


def test_a_cached_status_page_shows_its_own_returns_picture(with_picture: type[ScriptedCarrier]) -> None:
    first, second = a_return("qr"), a_return("qr")
    for _ in range(2):  # rendered, then from the cache
        for return_request, other in ((first, second), (second, first)):
            page = status_page(return_request)
            assert image_url(return_request) in page
            assert image_url(other) not in page
    assert f'src="{image_url(first)}"' in status_page(first)


# --- The packing instructions carry it -----------------------------------------------------------


def pictures_in(pdf: bytes) -> list[Any]:
    return [image for page in PdfReader(io.BytesIO(pdf)).pages for image in page.images]


def test_the_packing_instructions_show_the_carriers_picture_instead_of_drawing_the_code(
    with_picture: type[ScriptedCarrier],
) -> None:
    return_request = a_return("qr")
    url = reverse("returns:packing", args=[access.status_token(return_request)]) + "?format=pdf"
    [picture] = pictures_in(Client().get(url).content)
    assert picture.image.size == Image.open(io.BytesIO(with_picture.code_image)).size


def test_without_the_carriers_picture_the_packing_instructions_draw_the_code(scripted: type[ScriptedCarrier]) -> None:
    return_request = a_return("qr")
    url = reverse("returns:packing", args=[access.status_token(return_request)]) + "?format=pdf"
    assert pictures_in(Client().get(url).content) == []  # the portal's QR code is vector drawing


# --- Erasure deletes it ----------------------------------------------------------------------------


def test_erasing_a_return_deletes_the_carriers_picture_and_label(
    with_picture: type[ScriptedCarrier], django_capture_on_commit_callbacks: Callable[..., Any]
) -> None:
    qr, label = a_return("qr"), a_return("label")
    names = [qr.dropoff_code_image.name, label.carrier_label.name]
    assert all(default_storage.exists(name) for name in names)
    with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
        counts = erase_returns([qr.pk, label.pk], why=Why.RETENTION)  # what the retention sweep does
    assert counts["carrier files"] == 2
    assert not any(default_storage.exists(name) for name in names)
    qr.refresh_from_db()
    label.refresh_from_db()
    assert not qr.dropoff_code_image and not label.carrier_label
    assert qr.dropoff_code == f"CODE-{qr.pk}"  # numbers stay: bookkeeping and support still find it
    assert Client().get(image_url(qr)).status_code == 404
