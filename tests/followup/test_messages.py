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
from followup.outbox import MAX_ATTEMPTS, NotFailed, outbox_resend, outbox_send, outbox_sweep
from refunds.services import refund_confirm, refund_execute
from returns.models import ReturnRequest
from returns.services import LineRequest, ReceivedLine, return_create, return_receive
from tests.factories import CustomerFactory, OrderFactory, OrderLineFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff() -> User:
    return User.objects.create_user("lager", is_staff=True)


def a_return(language: str = "sv", resolution: str = "refund", method: str = "label") -> ReturnRequest:
    customer = CustomerFactory(language=language)
    order = OrderFactory(customer=customer, language=language, payment_method="invoice")
    line = OrderLineFactory(order=order, unit_price=Decimal("400.00"))
    return return_create(order=order, lines=[LineRequest(line.id, 1, "too_big")], resolution=resolution, method=method)


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
    url = reverse("followup:resend", args=[return_request.pk])
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
    assert client.post(reverse("followup:resend", args=[return_request.pk])).status_code == 403
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
