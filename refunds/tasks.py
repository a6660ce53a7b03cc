"""Celery entry points for refunds: thin and idempotent, calling the services."""

from __future__ import annotations

import datetime as dt

from celery import shared_task
from django.contrib.auth.models import User
from django.utils import timezone

from refunds.models import PAYABLE_STATES, Refund, RefundMethod, RefundState
from refunds.services import refund_execute


@shared_task(name="refunds.pay_refund")
def pay_refund(refund_id: int, by_id: int | None = None) -> str:
    """Pay the refund (claim, call the provider, record); nothing if it is paid, failed or gone."""
    refund = Refund.objects.filter(pk=refund_id, state__in=PAYABLE_STATES).first()
    if refund is None:
        return "skipped"
    by = User.objects.filter(pk=by_id).first() if by_id is not None else None
    return str(refund_execute(refund=refund, by=by).state)


# Longer than a queued payout task normally waits: younger ones are still on their way.
STORE_CREDIT_GRACE = dt.timedelta(minutes=5)


@shared_task(name="refunds.pay_waiting_store_credit")
def pay_waiting_store_credit() -> int:
    """Issue the store credit whose payout task was lost (the broker was down when the inspection
    committed): nobody has to pay store credit by hand. Returns how many were tried."""
    waiting = Refund.objects.filter(
        method=RefundMethod.STORE_CREDIT,
        state=RefundState.PENDING,
        created_at__lt=timezone.now() - STORE_CREDIT_GRACE,
    )
    ids = list(waiting.values_list("pk", flat=True))
    for refund_id in ids:
        pay_refund(refund_id)
    return len(ids)
