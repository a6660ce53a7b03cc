"""People with something to remember: orders, a settled return with a comment and a photo, its refund,
the e-mails and webhook deliveries about it, a survey answer, an offer and an objection to marketing."""

from __future__ import annotations

import datetime as dt
import io
from dataclasses import dataclass
from decimal import Decimal

from django.contrib.auth.models import User
from django.core import serializers
from django.utils import timezone

from followup.models import OfferCode, OutboxMessage, SurveyAnswer
from refunds.models import PaymentEvent, ProviderEventOutcome, Refund
from refunds.services import refund_confirm, refund_execute
from returns.models import Customer, Order, ReturnPhoto, ReturnRequest
from returns.services import LineRequest, ReceivedLine, return_create, return_receive
from tests.factories import CustomerFactory, OrderFactory, OrderLineFactory
from tests.returns.photo_data import add_photo


@dataclass
class Person:
    customer: Customer
    order: Order
    return_request: ReturnRequest
    refund: Refund
    photo: ReturnPhoto
    words: list[str]  # everything personal this person told the shop or the shop wrote about them


def person(staff: User, *, name: str, email: str, street: str, city: str, comment: str, survey: str) -> Person:
    """A customer whose return is completed and refunded, with every kind of personal data on it."""
    customer = CustomerFactory(name=name, email=email, street=street, city=city, postcode="90326")
    order = OrderFactory(customer=customer, payment_method="invoice")
    line = OrderLineFactory(order=order, unit_price=Decimal("800.00"), vat_rate=Decimal("25"))
    return_request = return_create(
        order=order, lines=[LineRequest(line.id, 1, "too_big", comment)], resolution="refund", method="label"
    )
    return_line = return_request.lines.get()
    photo = add_photo(return_line)
    accepted = ReceivedLine(return_line.id, 1, "resellable", accept=True, restock=True)
    return_receive(return_request=return_request, lines=[accepted], by=staff)
    refund = return_request.refunds.get()
    refund_execute(refund=refund, by=staff)
    refund = refund_confirm(refund=refund, by=staff, reference=f"BG-{order.number}")
    # A provider's event as it was sent, naming the shopper (Adyen's additionalData can).
    PaymentEvent.objects.create(
        provider="adyen",
        event_id=f"REFUND:{order.number}:true",
        kind="REFUND",
        refund=refund,
        outcome=ProviderEventOutcome.NOTED,
        payload={"additionalData": {"shopperEmail": email, "shopperName": name}},
    )
    return_request.refresh_from_db()
    SurveyAnswer.objects.create(return_request=return_request, score=2, comment=survey)
    OfferCode.objects.create(
        code=f"WB-{order.number}",
        customer=customer,
        return_request=return_request,
        percent=10,
        expires_on=timezone.localdate() + dt.timedelta(days=30),
    )
    # The confirmation went out; the thank-you waits for its day.
    OutboxMessage.objects.filter(return_request=return_request, kind="confirmation").update(
        state="sent", sent_at=timezone.now()
    )
    OutboxMessage.objects.filter(kind="webhook").update(state="sent", sent_at=timezone.now())
    return Person(customer, order, return_request, refund, photo, [name, email, street, city, comment, survey])


def everything_stored() -> str:
    """Every row of every model, as text: what a person's data must be absent from once forgotten."""
    from django.apps import apps

    buffer = io.StringIO()
    for model in apps.get_models():
        buffer.write(serializers.serialize("json", model._default_manager.all()))
    return buffer.getvalue()
