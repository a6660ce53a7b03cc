"""Win-back offers: customers whose last return is settled and who have not bought since.

The selection is one query (no loop over customers). A customer qualifies through
their latest completed return, finished at least M days ago, when:

- they said yes to marketing (or, if the shop uses the soft opt-in, they bought and did not object);
- they never objected (an unsubscribe is kept by e-mail address, forever; once the person is
  forgotten, by a keyed hash of the address, checked after the query: `followup.privacy`);
- they have placed no order since that return was requested (replacement orders do not count);
- they have no open return, and had no offer within the cap (e.g. 90 days);
- that return has not had its offer yet (one offer per return, enforced by a unique constraint).

Only returns completed within LOOKBACK_DAYS before the M-day mark are looked at:
older ones either got their offer or had a reason not to, and the bound keeps the
query on the (state, state_changed_at) index however long the shop has run.
"""

from __future__ import annotations

import datetime as dt

from django.db import IntegrityError, transaction
from django.db.models import Exists, OuterRef, Q
from django.db.models.functions import Lower
from django.utils import timezone

from followup.models import FollowupSettings, Kind, MarketingObjection, OfferCode
from followup.outbox import outbox_add
from followup.privacy import forgotten_objectors
from returns.models import OPEN_STATES, Order, ReturnRequest, ReturnState
from returns_portal.core.codes import random_code

LOOKBACK_DAYS = 30


def winback_candidates(*, now: dt.datetime | None = None) -> list[tuple[int, int]]:
    """(return id, customer id) for every customer who should get an offer now."""
    now = now or timezone.now()
    rules = FollowupSettings.current()
    settled_before = now - dt.timedelta(days=rules.winback_after_days)
    customer = OuterRef("order__customer_id")
    later_completed = ReturnRequest.objects.filter(
        order__customer_id=customer, state=ReturnState.COMPLETED, state_changed_at__gt=OuterRef("state_changed_at")
    )
    bought_since = Order.objects.filter(
        customer_id=customer, placed_at__gt=OuterRef("created_at"), replacement_for__isnull=True
    )
    open_return = ReturnRequest.objects.filter(order__customer_id=customer, state__in=OPEN_STATES)
    recent_offer = OfferCode.objects.filter(
        customer_id=customer, created_at__gte=now - dt.timedelta(days=rules.offer_cap_days)
    )
    offered_for_this = OfferCode.objects.filter(return_request_id=OuterRef("pk"))
    objected = MarketingObjection.objects.filter(email=Lower(OuterRef("order__customer__email")))
    consent = Q() if rules.soft_opt_in else Q(order__customer__marketing_consent=True)
    candidates = (
        ReturnRequest.objects.filter(
            consent,
            state=ReturnState.COMPLETED,
            state_changed_at__lte=settled_before,
            state_changed_at__gt=settled_before - dt.timedelta(days=LOOKBACK_DAYS),
        )
        .exclude(Exists(later_completed))
        .exclude(Exists(bought_since))
        .exclude(Exists(open_return))
        .exclude(Exists(recent_offer))
        .exclude(Exists(offered_for_this))
        .exclude(Exists(objected))
    )
    found = list(candidates.order_by().values_list("pk", "order__customer_id", "order__customer__email"))
    forgotten = forgotten_objectors({email for _return_id, _customer_id, email in found})
    return [(return_id, customer_id) for return_id, customer_id, email in found if email not in forgotten]


def new_offer_code() -> str:
    return random_code("WB-", 2)


def winback_offer(*, return_id: int, customer_id: int, now: dt.datetime | None = None) -> OfferCode | None:
    """Make the offer and its e-mail, once per return; None when it already exists."""
    now = now or timezone.now()
    rules = FollowupSettings.current()
    return_request = ReturnRequest.objects.select_related("order__customer").get(pk=return_id)
    try:
        with transaction.atomic():
            offer = OfferCode.objects.create(
                code=new_offer_code(),
                customer_id=customer_id,
                return_request=return_request,
                percent=rules.winback_discount_percent,
                expires_on=timezone.localdate(now) + dt.timedelta(days=rules.winback_valid_days),
                created_at=now,
            )
            customer = return_request.order.customer
            outbox_add(
                key=f"winback:{return_request.number}",
                kind=Kind.WINBACK,
                to=customer.email,
                language=return_request.language or customer.language,
                customer=customer,
                return_request=return_request,
                payload={"offer_id": offer.pk},
            )
    except IntegrityError:
        return None  # this return's offer was made by an earlier or parallel run
    return offer
