"""Customers' photos through the return flow's upload: only the pixels are kept, upright and of a sensible
size; what is not a photo, is broken, or is too large is refused in the customer's language, and nothing of
it is kept."""

from __future__ import annotations

import io
import os
import struct
import zlib
from pathlib import Path
from typing import Any

import pillow_heif
import pytest
from django.conf import settings
from django.contrib.auth.models import Group, User
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext
from PIL import Image, ImageCms

from returns import access
from returns.models import Order, OrderLine, ReturnPhoto
from tests.returns.test_customer_flow import choose, order_with

pytestmark = pytest.mark.django_db

GPS = 0x8825
ORIENTATION = 0x0112
XMP = (
    b'<?xpacket begin="" id="W5M0MpCehiHzreSzNTczkc9d"?><x:xmpmeta xmlns:x="adobe:ns:meta/">'
    b'<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"><rdf:Description '
    b'xmlns:exif="http://ns.adobe.com/exif/1.0/" exif:GPSLatitude="59,19.5N"/></rdf:RDF></x:xmpmeta>'
)


def camera_exif(orientation: int = 1) -> Image.Exif:
    """What a phone writes: where (Stockholm), with what, when, and which way up."""
    exif = Image.Exif()
    exif[0x010F], exif[0x0110], exif[0x0132] = "Apple", "iPhone 15", "2026:11:20 14:03:12"
    exif[ORIENTATION] = orientation
    exif[GPS] = {1: "N", 2: (59.0, 19.0, 30.0), 3: "E", 4: (18.0, 4.0, 12.0)}
    return exif


def two_colours(size: tuple[int, int] = (400, 300)) -> Image.Image:
    """Blue on the left half, red on the right: which way up it is stored can be read off its pixels."""
    image = Image.new("RGB", size, "red")
    image.paste((0, 0, 255), (0, 0, size[0] // 2, size[1]))
    return image


def encoded(image: Image.Image, kind: str = "JPEG", **options: object) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, kind, **options)
    return buffer.getvalue()


def upload(content: bytes, name: str = "crack.jpg", content_type: str = "image/jpeg") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content, content_type=content_type)


def a_defect(language: str = "en") -> tuple[Order, OrderLine]:
    order = order_with("499.00", language=language)
    return order, order.lines.get()


def send(client: Client, order: Order, line: OrderLine, *files: SimpleUploadedFile) -> object:
    return choose(client, order, {line.id: (1, "defective")}, {f"photos_{line.id}": list(files)})


def stored_photo() -> tuple[ReturnPhoto, bytes]:
    photo = ReturnPhoto.objects.get()
    with photo.image.open("rb") as file:
        return photo, file.read()


def files_in_media() -> list[Path]:
    return [path for path in Path(settings.MEDIA_ROOT).rglob("*") if path.is_file()]


def in_language(language: str, message: str, **values: object) -> str:
    with translation.override(language):
        return gettext(message) % values


# --- Only the pixels are kept -----------------------------------------------------------------------


def test_a_photos_gps_position_and_all_its_other_metadata_are_gone_once_stored(client: Client) -> None:
    order, line = a_defect()
    srgb = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()
    taken = encoded(two_colours(), exif=camera_exif(), xmp=XMP, icc_profile=srgb, comment=b"Anna Svensson, Storgatan 1")
    with Image.open(io.BytesIO(taken)) as original:  # the test photo does carry what must go
        assert original.getexif().get_ifd(GPS)[2] == (59.0, 19.0, 30.0)

    assert send(client, order, line, upload(taken, "IMG_0042.JPG")).status_code == 302

    photo, content = stored_photo()
    assert photo.content_type == "image/jpeg"
    assert photo.image.name.endswith(".jpg") and "IMG_0042" not in photo.image.name
    with Image.open(io.BytesIO(content)) as stored:
        assert stored.format == "JPEG"
        assert dict(stored.getexif()) == {}
        assert stored.getexif().get_ifd(GPS) == {}
        assert not {"exif", "xmp", "icc_profile", "comment"} & set(stored.info)
    for trace in (b"Exif", b"Apple", b"iPhone", b"GPSLatitude", b"adobe", b"Anna", b"ICC_PROFILE"):
        assert trace not in content, trace


def test_a_photo_turned_by_its_exif_orientation_is_stored_upright(client: Client) -> None:
    order, line = a_defect()
    # Stored sideways, as a phone held upright stores it, with "turn 90° clockwise to show" in EXIF.
    taken = encoded(two_colours((400, 300)), exif=camera_exif(orientation=6))
    assert send(client, order, line, upload(taken)).status_code == 302

    _photo, content = stored_photo()
    with Image.open(io.BytesIO(content)) as stored:
        assert stored.size == (300, 400)
        assert ORIENTATION not in stored.getexif()  # nothing left to turn it a second time
        top, bottom = stored.getpixel((150, 20)), stored.getpixel((150, 380))
    assert top[2] > 200 > top[0]  # the blue half is at the top once turned clockwise
    assert bottom[0] > 200 > bottom[2]


def test_an_iphones_heic_photo_is_stored_as_an_upright_jpeg_without_its_location(client: Client) -> None:
    order, line = a_defect()
    buffer = io.BytesIO()
    pillow_heif.from_pillow(two_colours((400, 300))).save(buffer, quality=90, exif=camera_exif(6).tobytes())
    taken = buffer.getvalue()
    assert taken[4:12] == b"ftypheic"

    assert send(client, order, line, upload(taken, "IMG_0042.HEIC", "image/heic")).status_code == 302

    photo, content = stored_photo()
    assert photo.content_type == "image/jpeg" and photo.image.name.endswith(".jpg")
    with Image.open(io.BytesIO(content)) as stored:
        assert stored.format == "JPEG"
        assert stored.size == (300, 400)
        assert dict(stored.getexif()) == {}
        assert stored.getpixel((150, 20))[2] > 200


def test_a_polyglot_is_stored_as_its_pixels_only(client: Client) -> None:
    """A real JPEG that carries a script in its comment and a PHP file after its end: only the picture stays."""
    order, line = a_defect()
    taken = encoded(two_colours(), comment=b"<script>alert(1)</script>") + b"PK\x03\x04<?php system($_GET['c']); ?>"
    assert send(client, order, line, upload(taken)).status_code == 302
    _photo, content = stored_photo()
    assert b"<script>" not in content and b"<?php" not in content and b"PK\x03\x04" not in content
    assert content.endswith(b"\xff\xd9")  # the JPEG ends where its picture does


def test_a_phones_multi_picture_jpeg_is_accepted(client: Client) -> None:
    """Many Android cameras write MPO: a JPEG with a second picture appended. The first is the photo."""
    order, line = a_defect()
    taken = encoded(two_colours(), "MPO", save_all=True, append_images=[Image.new("RGB", (400, 300), "green")])
    with Image.open(io.BytesIO(taken)) as original:
        assert original.format == "MPO"
    assert send(client, order, line, upload(taken)).status_code == 302
    _photo, content = stored_photo()
    with Image.open(io.BytesIO(content)) as stored:
        assert stored.format == "JPEG" and stored.size == (400, 300)


@pytest.mark.parametrize(
    ("image", "kind", "content_type", "extension"),
    [
        (Image.new("RGBA", (60, 40), (200, 30, 30, 128)), "PNG", "image/png", ".png"),  # see-through: kept so
        (Image.new("RGBA", (60, 40), (200, 30, 30, 128)), "WEBP", "image/png", ".png"),
        (Image.new("RGBA", (60, 40), (200, 30, 30, 255)), "PNG", "image/jpeg", ".jpg"),  # alpha, all opaque
        (Image.new("RGB", (60, 40), (200, 30, 30)), "WEBP", "image/jpeg", ".jpg"),
        (Image.new("P", (60, 40), 3), "PNG", "image/jpeg", ".jpg"),
        (Image.new("CMYK", (60, 40), (0, 200, 200, 0)), "JPEG", "image/jpeg", ".jpg"),
        (Image.new("I;16", (60, 40), 40_000), "PNG", "image/jpeg", ".jpg"),  # 16-bit grey, not clipped to white
    ],
    ids=["see-through-png", "see-through-webp", "opaque-rgba-png", "webp", "palette-png", "cmyk-jpeg", "16-bit-png"],
)
def test_the_stored_format_type_and_extension_agree(
    client: Client, image: Image.Image, kind: str, content_type: str, extension: str
) -> None:
    order, line = a_defect()
    assert send(client, order, line, upload(encoded(image, kind), f"photo.{kind.lower()}")).status_code == 302
    photo, content = stored_photo()
    assert photo.content_type == content_type
    assert photo.image.name.endswith(extension)
    with Image.open(io.BytesIO(content)) as stored:
        assert Image.MIME[stored.format or ""] == content_type
        assert stored.size == (60, 40)
        assert stored.mode == ("RGBA" if content_type == "image/png" else "RGB")
        if image.mode == "I;16":
            assert 150 < stored.getpixel((5, 5))[0] < 160  # 40000 / 65535 of white


def test_a_very_large_photo_is_scaled_down_to_2560_pixels_on_its_long_side(client: Client) -> None:
    order, line = a_defect()
    taken = encoded(two_colours((3000, 2000)))
    assert send(client, order, line, upload(taken)).status_code == 302
    _photo, content = stored_photo()
    with Image.open(io.BytesIO(content)) as stored:
        assert stored.size == (2560, 1707)


def test_new_photos_of_an_item_replace_the_earlier_ones_and_their_files(
    client: Client, django_capture_on_commit_callbacks: Any
) -> None:
    order, line = a_defect()
    assert send(client, order, line, upload(encoded(two_colours()))).status_code == 302
    [first] = files_in_media()
    with django_capture_on_commit_callbacks(execute=True):
        again = send(client, order, line, upload(encoded(two_colours())), upload(encoded(two_colours())))
    assert again.status_code == 302
    assert not first.exists()
    media = Path(settings.MEDIA_ROOT)
    assert sorted(files_in_media()) == sorted(media / photo.image.name for photo in ReturnPhoto.objects.all())
    assert len(files_in_media()) == 2


# --- Refusals: a clear message, and nothing kept ---------------------------------------------------


@pytest.mark.parametrize("language", ["en", "sv"])
def test_a_pdf_renamed_to_jpg_is_refused_in_the_customers_language(client: Client, language: str) -> None:
    order, line = a_defect(language)
    pdf = b"%PDF-1.7\n1 0 obj\n<< /Type /Catalog >>\nendobj\ntrailer\n<< /Root 1 0 R >>\n%%EOF\n"
    response = send(client, order, line, upload(pdf, "invoice.jpg"))
    assert response.status_code == 200
    told = in_language(language, "%(name)s is not a JPEG, PNG, HEIC or WebP photo.", name="invoice.jpg")
    assert told in response.content.decode()
    if language == "sv":
        assert "är inte en JPEG-, PNG-, HEIC- eller WebP-bild" in told
    assert ReturnPhoto.objects.count() == 0
    assert files_in_media() == []


@pytest.mark.parametrize("language", ["en", "sv"])
def test_a_truncated_jpeg_is_refused_as_damaged_in_the_customers_language(client: Client, language: str) -> None:
    order, line = a_defect(language)
    noise = Image.frombytes("RGB", (300, 200), os.urandom(300 * 200 * 3))
    whole = encoded(noise, quality=90)
    response = send(client, order, line, upload(whole[: len(whole) // 2], "crack.jpg"))
    assert response.status_code == 200
    message = "%(name)s is damaged or incomplete and cannot be opened as a photo. Please send it again."
    told = in_language(language, message, name="crack.jpg")
    assert told in response.content.decode()
    if language != "en":
        assert told != message % {"name": "crack.jpg"}, "the message has no translation yet"
    assert ReturnPhoto.objects.count() == 0
    assert files_in_media() == []


@pytest.mark.filterwarnings("ignore::PIL.Image.DecompressionBombWarning")  # as in production: only logged
def test_a_photo_of_more_than_50_megapixels_is_refused(client: Client) -> None:
    order, line = a_defect()
    taken = encoded(Image.new("1", (8193, 6144)), "PNG")  # a small file that declares 50.3 million pixels
    response = send(client, order, line, upload(taken, "huge.png", "image/png"))
    assert response.status_code == 200
    assert "huge.png is larger than 50 megapixels. Please send a smaller photo." in response.content.decode()
    assert ReturnPhoto.objects.count() == 0


def png_declaring(width: int, height: int) -> bytes:
    """A one-pixel PNG whose header claims another size, as a decompression bomb's does."""
    png = encoded(Image.new("L", (1, 1)), "PNG")
    header = b"IHDR" + struct.pack(">II", width, height) + png[24:29]
    return png[:12] + header + struct.pack(">I", zlib.crc32(header)) + png[33:]


def jpeg_declaring(width: int, height: int) -> bytes:
    """A small JPEG whose frame header claims another size."""
    jpeg = encoded(Image.new("RGB", (16, 16)))
    frame = jpeg.index(b"\xff\xc0") + 5  # SOF0: length (2), precision (1), then height and width
    return jpeg[:frame] + struct.pack(">HH", height, width) + jpeg[frame + 4 :]


@pytest.mark.parametrize("bomb", [png_declaring(100_000, 100_000), jpeg_declaring(65_000, 65_000)], ids=["png", "jpeg"])
def test_a_decompression_bomb_is_refused_with_the_message_not_a_server_error(client: Client, bomb: bytes) -> None:
    with pytest.raises(Image.DecompressionBombError):  # it is one: Pillow would not even open it
        Image.open(io.BytesIO(bomb))
    order, line = a_defect()
    response = send(client, order, line, upload(bomb, "bomb.jpg"))
    assert response.status_code == 200
    assert "bomb.jpg is larger than 50 megapixels" in response.content.decode()
    assert ReturnPhoto.objects.count() == 0


def test_one_bad_photo_keeps_all_of_that_upload_out_and_the_earlier_photos_in(client: Client) -> None:
    order, line = a_defect()
    assert send(client, order, line, upload(encoded(two_colours()))).status_code == 302
    earlier = ReturnPhoto.objects.get()
    kept = files_in_media()
    good, broken = encoded(two_colours()), encoded(two_colours())[:300]
    response = send(client, order, line, upload(good, "good.jpg"), upload(broken, "broken.jpg"))
    assert "broken.jpg is damaged or incomplete" in response.content.decode()
    assert list(ReturnPhoto.objects.all()) == [earlier]
    assert files_in_media() == kept


# --- Staff see what was stored ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("image", "kind", "content_type"),
    [(two_colours(), "JPEG", "image/jpeg"), (Image.new("RGBA", (60, 40), (0, 0, 0, 0)), "PNG", "image/png")],
    ids=["jpeg", "see-through-png"],
)
def test_staff_get_the_stored_photo_with_its_content_type(
    client: Client, image: Image.Image, kind: str, content_type: str
) -> None:
    order, line = a_defect()
    token = access.order_token(order)
    assert send(client, order, line, upload(encoded(image, kind, exif=camera_exif()))).status_code == 302
    choice = {"resolution": "refund", "method": "label", "pickup_date": ""}
    assert client.post(reverse("returns:choice", args=[token]), choice).status_code == 302
    assert client.post(reverse("returns:confirm", args=[token])).status_code == 302
    photo, content = stored_photo()
    assert photo.return_line is not None

    agent = User.objects.create_user("agent", password="x", is_staff=True)
    agent.groups.add(Group.objects.get(name="Support"))
    staff = Client()
    staff.force_login(agent)
    response = staff.get(reverse("admin:returns_returnrequest_photo", args=[photo.pk]))
    assert response.status_code == 200
    assert response["Content-Type"] == content_type
    assert response["Content-Disposition"].startswith("inline")
    assert response["Content-Disposition"].endswith(f'{photo.pk}{".png" if kind == "PNG" else ".jpg"}"')
    served = b"".join(response.streaming_content)
    assert served == content
    with Image.open(io.BytesIO(served)) as seen:
        assert dict(seen.getexif()) == {}
    thumbnail = staff.get(reverse("admin:returns_returnrequest_photo", args=[photo.pk]) + "?size=thumb")
    assert thumbnail["Content-Type"] == "image/jpeg"
    with Image.open(io.BytesIO(thumbnail.content)) as small:
        assert small.format == "JPEG" and max(small.size) <= 320
