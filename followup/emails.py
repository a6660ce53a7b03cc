"""Each outbox message as an e-mail: HTML and plain text, in the customer's language.

Every kind is described here as plain content (paragraphs, facts, a button);
two templates (`email/message.html`, `email/message.txt`) draw it in the
shop's frame. Content is read from the database when the message is sent, so
it is never stale, and the label PDF is made at that moment too.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from urllib.parse import urljoin

from django.conf import settings
from django.core import signing
from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _

from followup.models import FollowupSettings, Kind, OfferCode, OutboxMessage
from refunds.models import Refund, RefundMethod
from returns.access import status_token
from returns.documents.for_return import LABELLED_METHODS, drop_off_lines, label_pdf, packing_pdf, send_by
from returns.l10n import format_day, format_money
from returns.models import Order, Outcome, ReturnRequest, ReturnState
from returns.services import return_ensure_shipment

TO_BE_SENT = (ReturnState.REQUESTED, ReturnState.APPROVED)


@dataclass
class Content:
    subject: str
    heading: str
    paragraphs: list[str]
    facts: list[tuple[str, str]] = field(default_factory=list)
    button: tuple[str, str] | None = None
    choices: list[tuple[str, str]] = field(default_factory=list)  # the survey's one-click scores
    attachments: list[tuple[str, bytes, str]] = field(default_factory=list)
    marketing: bool = False


def absolute(path: str) -> str:
    return urljoin(settings.PORTAL_URL, path)


def status_url(return_request: ReturnRequest) -> str:
    return absolute(reverse("returns:status", args=[status_token(return_request)]))


def unsubscribe_url(email: str, language: str) -> str:
    token = signing.dumps([email.lower(), language], salt="followup.unsubscribe")
    return absolute(reverse("followup:unsubscribe", args=[token]))


def survey_url(return_request: ReturnRequest, score: int) -> str:
    token = signing.dumps(return_request.pk, salt="followup.survey")
    return absolute(reverse("followup:survey", args=[token, score]))


def build_email(message: OutboxMessage) -> EmailMultiAlternatives:
    with translation.override(message.language):
        content = BUILDERS[Kind(message.kind)](message)
        context = {
            "content": content,
            "shop_name": settings.SHOP_NAME,
            "colour": FollowupSettings.current().brand_colour,
            "unsubscribe": unsubscribe_url(message.to, message.language) if content.marketing else "",
            "language": message.language,
        }
        text = render_to_string("email/message.txt", context)
        html = render_to_string("email/message.html", context)
    headers = {"Message-ID": f"<{message.key.replace(':', '.')}@{settings.PORTAL_URL.split('//')[-1].strip('/')}>"}
    if content.marketing:
        headers["List-Unsubscribe"] = f"<{context['unsubscribe']}>"
        headers["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"  # RFC 8058: mail apps unsubscribe by POST
    email = EmailMultiAlternatives(
        subject=content.subject,
        body=text,
        from_email=f"{settings.SHOP_NAME} <{settings.DEFAULT_FROM_EMAIL}>",
        to=[message.to],
        headers=headers,
    )
    email.attach_alternative(html, "text/html")
    for filename, data, mimetype in content.attachments:
        email.attach(filename, data, mimetype)
    return email


def _return(message: OutboxMessage) -> ReturnRequest:
    assert message.return_request_id is not None
    return ReturnRequest.objects.select_related("order__customer").get(pk=message.return_request_id)


def _items(return_request: ReturnRequest, accepted_only: bool = False) -> str:
    lines = return_request.lines.select_related("order_line__variant__product")
    return ", ".join(
        f"{line.received_quantity if accepted_only else line.quantity} × {line.order_line.variant.product.name}"
        for line in lines
        if not accepted_only or (line.outcome == Outcome.ACCEPTED and line.received_quantity)
    )


def confirmation(message: OutboxMessage) -> Content:
    """Sent when the return is made, and again when support resends it: the label and the
    instructions come along only while the parcel is still to be sent."""
    return_request = return_ensure_shipment(return_request=_return(message))
    currency = return_request.order.currency
    paragraphs = [
        _("We have registered your return %(number)s for order %(order)s.")
        % {"number": return_request.number, "order": return_request.order.number},
    ]
    attachments = []
    if return_request.state in TO_BE_SENT:
        paragraphs += [
            *drop_off_lines(return_request),
            _("Please send the parcel by %(day)s.") % {"day": format_day(send_by(return_request))},
        ]
        attachments.append((f"packing-{return_request.number}.pdf", packing_pdf(return_request), "application/pdf"))
        if return_request.method in LABELLED_METHODS:
            paragraphs.append(_("The return label and the packing instructions are attached."))
            label = (f"return-label-{return_request.number}.pdf", label_pdf(return_request), "application/pdf")
            attachments.insert(0, label)
    return Content(
        subject=_("Your return %(number)s is registered") % {"number": return_request.number},
        heading=_("Thank you, your return is registered"),
        paragraphs=paragraphs,
        facts=[
            (_("Items"), _items(return_request)),
            (_("Expected back"), format_money(return_request.expected_refund, currency)),
        ],
        button=(_("Follow your return"), status_url(return_request)),
        attachments=attachments,
    )


def receipt(message: OutboxMessage) -> Content:
    return_request = _return(message)
    number = return_request.number
    currency = return_request.order.currency
    facts = [(_("Received"), _items(return_request, accepted_only=True) or "-")]
    refund = Refund.objects.filter(return_request=return_request).exclude(state="failed").first()
    if return_request.resolution == "exchange":
        outcome = _("Your new item is on its way soon; we e-mail you the tracking number when it leaves.")
    elif refund is not None:
        facts.append((_("Amount"), format_money(refund.amount, currency)))
        facts.append((_("At the latest on"), format_day(refund.due_on)))
        outcome = (
            _("Your store credit code follows in a separate e-mail.")
            if refund.method == RefundMethod.STORE_CREDIT
            else _("Your refund is being paid back to you.")
        )
    else:
        outcome = _("We have inspected your parcel. See the details on your return's page.")
    return Content(
        subject=_("We have received your return %(number)s") % {"number": number},
        heading=_("Your parcel has arrived"),
        paragraphs=[_("Thank you: we have received and checked your return %(number)s.") % {"number": number}, outcome],
        facts=facts,
        button=(_("Follow your return"), status_url(return_request)),
    )


def _refund(message: OutboxMessage) -> Refund:
    return Refund.objects.select_related("order", "return_request").get(pk=message.payload["refund_id"])


def refund_sent(message: OutboxMessage) -> Content:
    refund = _refund(message)
    amount = format_money(refund.amount, refund.currency)
    paid_on = format_day(refund.paid_at.date()) if refund.paid_at else ""
    paid_back = (
        _("We paid %(amount)s back to your bank account on %(day)s.")
        if refund.method == RefundMethod.BANK_TRANSFER
        else _("We paid %(amount)s back to the card or account you paid with on %(day)s.")
    )
    content = Content(
        subject=_("Your refund of %(amount)s is on its way") % {"amount": amount},
        heading=_("Your money is on its way"),
        paragraphs=[
            paid_back % {"amount": amount, "day": paid_on},
            _("Depending on your bank, it shows on your account within a few working days."),
        ],
        facts=[(_("Order"), refund.order.number), (_("Reference"), refund.provider_reference or "-")],
    )
    if refund.return_request is not None:
        content.button = (_("Follow your return"), status_url(refund.return_request))
    return content


def store_credit(message: OutboxMessage) -> Content:
    refund = _refund(message)
    credit = refund.store_credit
    amount = format_money(credit.amount, credit.currency)
    content = Content(
        subject=_("Your store credit of %(amount)s") % {"amount": amount},
        heading=_("Your store credit is ready"),
        paragraphs=[_("Use this code at checkout. It can be used once, for up to its full value.")],
        facts=[
            (_("Code"), credit.code),
            (_("Value"), amount),
            (_("Use it by"), format_day(credit.expires_on)),
        ],
    )
    if refund.return_request is not None:
        content.button = (_("Follow your return"), status_url(refund.return_request))
    return content


def exchange_shipped(message: OutboxMessage) -> Content:
    return_request = _return(message)
    replacement = Order.objects.get(replacement_for=return_request)
    facts = [(_("Order"), replacement.number)]
    if replacement.shipment_tracking:
        facts.append((_("Tracking number"), replacement.shipment_tracking))
    return Content(
        subject=_("Your new item is on its way"),
        heading=_("Your exchange is on its way"),
        paragraphs=[_("We have sent your new item, at no cost to you.")],
        facts=facts,
        button=(_("Follow your return"), status_url(return_request)),
    )


def thanks(message: OutboxMessage) -> Content:
    return_request = _return(message)
    return Content(
        subject=_("How was your return?"),
        heading=_("Thank you for your patience"),
        paragraphs=[
            _("Your return %(number)s is complete.") % {"number": return_request.number},
            _("How easy was it? One click is enough: 1 is hard, 5 is easy."),
        ],
        choices=[(str(score), survey_url(return_request, score)) for score in range(1, 6)],
    )


def winback(message: OutboxMessage) -> Content:
    offer = OfferCode.objects.get(pk=message.payload["offer_id"])
    return Content(
        subject=_("%(percent)s%% off your next order") % {"percent": offer.percent},
        heading=_("We would love to see you again"),
        paragraphs=[
            _("Your last return is settled. Here is %(percent)s%% off your next order, just for you.")
            % {"percent": offer.percent},
        ],
        facts=[(_("Code"), offer.code), (_("Use it by"), format_day(offer.expires_on))],
        marketing=True,
    )


BUILDERS: dict[Kind, Callable[[OutboxMessage], Content]] = {
    Kind.CONFIRMATION: confirmation,
    Kind.RECEIPT: receipt,
    Kind.REFUND_SENT: refund_sent,
    Kind.STORE_CREDIT: store_credit,
    Kind.EXCHANGE_SHIPPED: exchange_shipped,
    Kind.THANKS: thanks,
    Kind.WINBACK: winback,
}
