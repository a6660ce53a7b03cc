"""Reconciliation: ask the payment providers about refunds left processing, so that a lost webhook
does not leave a customer waiting silently.

A connected refund (through Klarna, Adyen or Stripe) processing for longer than
`REFUND_RECONCILE_AFTER_MINUTES` is asked about (`refund_status`), outside any transaction, and
the answer settled as a webhook's would be (`refunds.settlement`). One without the provider's
refund id never got an answer (a time-out, a provider that was down): it is sent again with the same
key, which the provider answers without paying twice (once the key may have expired, it is looked up
by our key first: `refunds.services.refund_execute`). One still under way after
`REFUND_STUCK_AFTER_HOURS` is shown to staff (`refunds_stuck`: the admin's filter, the support page).
"""

from __future__ import annotations

import datetime as dt
import logging

from django.conf import settings
from django.db.models import QuerySet
from django.utils import timezone

from refunds.models import Refund, RefundMethod, RefundState
from refunds.payouts import payout_request
from refunds.providers import ProviderTimeout, ProviderUnavailable, get_connected_provider
from refunds.services import refund_execute
from refunds.settlement import refund_answer_later

log = logging.getLogger(__name__)

# Webhooks normally come within minutes; Adyen's refunds settle within hours, a bank's within two days.
RECONCILE_AFTER = dt.timedelta(minutes=settings.REFUND_RECONCILE_AFTER_MINUTES)
STUCK_AFTER = dt.timedelta(hours=settings.REFUND_STUCK_AFTER_HOURS)


def refunds_at_providers(refunds: QuerySet[Refund] | None = None) -> QuerySet[Refund]:
    """Processing refunds that a connected payment provider pays (not manual transfers nor store credit)."""
    found = refunds if refunds is not None else Refund.objects.all()
    return found.filter(
        state=RefundState.PROCESSING,
        method=RefundMethod.ORIGINAL_PAYMENT,
        provider__in=list(settings.PAYMENT_PROVIDERS),
    )


def refunds_stuck(refunds: QuerySet[Refund] | None = None, *, now: dt.datetime | None = None) -> QuerySet[Refund]:
    """Refunds the provider has not settled for STUCK_AFTER: someone should look."""
    return refunds_at_providers(refunds).filter(processing_since__lt=(now or timezone.now()) - STUCK_AFTER)


def refund_is_stuck(refund: Refund, *, now: dt.datetime | None = None) -> bool:
    return (
        refund.state == RefundState.PROCESSING
        and refund.method == RefundMethod.ORIGINAL_PAYMENT
        and refund.provider in settings.PAYMENT_PROVIDERS
        and refund.processing_since is not None
        and refund.processing_since < (now or timezone.now()) - STUCK_AFTER
    )


def reconcile_processing_refunds(*, now: dt.datetime | None = None) -> int:
    """Ask about every connected refund processing longer than RECONCILE_AFTER; how many were asked."""
    due = refunds_at_providers().filter(processing_since__lt=(now or timezone.now()) - RECONCILE_AFTER)
    ids = list(due.order_by("processing_since").values_list("pk", flat=True))
    for refund_id in ids:
        refund = Refund.objects.select_related("order", "return_request").filter(pk=refund_id).first()
        if refund is not None and refund.state == RefundState.PROCESSING:
            _reconcile(refund)
    return len(ids)


def _reconcile(refund: Refund) -> None:
    if not refund.provider_reference:
        refund_execute(refund=refund)  # never answered: looked up or sent again with the same key
        return
    provider = get_connected_provider(refund.provider)
    try:
        result = provider.refund_status(reference=refund.provider_reference, request=payout_request(refund))
    except (ProviderTimeout, ProviderUnavailable) as problem:
        log.warning("Could not ask %s about refund %s: %s", refund.provider, refund.pk, problem)
        return
    settled = refund_answer_later(refund=refund, result=result, actor=refund.provider)
    log.info("Reconciled refund %s with %s: %s %s", refund.pk, refund.provider, settled.outcome, settled.note)
