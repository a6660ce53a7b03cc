"""The retention sweep: personal data of returns that ended long ago is anonymised, in batches.

After PERSONAL_DATA_RETENTION_MONTHS, a return that came to an end (completed, rejected, cancelled,
expired) loses its free texts, photos and messages; a customer with no order and no return in that
time loses their name, address and e-mail too. The numbers, amounts and VAT stay for bookkeeping.
Each batch is one transaction and is recorded (`Erasure`), so a run that stops half-way resumes,
two runs at once share the work (rows locked by one are skipped by the other), and a second run
finds nothing left to do.
"""

from __future__ import annotations

import calendar
import datetime as dt
import logging

from django.conf import settings
from django.db import transaction
from django.db.models import Exists, OuterRef
from django.utils import timezone

from returns import privacy as returns_privacy
from returns.models import Customer
from returns_portal.privacy.models import Erasure, Scope, Why
from returns_portal.privacy.services import erase_person, erase_returns, open_matters

log = logging.getLogger(__name__)

BATCH = 200


def months_before(moment: dt.datetime, months: int) -> dt.datetime:
    """The same day and time `months` calendar months earlier (the month's last day if it is shorter)."""
    local = timezone.localtime(moment)
    year, month0 = divmod(local.year * 12 + local.month - 1 - months, 12)
    day = min(local.day, calendar.monthrange(year, month0 + 1)[1])
    return local.replace(year=year, month=month0 + 1, day=day)


def retention_cutoff(now: dt.datetime | None = None) -> dt.datetime:
    return months_before(now or timezone.now(), settings.PERSONAL_DATA_RETENTION_MONTHS)


def personal_data_sweep(*, now: dt.datetime | None = None, batch: int = BATCH) -> dict[str, int]:
    """Anonymise what has passed the retention period; how many returns and customers. Safe to repeat."""
    cutoff = retention_cutoff(now)
    return {"returns": _sweep_returns(cutoff, batch), "customers": _sweep_customers(cutoff, batch)}


def _sweep_returns(cutoff: dt.datetime, batch: int) -> int:
    erased = Erasure.objects.filter(scope=Scope.RETURN, object_id=OuterRef("pk"))
    done = 0
    while True:
        with transaction.atomic():
            due = returns_privacy.returns_ended_before(cutoff).exclude(Exists(erased)).order_by("pk")
            ids = list(due.select_for_update(skip_locked=True).values_list("pk", flat=True)[:batch])
            if not ids:
                return done
            erase_returns(ids, why=Why.RETENTION)
        done += len(ids)


def _sweep_customers(cutoff: dt.datetime, batch: int) -> int:
    done, skipped = 0, set[int]()
    while True:
        due = returns_privacy.customers_inactive_since(cutoff).exclude(pk__in=skipped).order_by("pk")
        ids = list(due.values_list("pk", flat=True)[:batch])
        if not ids:
            return done
        for customer_id in ids:
            if _forget_inactive(customer_id, cutoff):
                done += 1
            else:
                skipped.add(customer_id)


def _forget_inactive(customer_id: int, cutoff: dt.datetime) -> bool:
    """Anonymise one customer if, under its lock, they are still inactive and owed nothing."""
    with transaction.atomic():
        customer = Customer.objects.select_for_update(skip_locked=True).filter(pk=customer_id).first()
        still_due = returns_privacy.customers_inactive_since(cutoff).filter(pk=customer_id).exists()
        if customer is None or not still_due:
            return False
        if matters := open_matters(customer):
            log.warning("Customer %s is past the retention period but kept: %s", customer_id, "; ".join(matters))
            return False
        erase_person(email=customer.email, customer=customer, why=Why.RETENTION)
    return True
