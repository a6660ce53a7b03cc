"""An objection to marketing outlives the person who made it: forgotten, they are still never offered
win-back when they come back with the same address, even if they tick "yes" at the new checkout."""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import pytest
from django.core.management import call_command
from django.utils import timezone

from followup.models import FollowupSettings, MarketingObjection
from followup.winback import winback_candidates
from returns.models import Customer, ReturnRequest, ReturnState
from returns.services import LineRequest, return_create, return_transition
from tests.factories import CustomerFactory, OrderFactory, OrderLineFactory

pytestmark = pytest.mark.django_db
DAY = dt.timedelta(days=1)


def completed_return(customer: Customer, days_ago: int = 40) -> ReturnRequest:
    then = timezone.now() - days_ago * DAY
    order = OrderFactory(customer=customer, placed_at=then - 5 * DAY, delivered_at=then - 3 * DAY)
    line = OrderLineFactory(order=order, unit_price=Decimal("300"))
    return_request = return_create(
        order=order, lines=[LineRequest(line.id, 1, "too_big")], resolution="refund", method="label", now=then
    )
    for state in (ReturnState.RECEIVED, ReturnState.INSPECTED, ReturnState.COMPLETED):
        return_transition(return_request=return_request, to=state, now=then)
    return return_request


@pytest.mark.parametrize("soft_opt_in", [False, True])
def test_a_forgotten_objector_who_comes_back_is_not_offered_winback(
    soft_opt_in: bool, django_capture_on_commit_callbacks: Callable[..., Any]
) -> None:
    rules = FollowupSettings.current()
    rules.soft_opt_in = soft_opt_in
    rules.save()
    first_time = CustomerFactory(email="Karin@Example.dk", marketing_consent=True)
    completed_return(first_time, days_ago=400)
    MarketingObjection.objects.create(email="karin@example.dk")
    with django_capture_on_commit_callbacks(execute=True):
        call_command("forget_customer", "karin@example.dk", "--yes", stdout=io.StringIO())
    assert not MarketingObjection.objects.filter(email="karin@example.dk").exists()  # not by address any more

    back = CustomerFactory(email="karin@example.DK", marketing_consent=True)  # a new order, "yes" ticked again
    completed_return(back)
    other = CustomerFactory(marketing_consent=True)
    completed_return(other)
    assert {customer_id for _return_id, customer_id in winback_candidates()} == {other.pk}
