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

from followup.inline_images import EmailWithInlineImages, InlineImage, dropoff_code_images
from followup.models import FollowupSettings, Kind, OfferCode, OutboxMessage
from refunds.models import Refund, RefundMethod, StoreCredit
from refunds.store_credit import store_credit_bonus
from returns import deadlines
from returns.access import status_token
from returns.documents.for_return import drop_off_lines, label_pdf, packing_pdf
from returns.models import (
    LABELLED_METHODS,
    TO_BE_SENT_STATES,
    Order,
    Resolution,
    ReturnMethod,
    ReturnRequest,
    ReturnState,
)
from returns.outcomes import (
    LineOutcome,
    item_text,
    line_outcomes,
    nothing_accepted,
    nothing_comes_text,
    promise_text,
    replacements_text,
)
from returns.pickup_text import pickup_facts
from returns.services import return_address_fixable, return_needs_carrier
from returns_portal.core.l10n import format_day, format_money

# `payload["carrier"]` of the two confirmation notes the carrier's answer causes (`followup.receivers`).
CARRIER_READY = "ready"
CARRIER_REFUSED = "refused"


Attachment = tuple[str, bytes, str]  # file name, content, MIME type


@dataclass
class Content:
    subject: str
    heading: str
    paragraphs: list[str]
    facts: list[tuple[str, str]] = field(default_factory=list)
    button: tuple[str, str] | None = None
    choices: list[tuple[str, str]] = field(default_factory=list)  # the survey's one-click scores
    lines: list[LineOutcome] = field(default_factory=list)  # each item and what came of it, after inspection
    attachments: list[Attachment] = field(default_factory=list)
    images: list[InlineImage] = field(default_factory=list)  # shown in the HTML part, after the paragraphs
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
    email = EmailWithInlineImages(
        subject=content.subject,
        body=text,
        from_email=f"{settings.SHOP_NAME} <{settings.DEFAULT_FROM_EMAIL}>",
        to=[message.to],
        headers=headers,
        images=content.images,
    )
    email.attach_alternative(html, "text/html")
    for filename, data, mimetype in content.attachments:
        email.attach(filename, data, mimetype)
    return email


def _return(message: OutboxMessage) -> ReturnRequest:
    assert message.return_request_id is not None
    return ReturnRequest.objects.select_related("order__customer").get(pk=message.return_request_id)


def _outcomes(return_request: ReturnRequest) -> list[LineOutcome]:
    return line_outcomes(
        return_request.lines.select_related("order_line__variant__product", "exchange_variant__product")
    )


def _items(outcomes: list[LineOutcome]) -> str:
    return ", ".join(outcome.item for outcome in outcomes)


def _what_comes(return_request: ReturnRequest, outcomes: list[LineOutcome]) -> tuple[list[str], list[tuple[str, str]]]:
    """Before inspection: what the customer will get, in the words of what they chose; money only
    when money is the outcome. A paragraph or two, and facts."""
    currency = return_request.order.currency
    resolution = return_request.resolution
    if resolution == Resolution.REFUND:
        return [], [(_("Expected back"), format_money(return_request.expected_refund, currency))]
    if resolution == Resolution.STORE_CREDIT:
        facts = [(_("Store credit"), format_money(return_request.expected_refund, currency))]
        if return_request.store_credit_bonus:
            facts.append((_("Bonus included"), format_money(return_request.store_credit_bonus, currency)))
        return [_("We e-mail you the store credit code as soon as we have checked your parcel.")], facts
    if resolution == Resolution.EXCHANGE:
        return [promise_text(resolution)], [(_("You get"), replacements_text(outcomes))]
    return [promise_text(resolution)], []


def confirmation(message: OutboxMessage) -> Content:
    """Sent when the return is made, and again when support resends it: the label (or label-free code)
    and the instructions come along only while the parcel is still to be sent. Two later notes share
    the kind (and its wait for the carrier): the label or code that follows a late booking, and the
    request to correct an address the carrier refused (`payload["carrier"]`)."""
    return_request = _return(message)
    later = message.payload.get("carrier") if isinstance(message.payload, dict) else None
    if later == CARRIER_READY:
        return carrier_ready(return_request)
    if later == CARRIER_REFUSED:
        return carrier_refused(return_request)
    outcomes = _outcomes(return_request)
    promised, promised_facts = _what_comes(return_request, outcomes)
    paragraphs = [
        _("We have registered your return %(number)s for order %(order)s.")
        % {"number": return_request.number, "order": return_request.order.number},
        *promised,
    ]
    if return_request.state == ReturnState.REQUESTED:
        paragraphs.append(_("We look at your return first and e-mail you as soon as it is approved."))
        paragraphs.append(_("Please send the parcel only then."))
    attachments: list[Attachment] = []
    images: list[InlineImage] = []
    carrier_facts: list[tuple[str, str]] = []
    if return_request.state in TO_BE_SENT_STATES:
        packing = packing_pdf(return_request)
        if return_address_fixable(return_request):
            paragraphs += _address_refused_lines()
        else:
            paragraphs += drop_off_lines(return_request)
            if return_request.carrier_problem or return_needs_carrier(return_request):  # staff look into a refusal
                paragraphs += _follows_lines(return_request)
            else:
                carrier_facts, carrier_lines, attachments = _carrier_part(return_request, packing)
                paragraphs += carrier_lines
                images = dropoff_code_images(return_request)
        if return_request.state == ReturnState.APPROVED and return_request.method != ReturnMethod.PICKUP:
            # The send-by day counts from the approval: a return still waiting for it has none yet.
            paragraphs.append(
                _("Please send the parcel by %(day)s.") % {"day": format_day(deadlines.return_send_by(return_request))}
            )
        attachments.append((f"packing-{return_request.number}.pdf", packing, "application/pdf"))
    return Content(
        subject=_("Your return %(number)s is registered") % {"number": return_request.number},
        heading=_("Thank you, your return is registered"),
        paragraphs=paragraphs,
        facts=[(_("Items"), _items(outcomes)), *promised_facts, *carrier_facts, *pickup_facts(return_request)],
        button=(_("Follow your return"), status_url(return_request)),
        attachments=attachments,
        images=images,
    )


def carrier_ready(return_request: ReturnRequest) -> Content:
    """The carrier booked the return after the confirmation went out saying its label or code follows."""
    facts, paragraphs, attachments = _carrier_part(return_request)
    images = dropoff_code_images(return_request)
    if return_request.state in TO_BE_SENT_STATES:
        paragraphs = drop_off_lines(return_request) + paragraphs
    else:  # cancelled meanwhile, or already on its way: nothing to print or show
        paragraphs = [_("Your return %(number)s no longer needs to be sent.") % {"number": return_request.number}]
        facts, attachments, images = [], [], []
    subject, heading = _ready_words(return_request)
    return Content(
        subject=subject % {"number": return_request.number},
        heading=heading,
        paragraphs=paragraphs,
        facts=[*facts, *pickup_facts(return_request)],
        button=(_("Follow your return"), status_url(return_request)),
        attachments=attachments,
        images=images,
    )


def carrier_refused(return_request: ReturnRequest) -> Content:
    """The carrier refused the booking for something the customer can correct: one request to do it."""
    return Content(
        subject=_("Please check your address for return %(number)s") % {"number": return_request.number},
        heading=_("We need a correct address"),
        paragraphs=_address_refused_lines(),
        button=(_("Correct your address"), status_url(return_request)),
    )


def _ready_words(return_request: ReturnRequest) -> tuple[str, str]:
    if return_request.method == ReturnMethod.PICKUP:
        return _("Your pickup for return %(number)s is booked"), _("Your pickup is booked")
    if return_request.dropoff_code:
        return _("Your drop-off code for return %(number)s is ready"), _("Your drop-off code is ready")
    return _("Your return label for return %(number)s is ready"), _("Your return label is ready")


def _carrier_part(
    return_request: ReturnRequest, packing: bytes | None = None
) -> tuple[list[tuple[str, str]], list[str], list[Attachment]]:
    """What the carrier's booking gives the customer: the label-free code and where to show it, or the
    label (attached, and its link); facts, paragraphs and attachments. Nothing for pickups and the store.
    `packing`: the packing instructions already rendered for the same e-mail, which the label carries."""
    if return_request.method not in LABELLED_METHODS or not return_request.tracking_number:
        return [], [], []
    if return_request.dropoff_code:
        point = (return_request.service_point or {}).get("name", "")
        show = (
            _("Show this code at %(point)s: they print the label for you.") % {"point": point}
            if point
            else _("Show this code at the service point: they print the label for you.")
        )
        return [(_("Drop-off code"), return_request.dropoff_code)], [show], []
    label = (f"return-label-{return_request.number}.pdf", label_pdf(return_request, packing=packing), "application/pdf")
    lines = [_("The return label and the packing instructions are attached.")]
    return [(_("Label"), absolute(reverse("returns:label", args=[status_token(return_request)])))], lines, [label]


def _follows_lines(return_request: ReturnRequest) -> list[str]:
    """The carrier was unavailable: what follows, and when (a pickup's own lines say it already)."""
    if return_request.method == ReturnMethod.QR_DROPOFF:
        return [_("Your drop-off code follows in a separate e-mail as soon as the carrier has issued it.")]
    if return_request.method == ReturnMethod.LABEL:
        return [_("Your return label follows in a separate e-mail as soon as the carrier has issued it.")]
    return []


def _address_refused_lines() -> list[str]:
    return [
        _("The carrier could not accept the address we have for you, so your return is not booked yet."),
        _("Please correct your address on your return's page; we book the carrier again at once."),
    ]


def receipt(message: OutboxMessage) -> Content:
    """After inspection: what came of each item (and why, when it was rejected), then what follows
    from it in the words of what the customer chose."""
    return_request = _return(message)
    number = return_request.number
    outcomes = _outcomes(return_request)
    paragraphs = [_("Thank you: we have received and checked your return %(number)s.") % {"number": number}]
    facts: list[tuple[str, str]] = []
    if nothing_accepted(return_request, outcomes):
        paragraphs.append(nothing_comes_text(return_request.resolution))
    else:
        if any(outcome.rejected for outcome in outcomes):
            paragraphs.append(_("Some of the items we could not accept: see why below."))
        paragraphs.append(_outcome_after_inspection(return_request, outcomes, facts))
    return Content(
        subject=_("We have received your return %(number)s") % {"number": number},
        heading=_("Your parcel has arrived"),
        paragraphs=paragraphs,
        lines=outcomes,
        facts=facts,
        button=(_("Follow your return"), status_url(return_request)),
    )


def _outcome_after_inspection(
    return_request: ReturnRequest, outcomes: list[LineOutcome], facts: list[tuple[str, str]]
) -> str:
    """The sentence on what follows an accepted inspection; adds its facts (amounts, the new item)."""
    if return_request.resolution == Resolution.EXCHANGE:
        facts.append((_("You get"), replacements_text(outcomes)))
        return _("Your new item is on its way soon; we e-mail you the tracking number when it leaves.")
    if return_request.resolution == Resolution.REPAIR:
        return _("We now repair your item or send you a new one, at no cost to you.")
    refund = Refund.objects.filter(return_request=return_request).exclude(state="failed").first()
    if refund is None:
        return _("We have inspected your parcel. See the details on your return's page.")
    if refund.method == RefundMethod.STORE_CREDIT:
        credit = StoreCredit.objects.filter(refund=refund).first()  # issued by a task right after the inspection
        value = credit.amount if credit else refund.amount + store_credit_bonus(refund)
        facts.append((_("Store credit"), format_money(value, refund.currency)))
        return _("Your store credit code follows in a separate e-mail.")
    facts.append((_("Amount"), format_money(refund.amount, refund.currency)))
    facts.append((_("At the latest on"), format_day(refund.due_on)))
    return _("Your refund is being paid back to you.")


def approved(message: OutboxMessage) -> Content:
    """Staff approved a return that waited for it: the parcel may go now."""
    return_request = _return(message)
    outcomes = _outcomes(return_request)
    promised, promised_facts = _what_comes(return_request, outcomes)
    paragraphs = [
        _("Good news: we have approved your return %(number)s for order %(order)s.")
        % {"number": return_request.number, "order": return_request.order.number}
    ]
    if return_request.state in TO_BE_SENT_STATES:
        paragraphs += drop_off_lines(return_request)
        if return_request.method != ReturnMethod.PICKUP:
            paragraphs.append(
                _("Please send the parcel by %(day)s.") % {"day": format_day(deadlines.return_send_by(return_request))}
            )
        if return_request.method in LABELLED_METHODS:
            paragraphs.append(_("The return label and the packing instructions are on your return's page."))
    return Content(
        subject=_("Your return %(number)s is approved") % {"number": return_request.number},
        heading=_("Your return is approved"),
        paragraphs=paragraphs + promised,
        facts=[(_("Items"), _items(outcomes)), *promised_facts],
        button=(_("Follow your return"), status_url(return_request)),
    )


def rejected(message: OutboxMessage) -> Content:
    """Staff rejected a return before it was sent: why, in their words, and that nothing is to be sent."""
    return_request = _return(message)
    facts = [(_("Items"), _items(_outcomes(return_request)))]
    if return_request.rejection_reason:
        facts.insert(0, (_("Why"), return_request.rejection_reason))
    return Content(
        subject=_("Your return %(number)s was not accepted") % {"number": return_request.number},
        heading=_("We could not accept your return"),
        paragraphs=[
            _("We have looked at your return %(number)s for order %(order)s and cannot accept it.")
            % {"number": return_request.number, "order": return_request.order.number},
            _("Please do not send the items back."),
        ],
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
            *([(_("Bonus included"), format_money(credit.bonus, credit.currency))] if credit.bonus else []),
            (_("Use it by"), format_day(credit.expires_on)),
        ],
    )
    if refund.return_request is not None:
        content.button = (_("Follow your return"), status_url(refund.return_request))
    return content


def exchange_shipped(message: OutboxMessage) -> Content:
    return_request = _return(message)
    replacement = Order.objects.get(replacement_for=return_request)
    new_items = ", ".join(
        item_text(line.variant, line.quantity) for line in replacement.lines.select_related("variant__product")
    )
    facts = [(_("You get"), new_items), (_("Order"), replacement.number)]
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
    Kind.APPROVED: approved,
    Kind.REJECTED: rejected,
    Kind.RECEIPT: receipt,
    Kind.REFUND_SENT: refund_sent,
    Kind.STORE_CREDIT: store_credit,
    Kind.EXCHANGE_SHIPPED: exchange_shipped,
    Kind.THANKS: thanks,
    Kind.WINBACK: winback,
}
