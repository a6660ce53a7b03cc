"""Win-back offers only with consent, never after an objection, within the cap; the survey
records one answer per return; unsubscribing is one click and for good."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.contrib.auth.models import User
from django.core import mail, signing
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from followup.emails import survey_url, unsubscribe_url
from followup.models import FollowupSettings, MarketingObjection, OfferCode, OutboxMessage, SurveyAnswer
from followup.sending import outbox_send
from followup.winback import winback_candidates, winback_offer
from returns.models import Customer, ReturnRequest, ReturnState
from returns.services import LineRequest, return_create, return_transition
from tests.factories import CustomerFactory, OrderFactory, OrderLineFactory

pytestmark = pytest.mark.django_db
DAY = dt.timedelta(days=1)


def completed_return(customer: Customer, days_ago: int = 40) -> ReturnRequest:
    """A return requested and completed `days_ago` days ago."""
    then = timezone.now() - days_ago * DAY
    order = OrderFactory(
        customer=customer, language=customer.language, placed_at=then - 5 * DAY, delivered_at=then - 3 * DAY
    )
    line = OrderLineFactory(order=order, unit_price=Decimal("300"))
    return_request = return_create(
        order=order, lines=[LineRequest(line.id, 1, "too_big")], resolution="refund", method="label", now=then
    )
    for state in (ReturnState.RECEIVED, ReturnState.INSPECTED, ReturnState.COMPLETED):
        return_transition(return_request=return_request, to=state, now=then)
    return return_request


def consenting(**kwargs: object) -> Customer:
    return CustomerFactory(marketing_consent=True, **kwargs)


def candidates() -> set[int]:
    return {customer_id for _return_id, customer_id in winback_candidates()}


def test_only_customers_who_said_yes_get_an_offer_unless_the_shop_uses_the_soft_opt_in() -> None:
    yes, no = consenting(), CustomerFactory(marketing_consent=False)
    completed_return(yes)
    completed_return(no)
    assert candidates() == {yes.pk}
    rules = FollowupSettings.current()
    rules.soft_opt_in = True
    rules.save()
    assert candidates() == {yes.pk, no.pk}


def test_too_recent_returns_new_orders_and_open_returns_rule_a_customer_out() -> None:
    too_recent, bought_again, has_open, waiting = consenting(), consenting(), consenting(), consenting()
    completed_return(too_recent, days_ago=10)
    completed_return(bought_again)
    OrderFactory(customer=bought_again, placed_at=timezone.now() - 5 * DAY)
    completed_return(has_open)
    line = OrderLineFactory(order=OrderFactory(customer=has_open))
    return_create(order=line.order, lines=[LineRequest(line.id, 1, "too_big")], resolution="refund", method="label")
    completed_return(waiting)
    assert candidates() == {waiting.pk}


def test_an_unsubscribe_is_honoured_for_good_and_withholds_an_offer_already_queued(client: Client) -> None:
    customer = consenting(email="Anna@Example.se")
    return_request = completed_return(customer)
    offer = winback_offer(return_id=return_request.pk, customer_id=customer.pk)
    assert offer is not None
    message = OutboxMessage.objects.get(kind="winback")
    page = client.get(unsubscribe_url(customer.email, "sv"))
    assert "Du får inga fler erbjudanden från oss" in page.content.decode()
    assert MarketingObjection.objects.filter(email="anna@example.se").exists()
    assert outbox_send(message.pk) == "withheld"
    assert mail.outbox == []
    completed_return(customer, days_ago=35)  # a later return, still consenting in the shop's data
    assert candidates() == set()


def test_one_offer_per_return_and_per_cap_period() -> None:
    customer = consenting()
    first = completed_return(customer, days_ago=200)
    old_offer = winback_offer(return_id=first.pk, customer_id=customer.pk, now=timezone.now() - 160 * DAY)
    assert old_offer is not None
    assert winback_offer(return_id=first.pk, customer_id=customer.pk) is None  # selected twice: one code
    completed_return(customer, days_ago=40)
    assert candidates() == {customer.pk}  # the last offer was 160 days ago: outside the 90-day cap
    winback_offer(return_id=winback_candidates()[0][0], customer_id=customer.pk)
    assert OfferCode.objects.count() == 2
    completed_return(customer, days_ago=35)
    assert candidates() == set()  # an offer 0 days ago: within the cap


def test_the_offer_mail_has_a_one_click_unsubscribe_link_and_header() -> None:
    customer = consenting(language="da")
    offer = winback_offer(return_id=completed_return(customer).pk, customer_id=customer.pk)
    assert offer is not None
    outbox_send(OutboxMessage.objects.get(kind="winback").pk)
    [email] = mail.outbox
    assert offer.code in email.body
    assert email.subject == f"{offer.percent} % rabat på din næste ordre"
    link = unsubscribe_url(customer.email, "da")
    assert email.extra_headers["List-Unsubscribe"] == f"<{link}>"
    assert email.extra_headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert link in email.body


def test_mail_apps_unsubscribe_by_post_without_a_csrf_token() -> None:
    strict = Client(enforce_csrf_checks=True)
    assert strict.post(unsubscribe_url("ola@example.no", "nb"), {"List-Unsubscribe": "One-Click"}).status_code == 200
    assert MarketingObjection.objects.filter(email="ola@example.no").exists()


def test_a_forged_unsubscribe_or_survey_link_is_refused(client: Client) -> None:
    assert client.get(reverse("followup:unsubscribe", args=["not-a-token"])).status_code == 404
    assert client.get(reverse("followup:survey", args=["nope", 5])).status_code == 404
    assert not MarketingObjection.objects.exists()


def test_the_survey_records_one_answer_per_return_from_one_click(client: Client) -> None:
    return_request = completed_return(consenting())
    assert client.get(survey_url(return_request, 2)).status_code == 200
    page = client.get(survey_url(return_request, 4))  # changed their mind
    assert "Du gav din retur 4 av 5." in page.content.decode()  # the return was made in Swedish
    client.post(survey_url(return_request, 4), {"comment": "Quick refund, thanks"})
    answer = SurveyAnswer.objects.get()
    assert (answer.return_request_id, answer.score, answer.comment) == (return_request.pk, 4, "Quick refund, thanks")
    token = signing.dumps(return_request.pk, salt="followup.survey")
    assert client.get(reverse("followup:survey", args=[token, 9])).status_code == 404
    assert SurveyAnswer.objects.count() == 1


def test_answers_show_in_the_admin(admin_client: Client) -> None:
    return_request = completed_return(consenting())
    SurveyAnswer.objects.create(return_request=return_request, score=5, comment="Easy as pie")
    page = admin_client.get(reverse("admin:followup_surveyanswer_changelist")).content.decode()
    assert "Easy as pie" in page and return_request.number in page


def test_staff_resend_a_failed_message_from_the_admin(admin_client: Client, admin_user: User) -> None:
    completed_return(consenting())
    message = OutboxMessage.objects.get(kind="confirmation")
    OutboxMessage.objects.filter(pk=message.pk).update(state="failed", attempts=5, last_error="SMTP down")
    url = reverse("admin:followup_outboxmessage_changelist")
    assert "SMTP down" in admin_client.get(url).content.decode()
    admin_client.post(url, {"action": "resend", "_selected_action": [message.pk]})
    message.refresh_from_db()
    assert (message.state, message.attempts) == ("pending", 0)
