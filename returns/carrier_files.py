"""The carrier's own files kept with a return: its label (PDF) and its picture of the label-free code (PNG).

They live in the default storage, which may be remote (S3): a booking saves them before it records its
answer, never inside the row lock, and whoever reads them does so outside any transaction.

Every save gets a name of its own. S3 storage overwrites an existing name (``file_overwrite``), so two
bookings racing for one return must not write the same object: the one that loses deletes its own file,
and with a shared name that would be the winner's.
"""

from __future__ import annotations

import io
import logging
import secrets
from collections.abc import Iterable
from typing import TYPE_CHECKING

from django.core.files.base import ContentFile
from django.core.files.storage import Storage
from django.db.models.fields.files import FieldFile
from PIL import Image, UnidentifiedImageError

from returns_portal.storage import store_errors

if TYPE_CHECKING:
    from returns.models import ReturnRequest

log = logging.getLogger(__name__)

# A carrier's QR code is a few hundred pixels wide; anything far larger is not one.
MAX_CODE_PIXELS = 2000 * 2000


def carrier_file_save(file: FieldFile, content: bytes, *, name: str) -> str:
    """Save `content` in the folder of `file`'s field, as `name` made unique ("R-7K3P9QX.pdf" becomes
    "R-7K3P9QX-1f2e3d4c.pdf"); "" when there is no content."""
    if not content:
        return ""
    stem, dot, extension = name.rpartition(".")
    unique = f"{stem}-{secrets.token_hex(4)}{dot}{extension}" if dot else f"{name}-{secrets.token_hex(4)}"
    field = file.field
    return field.storage.save(field.generate_filename(file.instance, unique), ContentFile(content))


def carrier_files_delete(storage: Storage, names: Iterable[str]) -> None:
    """Delete what a booking saved but did not keep; a file the storage cannot delete now is only logged."""
    for name in names:
        if not name:
            continue
        try:
            storage.delete(name)
        except store_errors():
            log.warning("Could not delete the carrier's file %s", name, exc_info=True)


def carrier_file_read(file: FieldFile) -> bytes:
    """The stored file's bytes; b"" when there is none or it cannot be read (a restore without media)."""
    if not file:
        return b""
    try:
        with file.open("rb") as stored:
            return stored.read()
    except store_errors():
        log.warning("The carrier's file %s of return %s could not be read", file.name, file.instance, exc_info=True)
        return b""


def is_png(content: bytes) -> bool:
    """Whether `content` is a whole PNG image of a sensible size: what the portal may serve as image/png."""
    try:
        with Image.open(io.BytesIO(content), formats=["PNG"]) as image:
            if image.width * image.height > MAX_CODE_PIXELS:
                return False
            image.verify()  # reads every chunk: a truncated or corrupt file fails here
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, Image.DecompressionBombError):
        return False
    return True


def code_image_filename(return_request: ReturnRequest) -> str:
    """What the customer's phone or mail app calls the picture of the drop-off code when they save it."""
    return f"return-{return_request.number}-qr.png"
