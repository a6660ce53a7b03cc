"""Customers' photos for staff-screen tests: real images, attached to a return line as the customer flow does."""

from __future__ import annotations

import io

from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from returns.models import ReturnLine, ReturnPhoto


def jpeg(size: tuple[int, int] = (1200, 900), colour: str = "red") -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", size, colour).save(buffer, "JPEG")
    return buffer.getvalue()


def add_photo(line: ReturnLine, content: bytes | None = None, content_type: str = "image/jpeg") -> ReturnPhoto:
    return ReturnPhoto.objects.create(
        draft_key=f"draft-{line.return_request_id}",
        order_line_id=line.order_line_id,
        return_line=line,
        image=SimpleUploadedFile("crack.jpg", jpeg() if content is None else content, content_type=content_type),
        content_type=content_type,
    )
