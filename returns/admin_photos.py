"""Customers' photos of defects, for staff only.

Uploads are never served from a public URL (nothing maps MEDIA_URL): staff open a photo by its id
through this view, behind the admin's login and the right to see returns. The bytes go out with the
content type they were re-encoded to at upload (`returns.photos.photo_prepare`), never sniffed, shown
inline, and kept only in the staff member's own browser cache.
"""

from __future__ import annotations

import io

from django.contrib.auth.decorators import permission_required
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, HttpResponseBase
from django.shortcuts import get_object_or_404
from django.utils.cache import patch_cache_control, patch_vary_headers
from PIL import Image, ImageOps, UnidentifiedImageError

from returns.models import ReturnPhoto
from returns.photos import STORED_TYPES

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


def _original(photo: ReturnPhoto) -> FileResponse:
    served = photo.content_type in SERVED_TYPES
    try:
        file = photo.image.open("rb")
    except OSError as missing:
        raise Http404("The photo's file is missing.") from missing
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
    except (UnidentifiedImageError, OSError, ValueError, Image.DecompressionBombError):
        return None
    return buffer.getvalue()
