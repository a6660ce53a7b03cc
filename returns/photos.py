"""Customers' photos of defects: checked by content, not by file name, and kept with the draft."""

from __future__ import annotations

from django.core.files.uploadedfile import UploadedFile
from django.utils.translation import gettext as _
from PIL import Image, UnidentifiedImageError

from returns.models import ReturnPhoto

MAX_BYTES = 10 * 1024 * 1024
HEIF_BRANDS = {b"heic", b"heix", b"hevc", b"hevx", b"mif1", b"msf1", b"heim", b"heis"}
PILLOW_TYPES = {"JPEG": "image/jpeg", "PNG": "image/png", "WEBP": "image/webp"}


class PhotoRejected(ValueError):
    pass


def check_photo(file: UploadedFile) -> str:
    """The photo's real content type, or PhotoRejected with a message for the customer."""
    if file.size is not None and file.size > MAX_BYTES:
        raise PhotoRejected(_("%(name)s is larger than 10 MB. Please send a smaller photo.") % {"name": file.name})
    file.seek(0)
    head = file.read(12)
    file.seek(0)
    if head[4:8] == b"ftyp" and head[8:12] in HEIF_BRANDS:
        return "image/heic"  # iPhone photos; Pillow cannot decode them without a plug-in, the brand is proof enough
    try:
        with Image.open(file) as image:
            kind = image.format or ""
            image.verify()
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, Image.DecompressionBombError):
        kind = ""
    finally:
        file.seek(0)
    if kind not in PILLOW_TYPES:
        raise PhotoRejected(_("%(name)s is not a JPEG, PNG, HEIC or WebP photo.") % {"name": file.name})
    return PILLOW_TYPES[kind]


def photos_store_draft(*, draft_key: str, photos: dict[int, list[UploadedFile]]) -> int:
    """Keep the photos of a return being drafted; `return_create` attaches them to its lines."""
    stored = 0
    for order_line_id, files in photos.items():
        if files:
            ReturnPhoto.objects.filter(
                draft_key=draft_key, order_line_id=order_line_id, return_line__isnull=True
            ).delete()
        for file in files:
            ReturnPhoto.objects.create(
                draft_key=draft_key, order_line_id=order_line_id, image=file, content_type=check_photo(file)
            )
            stored += 1
    return stored
