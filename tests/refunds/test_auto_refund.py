"""With the policy's automatic refunds on, an accepted return's refund through the order's payment
provider is paid after the inspection commits, never inside it, up to the ceiling; above it a person
approves it."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any, ClassVar

import pytest
from django.test import Client

from refunds.models import Refund, RefundState
from refunds.providers import PayoutRequest, PayoutResult
from refunds.providers.fake import FakeConnectedProvider
from refunds.tasks import pay_waiting_store_credit
from returns.models import Order, ReturnPolicy, ReturnRequest, ReturnState
from tests.refunds.paid_through import PROVIDERS, order_paid_through, returned_and_inspected
from tests.remote_calls import OUTSIDE, Moment, moment


class NotingProvider(FakeConnectedProvider):
    """The connected fake, noting the moment each refund is asked for."""

    moments: ClassVar[list[Moment]] = []

    def refund(self, request: PayoutRequest) -> PayoutResult:
        refund = Refund.objects.get(idempotency_key=request.idempotency_key)
        NotingProvider.moments.append(
            moment(
                Refund.objects.filter(pk=refund.pk),
                ReturnRequest.objects.filter(pk=refund.return_request_id),
                Order.objects.filter(pk=refund.order_id),
            )
        )
        return super().refund(request)


@pytest.fixture
def noting(settings) -> type[NotingProvider]:
    settings.PAYMENT_PROVIDERS = dict.fromkeys(PROVIDERS, f"{__name__}.NotingProvider")
    NotingProvider.reset()
    NotingProvider.moments = []
    return NotingProvider


def automatic_refunds(on: bool = True, sek_ceiling: str = "3000") -> None:
    policy = ReturnPolicy.current()
    policy.auto_refund, policy.auto_refund_ceiling_sek, policy.free_returns = on, Decimal(sek_ceiling), True
    policy.save()


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("migration_data")
@pytest.mark.parametrize("provider", PROVIDERS)
def test_the_refund_is_paid_after_the_inspection_commits_never_inside_it(
    noting: type[NotingProvider], provider: str
) -> None:
    automatic_refunds()
    return_request = returned_and_inspected(order_paid_through(provider, "500.00"))  # commits; the task runs at once
    assert noting.moments == [OUTSIDE]
    refund = return_request.refunds.get()
    assert refund.state == RefundState.SUCCEEDED and noting.paid_total() == Decimal("500.00")
    return_request.refresh_from_db()
    assert return_request.state == ReturnState.COMPLETED
    assert refund.history.get(to_state="pending").note.startswith("To be paid automatically after inspection")
    assert refund.history.filter(to_state="succeeded", by__username="lager").exists()  # the inspector's action


@pytest.mark.django_db
def test_an_inspection_that_rolls_back_pays_nothing(noting: type[NotingProvider]) -> None:
    automatic_refunds()
    return_request = returned_and_inspected(order_paid_through("klarna", "500.00"))  # never commits
    assert noting.moments == [] and return_request.refunds.get().state == RefundState.PENDING


@pytest.mark.django_db
def test_above_the_ceiling_the_refund_waits_for_a_persons_approval(
    noting: type[NotingProvider], django_capture_on_commit_callbacks, admin_client: Client
) -> None:
    automatic_refunds(sek_ceiling="400")
    with django_capture_on_commit_callbacks(execute=True):
        return_request = returned_and_inspected(order_paid_through("adyen", "500.00"))
    refund = return_request.refunds.get()
    assert refund.state == RefundState.PENDING and noting.moments == []
    assert refund.history.get().note == "Needs approval: above the auto-refund ceiling of SEK400.00."
    listing = admin_client.get("/admin/refunds/refund/", {"attention": "approval"}).content.decode()
    assert f"/admin/refunds/refund/{refund.pk}/change/" in listing and "needs approval" in listing
    admin_client.post("/admin/refunds/refund/", {"action": "pay", "_selected_action": [refund.pk]})
    refund.refresh_from_db()
    assert refund.state == RefundState.SUCCEEDED  # a person approved it by paying it


@pytest.mark.django_db
@pytest.mark.parametrize(("on", "provider"), [(False, "stripe"), (True, "")])
def test_without_the_policy_or_without_a_provider_the_refund_is_proposed_as_before(
    noting: type[NotingProvider], django_capture_on_commit_callbacks, on: bool, provider: str
) -> None:
    automatic_refunds(on=on)
    with django_capture_on_commit_callbacks(execute=True):
        return_request = returned_and_inspected(order_paid_through(provider, "500.00"))
    refund = return_request.refunds.get()
    assert refund.state == RefundState.PENDING and refund.history.get().note == ""
    assert noting.moments == []


@pytest.mark.django_db
def test_a_refund_whose_automatic_payout_task_was_lost_is_paid_by_the_periodic_sweep(
    noting: type[NotingProvider], clock: Any
) -> None:
    automatic_refunds()
    refund = returned_and_inspected(order_paid_through("stripe", "500.00")).refunds.get()  # the task never ran
    assert pay_waiting_store_credit() == 0  # just made: its task may still be on the way
    clock.shift(dt.timedelta(minutes=6))
    assert pay_waiting_store_credit() == 1
    refund.refresh_from_db()
    assert refund.state == RefundState.SUCCEEDED and noting.paid_total() == Decimal("500.00")
    assert pay_waiting_store_credit() == 0
