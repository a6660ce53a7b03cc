"""Pictures shown inside an e-mail's HTML part, such as the carrier's drop-off code.

An HTML e-mail cannot load the portal's link to the picture (mail apps block remote images, and the
link would put the status token in their logs), so the picture travels with the message: its HTML
part and the pictures it shows by ``cid:`` sit in one multipart/related (RFC 2387), beside the plain
text, with the documents attached after them::

    multipart/mixed
      multipart/alternative
        text/plain
        multipart/related
          text/html              <img src="cid:...">
          image/png              Content-ID, inline, with a file name
      application/pdf            (the packing instructions)

The parts are arranged after Django has built the message, with the standard library's e-mail API:
nothing of Django's private message building is overridden.
"""

from __future__ import annotations

from dataclasses import dataclass
from email.message import Message
from email.mime.image import MIMEImage
from email.mime.multipart import MIMEMultipart
from typing import Any
from urllib.parse import urlsplit

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.utils.translation import gettext as _

from returns.carrier_files import carrier_file_read, code_image_filename
from returns.models import ReturnRequest


@dataclass(frozen=True)
class InlineImage:
    """A PNG the HTML part shows as ``<img src="cid:{cid}">``; `filename` is its name when saved."""

    cid: str  # unique within the message, stable across tries: e.g. "dropoff-code.R-7K3P9QX@portal.example"
    filename: str
    content: bytes
    alt: str


class EmailWithInlineImages(EmailMultiAlternatives):
    """An e-mail whose HTML alternative comes with the pictures it shows."""

    def __init__(self, *args: Any, images: list[InlineImage] | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.images = list(images or [])

    def message(self, **options: Any) -> Any:
        message = super().message(**options)
        if self.images:
            _relate(message, self.images)
        return message


def _relate(message: Message, images: list[InlineImage]) -> None:
    """Put the HTML part and its pictures together in a multipart/related, where the HTML part was."""
    for part in message.walk():
        if part.get_content_type() != "multipart/alternative":
            continue
        alternatives = part.get_payload()
        assert isinstance(alternatives, list)
        for index, alternative in enumerate(alternatives):
            if alternative.get_content_type() == "text/html":
                related = MIMEMultipart("related", type="text/html")
                related.attach(alternative)
                for image in images:
                    related.attach(_image_part(image))
                alternatives[index] = related
                return
    raise ValueError("Inline images need an HTML alternative to show them.")


def _image_part(image: InlineImage) -> MIMEImage:
    part = MIMEImage(image.content, "png")
    part["Content-ID"] = f"<{image.cid}>"
    part.add_header("Content-Disposition", "inline", filename=image.filename)
    return part


def dropoff_code_images(return_request: ReturnRequest) -> list[InlineImage]:
    """The carrier's picture of the label-free code, for the e-mails that carry the code.

    None without one, or when its file cannot be read right now: the e-mail still goes, once, with the
    code in words and the link to the status page, which shows the picture.
    """
    if not (return_request.dropoff_code and return_request.dropoff_code_image):
        return []
    content = carrier_file_read(return_request.dropoff_code_image)
    if not content:
        return []
    host = urlsplit(settings.PORTAL_URL).hostname or "returns-portal"
    return [
        InlineImage(
            cid=f"dropoff-code.{return_request.number}@{host}",
            filename=code_image_filename(return_request),
            content=content,
            alt=_("QR code to show at the service point"),
        )
    ]
