"""The e-mails that carry a label-free code carry the carrier's picture of it too: inline in the HTML
part (multipart/related, shown by cid:), the code in words beside it, each e-mail sent once."""

from __future__ import annotations

import datetime as dt
import email
import email.policy
import re
from email.message import EmailMessage
from typing import Any

import pytest
from django.core import mail
from django.core.files.storage import default_storage

from followup.models import OutboxMessage
from followup.sending import outbox_sweep
from returns.carriers import CarrierUnavailable
from returns.models import ReturnRequest
from returns.tasks import book_missing_carriers
from tests.returns.carrier_doubles import ScriptedCarrier, a_return, qr_png, scripted_fixture  # noqa: F401

pytestmark = pytest.mark.django_db


def parsed(sent: Any) -> EmailMessage:
    """The e-mail as the recipient's mail app reads it: the bytes that went over SMTP."""
    message = email.message_from_bytes(sent.message().as_bytes(linesep="\r\n"), policy=email.policy.default)
    assert isinstance(message, EmailMessage)
    return message


def tree(part: EmailMessage) -> Any:
    """The message's MIME structure: a content type, or one with its parts."""
    if part.is_multipart():
        return (part.get_content_type(), [tree(child) for child in part.iter_parts()])  # type: ignore[arg-type]
    return part.get_content_type()


def html_and_image(message: EmailMessage) -> tuple[str, EmailMessage]:
    [related] = [part for part in message.walk() if part.get_content_type() == "multipart/related"]
    html_part, image = related.iter_parts()
    return html_part.get_content(), image  # type: ignore[union-attr,return-value]


def test_the_confirmation_shows_the_carriers_picture_of_the_code_inline(scripted: type[ScriptedCarrier]) -> None:
    scripted.code_image = qr_png()
    return_request = a_return("qr")
    outbox_sweep()
    [sent] = mail.outbox
    message = parsed(sent)
    assert tree(message) == (
        "multipart/mixed",
        [
            ("multipart/alternative", ["text/plain", ("multipart/related", ["text/html", "image/png"])]),
            "application/pdf",  # the packing instructions, still an attachment
        ],
    )
    html, image = html_and_image(message)
    cid = image["Content-ID"].strip("<>")
    assert re.search(rf'<img src="cid:{re.escape(cid)}" width="260" alt="QR code to show at the service point"', html)
    assert image.get_content() == scripted.code_image
    assert image.get_content_disposition() == "inline"
    assert image.get_filename() == f"return-{return_request.number}-qr.png"
    assert f"Drop-off code: CODE-{return_request.pk}" in sent.body  # in words, for text-only mail apps


def test_the_code_ready_e_mail_after_a_late_booking_carries_the_picture_once(
    scripted: type[ScriptedCarrier], clock: Any
) -> None:
    scripted.code_image = qr_png()
    scripted.failures = [CarrierUnavailable("timed out")]
    return_request = a_return("qr")
    outbox_sweep()
    [confirmation] = mail.outbox
    assert "Your drop-off code follows in a separate e-mail" in confirmation.body
    assert not [part for part in parsed(confirmation).walk() if part.get_content_type() == "image/png"]
    clock.shift(dt.timedelta(minutes=2))
    assert book_missing_carriers() == 1
    outbox_sweep()
    outbox_sweep()
    assert [sent.subject for sent in mail.outbox][1:] == [
        f"Your drop-off code for return {return_request.number} is ready"
    ]
    _html, image = html_and_image(parsed(mail.outbox[1]))
    assert image.get_content() == scripted.code_image
    assert OutboxMessage.objects.filter(return_request=return_request).count() == 2


def test_without_the_carriers_picture_the_e_mail_has_no_related_part(scripted: type[ScriptedCarrier]) -> None:
    a_return("qr")
    outbox_sweep()
    [sent] = mail.outbox
    assert "multipart/related" not in [part.get_content_type() for part in parsed(sent).walk()]
    assert "cid:" not in parsed(sent).as_string()


def test_a_picture_that_cannot_be_read_leaves_it_out_and_the_e_mail_still_goes_once(
    scripted: type[ScriptedCarrier],
) -> None:
    scripted.code_image = qr_png()
    return_request = a_return("qr")
    default_storage.delete(ReturnRequest.objects.get(pk=return_request.pk).dropoff_code_image.name)
    outbox_sweep()
    outbox_sweep()
    [sent] = mail.outbox
    assert f"CODE-{return_request.pk}" in sent.body
    assert "image/png" not in [part.get_content_type() for part in parsed(sent).walk()]
