"""Celery entry points for refunds: thin and idempotent, calling the services."""

from __future__ import annotations

import datetime as dt

from celery import shared_task
from django.contrib.auth.models import User
from django.db.models import Q
from django.utils import timezone

from refunds import reconcile
from refunds.auto_refund import PAID_AUTOMATICALLY
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
    committed), and pay the refunds the policy pays automatically whose task was lost the same way:
    nobody has to pay those by hand. Returns how many were tried."""
    automatic = Q(history__to_state=RefundState.PENDING, history__note=PAID_AUTOMATICALLY)
    waiting = Refund.objects.filter(
        Q(method=RefundMethod.STORE_CREDIT) | automatic,
        state=RefundState.PENDING,
        created_at__lt=timezone.now() - STORE_CREDIT_GRACE,
    ).distinct()
    ids = list(waiting.values_list("pk", flat=True))
    for refund_id in ids:
        pay_refund(refund_id)
    return len(ids)


@shared_task(name="refunds.reconcile_processing_refunds")
def reconcile_processing_refunds() -> int:
    """Ask the payment providers about refunds left processing (a lost webhook); how many were asked."""
    return reconcile.reconcile_processing_refunds()
