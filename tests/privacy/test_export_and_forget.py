"""The right of access and the right to erasure, from the outside: `export_customer` shows a person
everything held about them and nothing of anyone else; `forget_customer` leaves nothing of them
anywhere in the database or the photo storage, while the books and the insight still add up."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
from collections.abc import Callable
from typing import Any

import pytest
from django.contrib.admin.models import CHANGE, LogEntry
from django.contrib.auth.models import User
from django.contrib.contenttypes.models import ContentType
from django.core.files.storage import default_storage
from django.core.management import CommandError, call_command
from django.utils import timezone

from followup.models import MarketingObjection, OutboxMessage, WebhookSubscriber
from refunds.bookkeeping import report_csv
from refunds.models import Refund, RefundLine
from returns.insight import product_rates
from returns.models import Customer, Order, ReturnLine, ReturnRequest
from returns_portal.core.periods import Period
from returns_portal.privacy.models import Erasure
from tests.privacy.scenes import Person, everything_stored, person

pytestmark = pytest.mark.django_db
DAY = dt.timedelta(days=1)


@pytest.fixture
def staff() -> User:
    return User.objects.create_user("lager", is_staff=True)


@pytest.fixture
def anna(staff: User) -> Person:
    WebhookSubscriber.objects.create(
        name="ERP",
        url="https://erp.shop.example/hooks",
        events=["return.created", "return.completed", "refund.succeeded"],
    )
    someone = person(
        staff,
        name="Anna Lindqvist",
        email="anna.lindqvist@example.se",
        street="Storgatan 12",
        city="Umeå",
        comment="The seam split after one wash",
        survey="Slow refund, call me on 070-1234567",
    )
    MarketingObjection.objects.create(email="anna.lindqvist@example.se")
    return someone


@pytest.fixture
def bo(staff: User) -> Person:
    return person(
        staff,
        name="Bo Nieminen",
        email="bo.nieminen@example.fi",
        street="Aleksanterinkatu 5",
        city="Helsinki",
        comment="Colour not as pictured",
        survey="Fine, thanks Bo",
    )


def export(email: str) -> dict[str, Any]:
    out = io.StringIO()
    call_command("export_customer", email, stdout=out)
    return json.loads(out.getvalue())


def forget(email: str, capture: Callable[..., Any]) -> str:
    out = io.StringIO()
    with capture(execute=True):  # the photo files go once the erasure commits
        call_command("forget_customer", email, "--yes", stdout=out)
    return out.getvalue()


def test_the_export_holds_the_persons_orders_returns_refunds_messages_and_answers_and_nobody_elses(
    anna: Person, bo: Person
) -> None:
    found = export("Anna.Lindqvist@EXAMPLE.se")
    assert found["returns"]["customer"]["name"] == "Anna Lindqvist"
    assert found["returns"]["customer"]["street"] == "Storgatan 12"
    assert [order["number"] for order in found["returns"]["orders"]] == [anna.order.number]
    [the_return] = found["returns"]["returns"]
    assert the_return["number"] == anna.return_request.number
    assert the_return["state"] == "completed"
    assert the_return["lines"][0]["comment"] == "The seam split after one wash"
    assert the_return["lines"][0]["photos"][0]["image"] == anna.photo.image.name
    [refund] = found["refunds"]["refunds"]
    assert (refund["amount"], refund["state"]) == (str(anna.refund.amount), "succeeded")
    recipients = {message["to"] for message in found["followup"]["messages"] if message["kind"] != "webhook"}
    assert recipients == {"anna.lindqvist@example.se"}
    kinds = {message["kind"] for message in found["followup"]["messages"]}
    assert {"confirmation", "refund_sent", "thanks", "webhook"} <= kinds
    assert found["followup"]["survey_answers"][0]["comment"] == "Slow refund, call me on 070-1234567"
    assert found["followup"]["offers"][0]["code"] == f"WB-{anna.order.number}"
    assert found["followup"]["marketing_objection"]["kept_as"] == "e-mail address"
    text = json.dumps(found, ensure_ascii=False)
    for word in [*bo.words, bo.order.number, bo.return_request.number]:
        assert word not in text


def test_forgetting_leaves_nothing_of_the_person_in_the_database_or_the_photo_storage(
    anna: Person, bo: Person, staff: User, django_capture_on_commit_callbacks: Callable[..., Any]
) -> None:
    LogEntry.objects.create(
        user=staff,
        content_type=ContentType.objects.get_for_model(Customer),
        action_flag=CHANGE,
        object_id=str(anna.customer.pk),
        object_repr=str(anna.customer),
    )
    before = everything_stored()
    assert all(word in before for word in anna.words)
    assert default_storage.exists(anna.photo.image.name)

    printed = forget("anna.lindqvist@example.se", django_capture_on_commit_callbacks)

    after = everything_stored()
    assert [word for word in anna.words if word in after] == []
    assert not default_storage.exists(anna.photo.image.name)
    assert all(word in after for word in bo.words)  # nobody else's data is touched
    assert default_storage.exists(bo.photo.image.name)
    assert "Forgot anna.lindqvist@example.se" in printed
    assert "photos: 1" in printed and "customers: 1" in printed


def test_forgetting_keeps_amounts_vat_and_numbers_and_the_books_and_insight_still_count_them(
    anna: Person, bo: Person, django_capture_on_commit_callbacks: Callable[..., Any]
) -> None:
    period = Period(timezone.now() - 30 * DAY, timezone.now() + DAY)
    report_before = "".join(report_csv(period))
    rates_before = [(rate.name, rate.sold, rate.returned) for rate in product_rates(period)]
    vat_before = list(RefundLine.objects.filter(refund=anna.refund).values_list("amount", "vat_rate", "vat_amount"))

    forget("anna.lindqvist@example.se", django_capture_on_commit_callbacks)

    assert Order.objects.get(pk=anna.order.pk).number == anna.order.number
    assert ReturnRequest.objects.get(pk=anna.return_request.pk).state == "completed"
    line = ReturnLine.objects.get(return_request=anna.return_request)
    assert (line.reason.code, line.condition, line.outcome, line.amount) == (
        "too_big",
        "resellable",
        "accepted",
        anna.return_request.lines.get().amount,
    )
    refund = Refund.objects.get(pk=anna.refund.pk)
    assert (refund.amount, refund.paid_at, refund.provider_reference) == (
        anna.refund.amount,
        anna.refund.paid_at,
        anna.refund.provider_reference,
    )
    assert list(RefundLine.objects.filter(refund=refund).values_list("amount", "vat_rate", "vat_amount")) == vat_before
    report_after = "".join(report_csv(period))
    assert report_after == report_before
    rows = list(csv.reader(io.StringIO(report_after)))
    assert any(row[1] == anna.order.number and row[5] == str(anna.refund.amount) for row in rows)
    assert [(rate.name, rate.sold, rate.returned) for rate in product_rates(period)] == rates_before


def test_sent_messages_are_kept_without_their_recipient_and_unsent_ones_are_dropped(
    anna: Person, django_capture_on_commit_callbacks: Callable[..., Any]
) -> None:
    thanks = OutboxMessage.objects.get(return_request=anna.return_request, kind="thanks")
    assert thanks.state == "pending"  # waits for its day: it must not go out to a forgotten person
    confirmation = OutboxMessage.objects.get(return_request=anna.return_request, kind="confirmation")
    delivery = OutboxMessage.objects.filter(kind="webhook", payload__event="return.completed").get()

    forget("anna.lindqvist@example.se", django_capture_on_commit_callbacks)

    assert not OutboxMessage.objects.filter(pk=thanks.pk).exists()
    confirmation.refresh_from_db()
    assert (confirmation.state, confirmation.to) == ("sent", "erased@invalid")
    delivery.refresh_from_db()
    data = delivery.payload["data"]
    assert (data["number"], data["order"], data["state"]) == (
        anna.return_request.number,
        anna.order.number,
        "completed",
    )
    assert "customer_email" not in data and "comment" not in data["lines"][0]


def test_a_forgotten_customer_is_not_touched_again_and_only_the_objections_hash_is_left(
    anna: Person, django_capture_on_commit_callbacks: Callable[..., Any]
) -> None:
    forget("anna.lindqvist@example.se", django_capture_on_commit_callbacks)
    customer = Customer.objects.get(pk=anna.customer.pk)
    assert (customer.email, customer.name, customer.country) == (f"erased-{customer.pk}@invalid", "", "SE")
    found = export("anna.lindqvist@example.se")
    assert (found["returns"], found["refunds"]) == ({}, {})
    assert found["followup"]["marketing_objection"]["kept_as"] == "hash of the e-mail address"
    with pytest.raises(CommandError, match="No customer, and no objection to marketing") as refused:
        call_command("forget_customer", "anna.lindqvist@example.se", "--yes")
    assert refused.value.returncode == 3
    assert Erasure.objects.filter(scope="customer").count() == 1
