"""Store credit codes: issued once per store-credit refund, spent once in the shop."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from refunds.models import Refund, RefundLineKind, StoreCredit
from returns.models import ReturnPolicy
from returns_portal.core.codes import random_code
from returns_portal.core.money import ZERO, round_money


class StoreCreditRefused(Exception):
    """The code cannot be spent; the message says why."""


def new_code() -> str:
    return random_code("SC-", 3)


def store_credit_bonus(refund: Refund) -> Decimal:
    """The bonus the customer was quoted (a percent of the items after fees), for the share the
    shop credits after inspection; never more than quoted. Returned shipping earns no bonus."""
    return_request = refund.return_request
    if return_request is None:
        return ZERO
    quoted_net = return_request.items_amount - return_request.return_fee - return_request.restocking_fee
    if quoted_net <= 0:
        return ZERO
    credited = sum((line.amount for line in refund.lines.all() if line.kind != RefundLineKind.SHIPPING), ZERO)
    share = return_request.store_credit_bonus * credited / quoted_net
    return min(round_money(share, refund.currency), return_request.store_credit_bonus)


def store_credit_issue(*, refund: Refund, now: dt.datetime | None = None) -> StoreCredit:
    """The refund's code, made the first time it is asked for (a retried payout gets the same code)."""
    existing = StoreCredit.objects.filter(refund=refund).first()
    if existing is not None:
        return existing
    now = now or timezone.now()
    bonus = store_credit_bonus(refund)
    valid_days = ReturnPolicy.current().store_credit_valid_days
    for _attempt in range(5):
        try:
            with transaction.atomic():
                return StoreCredit.objects.create(
                    code=new_code(),
                    refund=refund,
                    amount=refund.amount + bonus,
                    bonus=bonus,
                    currency=refund.currency,
                    expires_on=timezone.localdate(now) + dt.timedelta(days=valid_days),
                    created_at=now,
                )
        except IntegrityError:
            existing = StoreCredit.objects.filter(refund=refund).first()
            if existing is not None:
                return existing  # a concurrent retry issued it first
    raise RuntimeError("Could not draw a free store credit code in 5 attempts.")


def store_credit_redeem(*, code: str, order_number: str, now: dt.datetime | None = None) -> StoreCredit:
    """Spend a code on an order in the shop, once; StoreCreditRefused says why not."""
    now = now or timezone.now()
    with transaction.atomic():
        credit = StoreCredit.objects.select_for_update().filter(code=code.strip().upper()).first()
        if credit is None:
            raise StoreCreditRefused(_("No store credit has this code."))
        if credit.redeemed_at is not None:
            raise StoreCreditRefused(
                _("This code was already used on order %(order)s.") % {"order": credit.redeemed_order}
            )
        if credit.expires_on < timezone.localdate(now):
            raise StoreCreditRefused(_("This code expired on %(day)s.") % {"day": credit.expires_on.isoformat()})
        if not order_number.strip():
            raise StoreCreditRefused(_("Say which order the code is spent on."))
        credit.redeemed_at, credit.redeemed_order = now, order_number.strip()
        credit.save(update_fields=["redeemed_at", "redeemed_order"])
    return credit
