"""Customers' photos of defects, for staff only.

Uploads are never served from a public URL (nothing maps MEDIA_URL, and the object store's objects are
private): staff open a photo by its id through this view, behind the admin's login and the right to see
returns, on whichever web machine they reach; it reads through the storage, never a local path. The bytes
go out with the content type they were re-encoded to at upload (`returns.photos.photo_prepare`), never
sniffed, shown inline, and kept only in the staff member's own browser cache.
"""

from __future__ import annotations

import io
import logging

from django.contrib.auth.decorators import permission_required
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, HttpResponseBase
from django.shortcuts import get_object_or_404
from django.utils.cache import patch_cache_control, patch_vary_headers
from PIL import Image, ImageOps, UnidentifiedImageError

from returns.models import ReturnPhoto
from returns.photos import STORED_TYPES
from returns_portal.storage import store_errors

log = logging.getLogger(__name__)

# What photo_prepare stores, and what uploads were kept as before photos were re-encoded; anything else
# in the column is served as bytes to download, never rendered.
SERVED_TYPES = STORED_TYPES | {"image/webp": ".webp", "image/heic": ".heic"}
THUMBNAIL_PIXELS = 320


@permission_required("returns.view_returnrequest", raise_exception=True)
def photo_view(request: HttpRequest, pk: int) -> HttpResponseBase:
    """The photo by its id (`?size=thumb`: a small JPEG of it, for lists); only photos of a confirmed return."""
    photo = get_object_or_404(ReturnPhoto, pk=pk, return_line__isnull=False)
    thumbnail = _thumbnail(photo) if request.GET.get("size") == "thumb" else None
    if thumbnail is not None:
        response: HttpResponseBase = HttpResponse(thumbnail, content_type="image/jpeg")
        response["Content-Disposition"] = f'inline; filename="photo-{photo.pk}-thumbnail.jpg"'
    else:
        response = _original(photo)
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "default-src 'none'; img-src 'self'; style-src 'unsafe-inline'; sandbox"
    patch_cache_control(response, private=True, max_age=3600)
    patch_vary_headers(response, ["Cookie"])
    return response


def _unavailable() -> HttpResponse:
    response = HttpResponse("The photo store cannot be reached just now; try again in a minute.", status=503)
    response["Content-Type"] = "text/plain; charset=utf-8"
    response["Retry-After"] = "60"
    return response


def _original(photo: ReturnPhoto) -> HttpResponse | FileResponse:
    served = photo.content_type in SERVED_TYPES
    try:
        file = photo.image.open("rb")  # through the storage: this machine's disk or the shared object store
    except FileNotFoundError as missing:
        raise Http404("The photo's file is missing.") from missing
    except store_errors():
        log.warning("Could not read photo %s from the storage", photo.pk, exc_info=True)
        return _unavailable()
    return FileResponse(
        file,
        content_type=photo.content_type if served else "application/octet-stream",
        as_attachment=not served,
        filename=f"photo-{photo.pk}{SERVED_TYPES.get(photo.content_type, '')}",
    )


def _thumbnail(photo: ReturnPhoto) -> bytes | None:
    """A small JPEG, upright; None when Pillow cannot read the photo: the original is served then."""
    if photo.content_type not in SERVED_TYPES:
        return None
    try:
        with photo.image.open("rb") as file, Image.open(file) as image:
            image.draft("RGB", (THUMBNAIL_PIXELS, THUMBNAIL_PIXELS))  # a JPEG decodes at a fraction of its size
            small = ImageOps.exif_transpose(image) or image
            small.thumbnail((THUMBNAIL_PIXELS, THUMBNAIL_PIXELS))
            buffer = io.BytesIO()
            small.convert("RGB").save(buffer, "JPEG", quality=80)
    except (UnidentifiedImageError, ValueError, Image.DecompressionBombError):
        return None
    except store_errors():
        return None  # a store that fails here fails again for the original, which says so
    return buffer.getvalue()
