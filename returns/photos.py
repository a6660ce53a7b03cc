"""Customers' photos of defects: decoded, checked and re-encoded before they are kept with the draft.

Only pixels are stored. A photo is decoded (JPEG, PNG, WebP, HEIC), turned upright by its EXIF
orientation, brought to sRGB, scaled down to a long side of LONG_SIDE, and written anew: JPEG, or
PNG when it has real transparency. Nothing of the customer's file survives except what it shows:
no EXIF (GPS position, camera, time), no XMP, no comments, no colour profile, nothing hidden
after the image data.
"""

from __future__ import annotations

import io
import logging
import uuid
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

import pillow_heif
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.utils.translation import gettext as _
from PIL import Image, ImageCms, ImageOps, UnidentifiedImageError

from returns.models import ReturnPhoto
from returns_portal.storage import store_errors

log = logging.getLogger(__name__)

MAX_BYTES = 10 * 1024 * 1024
# 50 megapixels: the high-resolution mode of today's phones (8064 × 6048 on an iPhone, 8192 × 6144 on
# 50 MP Android sensors). The cap bounds the memory one upload may take to decode.
MAX_PIXELS = 8192 * 6144
LONG_SIDE = 2560  # fills a large screen, where a scratch or a crack shows; about 1 MB as JPEG
JPEG_QUALITY = 85
ACCEPTED_FORMATS = ["JPEG", "PNG", "WEBP", "HEIF"]  # Pillow decodes nothing else from a customer
STORED_TYPES = {"image/jpeg": ".jpg", "image/png": ".png"}
HEIF_BRANDS = {b"heic", b"heix", b"hevc", b"hevx", b"mif1", b"msf1", b"heim", b"heis"}

# Pillow refuses to open any image of more than twice MAX_PIXELS, here and everywhere else in the
# process (the staff thumbnails too), and warns above it; photo_prepare refuses above it either way.
Image.MAX_IMAGE_PIXELS = MAX_PIXELS
# iPhones take HEIC; only the main picture is wanted, never the embedded thumbnails, depth maps or mattes.
pillow_heif.register_heif_opener(thumbnails=False, depth_images=False, aux_images=False)
SRGB = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB"))

# How Pillow and its plug-ins report a file they cannot decode.
UNREADABLE = (OSError, SyntaxError, ValueError, TypeError, IndexError, KeyError, EOFError, RuntimeError)


class PhotoRejected(ValueError):
    pass


@dataclass(frozen=True)
class PreparedPhoto:
    """A photo as it will be stored: re-encoded pixels under a name of our own."""

    content: bytes
    content_type: str
    name: str


def photo_prepare(file: UploadedFile) -> PreparedPhoto:
    """The customer's photo decoded and re-encoded, or PhotoRejected with a message for the customer."""
    name = file.name or ""
    if file.size is not None and file.size > MAX_BYTES:
        raise PhotoRejected(_("%(name)s is larger than 10 MB. Please send a smaller photo.") % {"name": name})
    file.seek(0)
    try:
        with Image.open(file, formats=ACCEPTED_FORMATS) as image:
            if image.width * image.height > MAX_PIXELS:
                raise _too_many_pixels(name)
            image.draft(None, (LONG_SIDE, LONG_SIDE))  # a large JPEG decodes at half or a quarter of its size
            image.load()
            return _stored(image)
    except PhotoRejected:
        raise
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise _too_many_pixels(name) from None
    except UNREADABLE as problem:
        if isinstance(problem, UnidentifiedImageError) and not _starts_like_a_photo(file):
            raise PhotoRejected(_("%(name)s is not a JPEG, PNG, HEIC or WebP photo.") % {"name": name}) from None
        raise PhotoRejected(
            _("%(name)s is damaged or incomplete and cannot be opened as a photo. Please send it again.")
            % {"name": name}
        ) from None
    finally:
        file.seek(0)


def _starts_like_a_photo(file: UploadedFile) -> bool:
    """Whether the file begins as one of the accepted formats does: then Pillow failed on what follows."""
    file.seek(0)
    head = file.read(12)
    return (
        head.startswith((b"\xff\xd8\xff", b"\x89PNG\r\n\x1a\n"))
        or (head[:4] == b"RIFF" and head[8:12] == b"WEBP")
        or (head[4:8] == b"ftyp" and head[8:12] in HEIF_BRANDS)
    )


def _too_many_pixels(name: str) -> PhotoRejected:
    return PhotoRejected(
        _("%(name)s is larger than %(megapixels)d megapixels. Please send a smaller photo.")
        % {"name": name, "megapixels": round(MAX_PIXELS / 1_000_000)}
    )


def _stored(image: Image.Image) -> PreparedPhoto:
    image = _in_working_mode(image)
    image.thumbnail((LONG_SIDE, LONG_SIDE), Image.Resampling.LANCZOS)
    image = _upright(image)
    image = _in_srgb(image)
    image.info = {}  # Pillow would carry a JPEG comment, a PNG's profile and its text chunks over otherwise
    buffer = io.BytesIO()
    if image.mode == "RGBA":
        # Transparency is kept, losslessly: flattening it onto a colour of our choosing could hide the edge
        # of a light-coloured product, and such images are rare enough that PNG's size does not matter.
        image.save(buffer, "PNG")
        content_type = "image/png"
    else:
        image.save(buffer, "JPEG", quality=JPEG_QUALITY, optimize=True)
        content_type = "image/jpeg"
    return PreparedPhoto(buffer.getvalue(), content_type, f"{uuid.uuid4().hex}{STORED_TYPES[content_type]}")


def _in_working_mode(image: Image.Image) -> Image.Image:
    """RGBA when some pixel is see-through; else RGB, or L or CMYK until their colour profile is applied."""
    if image.has_transparency_data:
        image = image.convert("RGBA")
        opaque = image.getchannel("A").getextrema() == (255, 255)
        return image.convert("RGB") if opaque else image
    if image.mode.startswith("I"):  # 16-bit grey: Pillow's convert would clip it to white
        return image.convert("I").point(lambda value: value * (1 / 256)).convert("L")
    return image if image.mode in ("RGB", "L", "CMYK") else image.convert("RGB")


def _upright(image: Image.Image) -> Image.Image:
    try:
        return ImageOps.exif_transpose(image)
    except UNREADABLE:  # a broken EXIF block: the photo as it was taken, rather than no photo
        return image


def _in_srgb(image: Image.Image) -> Image.Image:
    """Colours converted from the photo's own profile (an iPhone's Display P3) to sRGB, which browsers assume."""
    icc = image.info.get("icc_profile")
    if icc and image.mode != "RGBA":
        try:
            converted = ImageCms.profileToProfile(
                image, ImageCms.ImageCmsProfile(io.BytesIO(icc)), SRGB, outputMode="RGB"
            )
        except (ImageCms.PyCMSError, *UNREADABLE):
            pass  # a profile littleCMS cannot use: the colours as they are
        else:
            if converted is not None:
                return converted
    return image if image.mode in ("RGB", "RGBA") else image.convert("RGB")


def photos_store_draft(*, draft_key: str, photos: Mapping[int, Sequence[PreparedPhoto]]) -> int:
    """Keep the photos of a return being drafted; `return_create` attaches them to its lines.

    New photos of an item replace the ones it had; the files of the replaced ones are deleted once
    that is committed. When the storage cannot keep a file (the object store is down), PhotosNotStored:
    no row is kept, and the files already written are deleted again, so no row ever names a missing file.
    """
    replaced: list[str] = []
    written: list[str] = []
    try:
        with transaction.atomic():
            for order_line_id, prepared in photos.items():
                if not prepared:
                    continue
                earlier = ReturnPhoto.objects.filter(
                    draft_key=draft_key, order_line_id=order_line_id, return_line__isnull=True
                )
                replaced += earlier.values_list("image", flat=True)
                earlier.delete()
                for photo in prepared:
                    row = ReturnPhoto(draft_key=draft_key, order_line_id=order_line_id, content_type=photo.content_type)
                    # Counted as written before the write: a store that times out may have kept it all the same.
                    written.append(row.image.field.generate_filename(row, photo.name))
                    row.image.name = _write(written[-1], photo.content)
                    row.save()
            transaction.on_commit(lambda: _delete_files(replaced))
    except BaseException:
        _delete_files(written)
        raise
    return len(written)


class PhotosNotStored(Exception):
    """The storage refused or could not be reached; the customer is asked to send the photos again."""


def _write(name: str, content: bytes) -> str:
    """The file written under `name` (a UUID: no storage renames it); boto3 sends it in parts if large."""
    try:
        return default_storage.save(name, ContentFile(content))
    except store_errors() as problem:
        log.warning("Could not store a customer's photo", exc_info=True)
        raise PhotosNotStored from problem


def _delete_files(names: Iterable[str]) -> None:
    """Delete through the storage; a file it cannot delete now is logged, never the customer's problem."""
    for name in names:
        if not name:
            continue
        try:
            default_storage.delete(name)
        except store_errors():
            log.warning("Could not delete the photo file %s", name, exc_info=True)
