"""Store credit is paid out after the inspection commits, by a task: the provider is never called
inside the inspection's transaction or under its row locks, and the task is safe to run again."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any, ClassVar

import pytest
from django.contrib.auth.models import User

from refunds.models import Refund, RefundState, StoreCredit
from refunds.providers import PayoutRequest, PayoutResult
from refunds.providers.store_credit import StoreCreditProvider
from refunds.tasks import pay_refund, pay_waiting_store_credit
from returns.models import Order, ReturnRequest, ReturnState
from returns.services import LineRequest, ReceivedLine, return_create, return_receive
from tests.factories import OrderLineFactory
from tests.remote_calls import OUTSIDE, Moment, moment


class NotingStoreCredit(StoreCreditProvider):
    """The store credit provider, noting the moment it is called."""

    moments: ClassVar[list[Moment]] = []

    def refund(self, request: PayoutRequest) -> PayoutResult:
        refund = Refund.objects.get(idempotency_key=request.idempotency_key)
        NotingStoreCredit.moments.append(
            moment(
                Refund.objects.filter(pk=refund.pk),
                ReturnRequest.objects.filter(pk=refund.return_request_id),
                Order.objects.filter(pk=refund.order_id),
            )
        )
        return super().refund(request)


@pytest.fixture
def noting_provider(settings) -> type[NotingStoreCredit]:
    settings.REFUND_PROVIDERS = {"store_credit": f"{__name__}.NotingStoreCredit"}
    NotingStoreCredit.moments = []
    return NotingStoreCredit


def a_store_credit_return() -> ReturnRequest:
    line = OrderLineFactory(unit_price=Decimal("300.00"), quantity=1)
    return return_create(
        order=line.order, lines=[LineRequest(line.id, 1, "too_big")], resolution="store_credit", method="label"
    )


def inspect(return_request: ReturnRequest) -> None:
    staff = User.objects.create_user("lager", is_staff=True)
    line = return_request.lines.get()
    return_receive(return_request=return_request, lines=[ReceivedLine(line.id, 1, "resellable", True)], by=staff)


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("migration_data")
def test_store_credit_is_issued_after_the_inspection_commits_never_inside_it(
    noting_provider: type[NotingStoreCredit],
) -> None:
    return_request = a_store_credit_return()
    inspect(return_request)  # the payout task is queued on commit (and runs at once here)
    assert noting_provider.moments == [OUTSIDE]
    refund = Refund.objects.get(return_request=return_request)
    assert refund.state == RefundState.SUCCEEDED
    assert refund.provider_reference == StoreCredit.objects.get(refund=refund).code
    return_request.refresh_from_db()
    assert return_request.state == ReturnState.COMPLETED
    assert refund.history.filter(to_state=RefundState.SUCCEEDED, by__username="lager").exists()  # the inspector paid it


@pytest.mark.django_db
def test_an_inspection_that_rolls_back_pays_nothing(noting_provider: type[NotingStoreCredit]) -> None:
    return_request = a_store_credit_return()
    inspect(return_request)  # the test's transaction never commits, so neither does the inspection
    assert noting_provider.moments == []
    assert Refund.objects.get(return_request=return_request).state == RefundState.PENDING
    assert not StoreCredit.objects.exists()


@pytest.mark.django_db
def test_the_payout_task_is_idempotent(noting_provider: type[NotingStoreCredit]) -> None:
    return_request = a_store_credit_return()
    inspect(return_request)
    refund = Refund.objects.get(return_request=return_request)
    assert pay_refund(refund.pk) == RefundState.SUCCEEDED
    assert pay_refund(refund.pk) == "skipped"  # a redelivered task: already paid
    assert pay_refund(10**9) == "skipped"  # gone
    assert len(noting_provider.moments) == 1
    assert StoreCredit.objects.filter(refund=refund).count() == 1


@pytest.mark.django_db
def test_store_credit_whose_payout_task_was_lost_is_issued_by_the_periodic_sweep(
    noting_provider: type[NotingStoreCredit], clock: Any
) -> None:
    return_request = a_store_credit_return()
    inspect(return_request)  # the commit's payout task never ran: the broker was down
    assert pay_waiting_store_credit() == 0  # just made: its task may still be on the way
    clock.shift(dt.timedelta(minutes=6))
    assert pay_waiting_store_credit() == 1
    refund = Refund.objects.get(return_request=return_request)
    assert refund.state == RefundState.SUCCEEDED and StoreCredit.objects.filter(refund=refund).exists()
    assert pay_waiting_store_credit() == 0
