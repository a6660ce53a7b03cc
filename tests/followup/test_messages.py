"""Follow-up e-mails: written with their event, sent once, in the customer's language."""

from __future__ import annotations

import datetime as dt
import io
import smtplib
from decimal import Decimal
from unittest import mock

import pytest
from django.contrib.auth.models import User
from django.core import mail
from django.utils import timezone

from followup.models import MessageState, OutboxMessage
from followup.outbox import NotFailed, outbox_resend
from followup.sending import MAX_ATTEMPTS, outbox_send, outbox_sweep
from refunds.services import refund_confirm, refund_execute
from refunds.tasks import pay_refund
from returns.models import ReturnRequest
from returns.services import LineRequest, ReceivedLine, return_create, return_receive
from tests.factories import CustomerFactory, OrderFactory, OrderLineFactory, carrier_booked

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff() -> User:
    return User.objects.create_user("lager", is_staff=True)


def a_return(language: str = "sv", resolution: str = "refund", method: str = "label") -> ReturnRequest:
    customer = CustomerFactory(language=language)
    order = OrderFactory(customer=customer, language=language, payment_method="invoice")
    line = OrderLineFactory(order=order, unit_price=Decimal("400.00"))
    return carrier_booked(
        return_create(order=order, lines=[LineRequest(line.id, 1, "too_big")], resolution=resolution, method=method)
    )


def test_a_new_return_sends_one_confirmation_with_the_label_and_packing_instructions(
    django_capture_on_commit_callbacks,
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        return_request = a_return(language="sv")
    [email] = mail.outbox
    assert email.to == [return_request.order.customer.email]
    assert email.subject == f"Din retur {return_request.number} är registrerad"
    assert [name for name, _data, _type in email.attachments] == [
        f"return-label-{return_request.number}.pdf",
        f"packing-{return_request.number}.pdf",
    ]
    assert all(data.startswith(b"%PDF") for _name, data, _type in email.attachments)
    html = email.alternatives[0][0]
    assert "/r/" in email.body and "/r/" in html  # the status link, in both parts
    assert "Unsubscribe" not in email.body and "List-Unsubscribe" not in email.extra_headers  # service mail
    message = OutboxMessage.objects.get()
    assert (message.kind, message.state, message.attempts) == ("confirmation", "sent", 1)
    # The task running again, or the sweep, sends nothing more.
    assert outbox_send(message.pk) == "skipped"
    assert outbox_sweep() == 0
    assert len(mail.outbox) == 1


@pytest.mark.parametrize("language", ["en", "sv", "fi", "nb", "da"])
def test_every_message_reads_in_the_customers_language(language: str, staff: User) -> None:
    return_request = a_return(language=language)
    line = return_request.lines.get()
    return_receive(return_request=return_request, lines=[ReceivedLine(line.id, 1, "resellable", True)], by=staff)
    refund = return_request.refunds.get()
    refund_execute(refund=refund, by=staff)
    refund_confirm(refund=refund, by=staff, reference="BG-1")
    messages = OutboxMessage.objects.order_by("pk")
    assert [m.kind for m in messages] == ["confirmation", "receipt", "refund_sent", "thanks"]
    later = timezone.now() + dt.timedelta(days=30)
    sent = [outbox_send(message.pk, now=later) for message in messages]
    assert sent == ["sent"] * 4
    subjects = [email.subject for email in mail.outbox]
    english = ["Your return", "We have received", "Your refund of", "How was your return?"]
    for subject, start in zip(subjects, english, strict=True):
        assert subject.startswith(start) == (language == "en"), subject


def test_the_thank_you_waits_n_days_and_carries_five_one_click_scores(staff: User) -> None:
    return_request = a_return(language="en")
    line = return_request.lines.get()
    return_receive(return_request=return_request, lines=[ReceivedLine(line.id, 1, "resellable", True)], by=staff)
    refund = refund_execute(refund=return_request.refunds.get(), by=staff)
    refund_confirm(refund=refund, by=staff)
    thanks = OutboxMessage.objects.get(kind="thanks")
    assert outbox_send(thanks.pk) == "skipped"  # not due yet
    assert outbox_send(thanks.pk, now=thanks.send_after) == "sent"
    email = mail.outbox[-1]
    assert email.body.count("/mail/survey/") == 5


def test_store_credit_and_its_code_are_told_in_their_own_message(staff: User) -> None:
    return_request = a_return(language="en", resolution="store_credit")
    line = return_request.lines.get()
    return_receive(return_request=return_request, lines=[ReceivedLine(line.id, 1, "resellable", True)], by=staff)
    pay_refund(return_request.refunds.get().pk)  # the task the inspection's commit queues
    credit_message = OutboxMessage.objects.get(kind="store_credit")
    outbox_send(credit_message.pk)
    code = return_request.refunds.get().store_credit.code
    assert code in mail.outbox[-1].body


def test_a_failing_mail_server_is_retried_with_pauses_then_the_message_is_failed_and_can_be_resent() -> None:
    a_return(language="en")
    message = OutboxMessage.objects.get()
    now = timezone.now()
    with mock.patch("django.core.mail.EmailMultiAlternatives.send", side_effect=smtplib.SMTPServerDisconnected("gone")):
        for attempt in range(1, MAX_ATTEMPTS + 1):
            message.refresh_from_db()
            assert outbox_send(message.pk, now=max(now, message.send_after)) == "failed"
            message.refresh_from_db()
            assert message.attempts == attempt
    assert message.state == MessageState.FAILED
    assert message.last_error == "SMTPServerDisconnected: gone"
    outbox_resend(message)
    assert outbox_send(message.pk) == "sent"
    with pytest.raises(NotFailed):
        outbox_resend(message)


@pytest.fixture
def agent(client):
    from django.contrib.auth.models import Group

    user = User.objects.create_user("agent", password="x", is_staff=True)
    user.groups.add(Group.objects.get(name="Support"))
    client.force_login(user)
    return client


def test_support_resends_the_status_link_and_label_once_per_click_burst(agent, django_capture_on_commit_callbacks):
    from django.urls import reverse

    return_request = a_return(language="en")
    url = reverse("support:resend", args=[return_request.pk])
    assert agent.get(url).status_code == 405
    with django_capture_on_commit_callbacks(execute=True):
        response = agent.post(url)
        agent.post(url)  # a double click
    assert response["Location"] == f"/support/?q={return_request.number}"
    [email] = mail.outbox
    assert email.to == [return_request.order.customer.email]
    assert email.attachments[0][0] == f"return-label-{return_request.number}.pdf"
    page = agent.get(response["Location"]).content.decode()
    assert "Return confirmation — sent" in page


def test_only_roles_with_the_right_may_resend(client) -> None:
    from django.urls import reverse

    return_request = a_return(language="en")
    client.force_login(User.objects.create_user("visitor", password="x", is_staff=True))
    assert client.post(reverse("support:resend", args=[return_request.pk])).status_code == 403
    assert OutboxMessage.objects.filter(return_request=return_request).count() == 1  # only the first confirmation


def test_the_exchange_notice_gives_the_replacements_tracking_number(staff: User) -> None:
    from returns.models import Order
    from returns.services import replacement_ship
    from tests.factories import VariantFactory

    order = OrderFactory(customer=CustomerFactory(language="en"), language="en")
    line = OrderLineFactory(order=order)
    larger = VariantFactory(product=line.variant.product, option="L")
    return_request = return_create(
        order=order,
        lines=[LineRequest(line.id, 1, "too_small", exchange_variant_id=larger.id)],
        resolution="exchange",
        method="label",
    )
    return_receive(
        return_request=return_request,
        lines=[ReceivedLine(return_request.lines.get().id, 1, "resellable", True)],
        by=staff,
    )
    replacement_ship(order=Order.objects.get(replacement_for=return_request), tracking_number="CR9SE", by=staff)
    notice = OutboxMessage.objects.get(kind="exchange_shipped")
    assert outbox_send(notice.pk) == "sent"
    assert "CR9SE" in mail.outbox[-1].body
    assert mail.outbox[-1].subject == "Your new item is on its way"


def test_without_celery_beat_one_command_runs_the_periodic_jobs(staff: User) -> None:
    from django.core.management import call_command

    return_request = a_return(language="en")
    OutboxMessage.objects.filter(return_request=return_request).update(send_after=timezone.now())
    thanks = OutboxMessage.objects.create(
        key="thanks:due", kind="thanks", to="a@example.com", language="en", return_request=return_request,
        send_after=timezone.now() - dt.timedelta(minutes=1),
    )  # fmt: skip
    output = io.StringIO()
    call_command("run_periodic", stdout=output)
    assert "2 e-mails sent or queued" in output.getvalue()
    thanks.refresh_from_db()
    assert thanks.state == "sent"
    assert OutboxMessage.objects.filter(state="pending").count() == 0


# --- What the customer is told: per resolution, and why something was not accepted -------------------


def two_items(language: str = "en", resolution: str = "refund", auto_approve: bool = True) -> ReturnRequest:
    """A jacket (1 000 kr) and two pairs of socks (100 kr each) coming back."""
    from returns.models import ReturnPolicy
    from tests.factories import VariantFactory

    policy = ReturnPolicy.current()
    if policy.auto_approve != auto_approve:
        policy.auto_approve = auto_approve
        policy.save()
    order = OrderFactory(customer=CustomerFactory(language=language), language=language, payment_method="card")
    jacket = OrderLineFactory(
        order=order, unit_price=Decimal("1000.00"), variant__product__name="Rain jacket", variant__option="M / Navy"
    )
    socks = OrderLineFactory(
        order=order, quantity=2, unit_price=Decimal("100.00"), variant__product__name="Wool socks", variant__option="S"
    )
    exchange = resolution == "exchange"
    larger = VariantFactory(product=jacket.variant.product, option="L / Navy") if exchange else None
    bigger = VariantFactory(product=socks.variant.product, option="XL") if exchange else None
    return carrier_booked(
        return_create(
            order=order,
            lines=[
                LineRequest(jacket.id, 1, "too_big", exchange_variant_id=larger.id if larger else None),
                LineRequest(socks.id, 2, "changed_mind", exchange_variant_id=bigger.id if bigger else None),
            ],
            resolution=resolution,
            method="label",
        )
    )


WORN = "The socks have been worn and washed."


def inspect(return_request: ReturnRequest, staff: User, *, jacket: bool = True, socks: bool = False) -> None:
    jacket_line, socks_line = return_request.lines.order_by("id")
    verdicts = [
        ReceivedLine(jacket_line.id, 1, "resellable", True) if jacket else ReceivedLine(
            jacket_line.id, 1, "damaged", False, reason="A tear in the left sleeve."),
        ReceivedLine(socks_line.id, 2, "resellable", True) if socks else ReceivedLine(
            socks_line.id, 2, "damaged", False, reason=WORN),
    ]  # fmt: skip
    return_receive(return_request=return_request, lines=verdicts, by=staff)


def sent(return_request: ReturnRequest, kind: str):
    """The one e-mail of this kind about the return, sent through the outbox: plain text and HTML."""
    message = OutboxMessage.objects.get(return_request=return_request, kind=kind)
    if message.state == MessageState.PENDING:
        assert outbox_send(message.pk) == "sent"
    message_id = f"<{message.key.replace(':', '.')}@"
    [email] = [email for email in mail.outbox if email.extra_headers["Message-ID"].startswith(message_id)]
    return email, email.alternatives[0][0]


@pytest.mark.parametrize(
    ("language", "accepted", "rejected", "amount"),
    [("en", "Accepted", "Rejected", "SEK951.00"), ("sv", "Godtagen", "Avslagen", "951,00\xa0kr")],
)
def test_the_receipt_tells_what_was_accepted_and_why_the_rest_was_not(
    staff: User, language: str, accepted: str, rejected: str, amount: str
) -> None:
    return_request = two_items(language=language)
    inspect(return_request, staff)
    email, html = sent(return_request, "receipt")
    body = email.body
    assert "Received: -" not in body and ": -\n" not in body
    assert f"1 × Rain jacket · M / Navy: {accepted}" in body
    assert f"2 × Wool socks · S: {rejected} — {WORN}" in body
    assert WORN in html and "Rain jacket" in html
    assert amount in body  # the jacket less the return fee: only what was accepted is paid back
    assert return_request.refunds.get().amount == Decimal("951.00")
    if language == "sv":
        assert "Några av varorna kunde vi inte godta" in body


@pytest.mark.parametrize("language", ["en", "da"])
def test_a_receipt_with_nothing_accepted_says_nothing_is_paid_back(staff: User, language: str) -> None:
    return_request = two_items(language=language)
    inspect(return_request, staff, jacket=False, socks=False)
    assert not return_request.refunds.exists()
    email, _html = sent(return_request, "receipt")
    expected = {
        "en": "We could not accept any of the items, so nothing is paid back.",
        "da": "Vi kunne ikke godkende nogen af varerne, så der bliver ikke betalt noget tilbage.",
    }[language]
    assert expected in email.body
    assert "A tear in the left sleeve." in email.body and WORN in email.body


@pytest.mark.parametrize("language", ["en", "fi"])
def test_rejecting_a_return_sends_one_email_with_the_reason(staff: User, language: str) -> None:
    from returns.services import return_reject

    return_request = two_items(language=language, auto_approve=False)
    reason = "The jacket was bought more than a year ago."
    return_reject(return_request=return_request, by=staff, reason=reason)
    assert OutboxMessage.objects.filter(return_request=return_request, kind="rejected").count() == 1
    email, html = sent(return_request, "rejected")
    subject = {
        "en": f"Your return {return_request.number} was not accepted",
        "fi": f"Palautustasi {return_request.number} ei hyväksytty",
    }[language]
    assert email.subject == subject
    assert reason in email.body and reason in html
    assert "/r/" in email.body  # the status page says it too
    do_not_send = {"en": "Please do not send the items back.", "fi": "Älä lähetä tuotteita takaisin."}[language]
    assert do_not_send in email.body


@pytest.mark.parametrize("language", ["en", "nb"])
def test_approving_a_return_that_waited_sends_one_email_and_auto_approval_none(staff: User, language: str) -> None:
    from returns.services import return_transition

    automatic = two_items(language=language)
    assert automatic.state == "approved"
    waiting = two_items(language=language, auto_approve=False)
    return_transition(return_request=waiting, to="approved", by=staff)
    assert list(OutboxMessage.objects.filter(kind="approved").values_list("return_request", flat=True)) == [waiting.pk]
    email, _html = sent(waiting, "approved")
    subject = {
        "en": f"Your return {waiting.number} is approved",
        "nb": f"Returen din {waiting.number} er godkjent",
    }[language]
    assert email.subject == subject
    send_by = {"en": "Please send the parcel by", "nb": "Send pakken senest"}[language]
    assert send_by in email.body


@pytest.mark.parametrize(
    ("resolution", "told", "not_told"),
    [
        ("refund", ["Expected back: SEK1,200.00"], ["Store credit"]),
        ("store_credit", ["Store credit: SEK1,315.10", "Bonus included: SEK115.10"], ["Expected back"]),
        ("exchange", ["You get: 1 × Rain jacket · L / Navy, 2 × Wool socks · XL"], ["Expected back", "SEK"]),
    ],
)
def test_the_confirmation_speaks_of_money_only_when_money_is_the_outcome(
    resolution: str, told: list[str], not_told: list[str]
) -> None:
    return_request = two_items(language="en", resolution=resolution)
    email, _html = sent(return_request, "confirmation")
    for text in told:
        assert text in email.body
    for text in not_told:
        assert text not in email.body


def test_a_repair_is_confirmed_as_a_repair_without_money(staff: User) -> None:
    order = OrderFactory(customer=CustomerFactory(language="sv"), language="sv")
    line = OrderLineFactory(order=order, unit_price=Decimal("1290.00"), variant__product__name="Earbuds")
    return_request = carrier_booked(
        return_create(
            order=order, lines=[LineRequest(line.id, 1, "defective")], resolution="repair", method="label", by=staff
        )
    )  # made by staff, who saw the photos elsewhere
    email, _html = sent(return_request, "confirmation")
    assert "Vi kontrollerar varan när den kommer fram och reparerar den eller skickar en ny" in email.body
    assert "kr" not in email.body and "Du får tillbaka" not in email.body
    inspect_one = ReceivedLine(return_request.lines.get().id, 1, "defective", True)
    return_receive(return_request=return_request, lines=[inspect_one], by=staff)
    receipt, _html = sent(return_request, "receipt")
    assert "Nu reparerar vi varan eller skickar en ny" in receipt.body
    assert "kr" not in receipt.body


def test_the_store_credit_code_comes_with_its_value_and_bonus(staff: User) -> None:
    return_request = two_items(language="en", resolution="store_credit")
    inspect(return_request, staff)
    receipt, _html = sent(return_request, "receipt")  # may go out before the code is made: the same value
    pay_refund(return_request.refunds.get().pk)  # the task the inspection's commit queues
    credit = return_request.refunds.get().store_credit
    assert f"Store credit: SEK{credit.amount:,.2f}" in receipt.body
    assert "Refund" not in receipt.body and "paid back" not in receipt.body
    email, html = sent(return_request, "store_credit")
    assert credit.code in email.body and credit.code in html
    assert f"Value: SEK{credit.amount:,.2f}" in email.body
    assert f"Bonus included: SEK{credit.bonus:,.2f}" in email.body


@pytest.mark.parametrize("language", ["en", "sv"])
def test_an_exchange_names_the_new_item_when_received_and_when_shipped(staff: User, language: str) -> None:
    from returns.models import Order
    from returns.services import replacement_ship

    return_request = two_items(language=language, resolution="exchange")
    inspect(return_request, staff)  # the socks are rejected: only the jacket is exchanged
    receipt, _html = sent(return_request, "receipt")
    you_get = {"en": "You get", "sv": "Du får"}[language]
    assert f"{you_get}: 1 × Rain jacket · L / Navy\n" in receipt.body
    assert "kr" not in receipt.body and "SEK" not in receipt.body
    replacement_ship(order=Order.objects.get(replacement_for=return_request), tracking_number="CR9SE", by=staff)
    shipped, _html = sent(return_request, "exchange_shipped")
    assert f"{you_get}: 1 × Rain jacket · L / Navy\n" in shipped.body
    assert "CR9SE" in shipped.body
