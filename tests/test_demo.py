"""The demo shop: every screen a newcomer opens has something on it, and seeding twice adds nothing."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from django.core.management import call_command
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from refunds.bookkeeping import report_csv
from refunds.models import Refund, RefundState, StoreCredit
from returns.models import Order, Outcome, ReturnPhoto, ReturnRequest, ReturnState
from returns_portal.core.periods import Period

pytestmark = pytest.mark.django_db


@pytest.fixture
def demo() -> None:
    call_command("seed_demo", stdout=io.StringIO())


def staff_return(order_number: str) -> ReturnRequest:
    return ReturnRequest.objects.get(order__number=order_number)


@pytest.mark.usefixtures("demo")
def test_the_demo_has_paid_refunds_so_the_bookkeeping_report_has_rows() -> None:
    paid = Refund.objects.filter(state=RefundState.SUCCEEDED)
    assert paid.count() >= 10
    now = timezone.now()
    rows = "".join(report_csv(Period(now - dt.timedelta(days=1), now + dt.timedelta(days=1)))).splitlines()
    assert len(rows) > paid.count()  # a row per refund line, then the totals
    assert staff_return("NV-10007").state == ReturnState.COMPLETED  # "one unit already returned and refunded"


@pytest.mark.usefixtures("demo")
def test_the_demo_shows_a_rejected_line_with_its_reason_a_pickup_photos_an_exchange_and_store_credit() -> None:
    rejected = staff_return("NV-10011").lines.get(outcome=Outcome.REJECTED)
    assert "worn outdoors" in rejected.outcome_reason

    pickup = staff_return("NV-10012")
    assert pickup.method == "pickup" and pickup.pickup_date and pickup.pickup_reference and pickup.pickup_window

    claim = staff_return("NV-10013")
    assert claim.state == ReturnState.IN_TRANSIT
    assert ReturnPhoto.objects.filter(return_line__return_request=claim).count() == 2

    exchange = staff_return("NV-10014")
    replacement = Order.objects.get(replacement_for=exchange)
    assert exchange.state == ReturnState.COMPLETED and replacement.shipped_at is not None

    credit = StoreCredit.objects.get(refund__return_request=staff_return("NV-10015"))
    assert credit.bonus > 0 and credit.amount == credit.refund.amount + credit.bonus


def test_seeding_twice_changes_no_return_and_pays_nothing_twice(demo: None) -> None:
    before = (ReturnRequest.objects.count(), Refund.objects.count(), StoreCredit.objects.count())
    call_command("seed_demo", stdout=io.StringIO())
    assert (ReturnRequest.objects.count(), Refund.objects.count(), StoreCredit.objects.count()) == before


@pytest.mark.usefixtures("demo")
def test_the_demo_photos_open_for_staff(admin_client: Client) -> None:
    photo = ReturnPhoto.objects.filter(return_line__isnull=False).first()
    assert photo is not None
    response = admin_client.get(reverse("admin:returns_returnrequest_photo", args=[photo.pk]))
    assert response.status_code == 200 and response["Content-Type"] == "image/jpeg"
