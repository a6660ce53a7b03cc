"""Creating a return: the policy's checks, the customer's quote, one return per confirmation."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from django.contrib.auth.models import User
from django.db import IntegrityError, transaction
from django.db.models import OuterRef, Subquery
from django.utils import timezone
from django.utils.translation import gettext as _

from returns import deadlines, rollups, signals
from returns.models import (
    LABELLED_METHODS,
    Order,
    OrderLine,
    Resolution,
    ReturnEvent,
    ReturnLine,
    ReturnMethod,
    ReturnPhoto,
    ReturnPolicy,
    ReturnReason,
    ReturnRequest,
    ReturnState,
    Variant,
)
from returns.numbers import new_return_number
from returns.policy import eligibility, ineligibility_text
from returns.pricing import Charge, Quote, Selection
from returns.selectors import order_facts, order_lines_with_returned, policy_rules, quote_return
from returns.services.address import PostalAddress, customer_set_address
from returns.services.booking import return_book_carrier
from returns.services.errors import ReturnRefused
from returns.services.stock import exchange_reserve
from returns.services.transitions import actor_name, return_transition
from returns_portal.core.money import ZERO

PICKUP_DAYS_AHEAD = 14


@dataclass(frozen=True)
class LineRequest:
    order_line_id: int
    quantity: int
    reason_code: str
    comment: str = ""
    exchange_variant_id: int | None = None


class _Errors(dict[int | None, list[str]]):
    def add(self, line_id: int | None, message: str) -> None:
        self.setdefault(line_id, []).append(message)


def return_create(
    *,
    order: Order,
    lines: Sequence[LineRequest],
    resolution: str,
    method: str,
    pickup_date: dt.date | None = None,
    language: str = "",
    submission_key: str | None = None,
    photo_draft_key: str = "",
    by: User | None = None,
    override_reason: str = "",
    service_point: dict[str, Any] | None = None,
    sender: PostalAddress | None = None,
    now: dt.datetime | None = None,
) -> ReturnRequest:
    """Create a return for some units of `order`, or raise `ReturnRefused` and save nothing.

    Customers are bound by the policy's eligibility. Staff (`by` set) may go
    beyond it with an `override_reason`, which is recorded, but never beyond
    what was bought and not yet returned. The same `submission_key` (one per
    confirmation form) always gives the same return: double clicks, the back
    button and refreshes create nothing new. Right after the commit, outside the
    transaction, the carrier books the parcel or the pickup.

    `service_point` is the point the customer chose from the carrier's list (the flow has checked
    that the carrier listed it); it is kept for labelled methods only. `sender`, when given, is the
    address the customer entered for the carrier: it is saved on the customer.
    """
    now = now or timezone.now()
    override_reason = override_reason.strip()
    with transaction.atomic():
        # One return at a time per order: two browser tabs cannot both claim the last unit.
        order = Order.objects.select_for_update().get(pk=order.pk)
        done = (
            ReturnRequest.objects.filter(order=order, submission_key=submission_key).first() if submission_key else None
        )
        if done:
            return done
        policy = ReturnPolicy.current()
        order_lines = list(order_lines_with_returned(order))
        reasons = _check(order, order_lines, policy, lines, resolution, method, pickup_date, by, override_reason, now)
        _check_photos(lines, reasons, photo_draft_key, by)
        if sender is not None:
            customer_set_address(customer=order.customer, address=sender)
        selections = [
            Selection(line.order_line_id, line.quantity, reasons[line.reason_code].seller_pays) for line in lines
        ]
        priced = quote_return(
            order=order, lines=order_lines, policy=policy, selections=selections, resolution=resolution, method=method
        )
        return_request = _insert_return(
            order=order,
            resolution=resolution,
            method=method,
            pickup_date=pickup_date if method == ReturnMethod.PICKUP else None,
            language=language or order.language,
            submission_key=submission_key,
            by=by,
            override_reason=override_reason,
            quote=priced,
            refund_due_on=deadlines.refund_due_on(requested_at=now, policy=policy),
            service_point=(service_point or {}) if method in LABELLED_METHODS else {},
            now=now,
        )
        amounts = {quote_line.line_id: quote_line.amount for quote_line in priced.lines}
        ReturnLine.objects.bulk_create(
            ReturnLine(
                return_request=return_request,
                order_line_id=line.order_line_id,
                quantity=line.quantity,
                reason=reasons[line.reason_code],
                comment=line.comment.strip(),
                exchange_variant_id=line.exchange_variant_id if resolution == Resolution.EXCHANGE else None,
                amount=amounts[line.order_line_id],
            )
            for line in lines
        )
        rollups.return_counted(return_request)
        if resolution == Resolution.EXCHANGE:
            exchange_reserve(return_request.lines.all())
        if photo_draft_key:
            _attach_photos(return_request, photo_draft_key)
        note = _("Staff override: %(reason)s") % {"reason": override_reason} if override_reason else ""
        ReturnEvent.objects.create(
            return_request=return_request,
            to_state=ReturnState.REQUESTED,
            by=by,
            actor=actor_name(by, "customer"),
            note=note,
            at=now,
        )
        # The carrier is remote: it is booked once this commits, and before the confirmation is queued
        # (commit callbacks run in order), so the e-mail finds the label. If it fails, the sweep books later.
        transaction.on_commit(lambda: return_book_carrier(return_request=return_request))
        signals.return_created.send(sender=ReturnRequest, return_request=return_request)
        if policy.auto_approve and not override_reason:
            return_transition(
                return_request=return_request,
                to=ReturnState.APPROVED,
                note="Within policy: approved automatically.",
                now=now,
            )
    return return_request


def _check(
    order: Order,
    order_lines: list[OrderLine],
    policy: ReturnPolicy,
    lines: Sequence[LineRequest],
    resolution: str,
    method: str,
    pickup_date: dt.date | None,
    by: User | None,
    override_reason: str,
    now: dt.datetime,
) -> dict[str, ReturnReason]:
    errors = _Errors()
    if override_reason and by is None:
        errors.add(None, _("Only staff can override the return policy."))
    if not lines:
        errors.add(None, _("Choose at least one item to return."))
    reasons = ReturnReason.objects.filter(active=True).in_bulk([line.reason_code for line in lines], field_name="code")
    _check_lines(order, order_lines, policy, lines, reasons, override_reason, now, errors)
    _check_choice(policy, lines, reasons, resolution, method, pickup_date, override_reason, now, errors)
    if errors:
        raise ReturnRefused(errors)
    return reasons


def _check_lines(
    order: Order,
    order_lines: list[OrderLine],
    policy: ReturnPolicy,
    lines: Sequence[LineRequest],
    reasons: dict[str, ReturnReason],
    override_reason: str,
    now: dt.datetime,
    errors: _Errors,
) -> None:
    facts = order_facts(order, order_lines)
    results = eligibility(facts, policy_rules(policy), timezone.localdate(now))
    left = {line.line_id: line.quantity - line.already_returned for line in facts.lines}
    seen: set[int] = set()
    for line in lines:
        result = results.get(line.order_line_id)
        if result is None or line.order_line_id in seen:
            errors.add(None, _("One of the chosen items is not part of this order."))
            continue
        seen.add(line.order_line_id)
        if line.reason_code not in reasons:
            errors.add(line.order_line_id, _("Choose a reason for returning this item."))
        if line.quantity < 1:
            errors.add(line.order_line_id, _("The quantity must be at least 1."))
        elif line.quantity > left[line.order_line_id]:
            errors.add(
                line.order_line_id,
                _("You can return at most %(count)d of this item.") % {"count": left[line.order_line_id]},
            )
        elif line.quantity > result.returnable_quantity and not override_reason:
            errors.add(line.order_line_id, ineligibility_text(result) or _("Too many units chosen."))


def _check_choice(
    policy: ReturnPolicy,
    lines: Sequence[LineRequest],
    reasons: dict[str, ReturnReason],
    resolution: str,
    method: str,
    pickup_date: dt.date | None,
    override_reason: str,
    now: dt.datetime,
    errors: _Errors,
) -> None:
    if resolution not in Resolution.values:
        errors.add(None, _("Choose how you want to be compensated."))
    if not any(option.method == method and option.offered for option in policy.methods.all()) and not override_reason:
        errors.add(None, _("This return method is not offered."))
    if method == ReturnMethod.PICKUP and not _pickup_day_ok(pickup_date, now):
        errors.add(None, _("Choose a weekday for the pickup within the next two weeks."))
    if resolution == Resolution.REPAIR and not all(
        line.reason_code in reasons and reasons[line.reason_code].allows_repair for line in lines
    ):
        errors.add(None, _("Repair or replacement is offered for faulty or damaged items only."))
    if resolution == Resolution.EXCHANGE:
        _check_exchanges(lines, errors)


def _check_exchanges(lines: Sequence[LineRequest], errors: _Errors) -> None:
    wanted = Variant.objects.in_bulk([line.exchange_variant_id for line in lines if line.exchange_variant_id])
    ordered = {
        line_id: (variant_id, product_id)
        for line_id, variant_id, product_id in OrderLine.objects.filter(
            id__in=[line.order_line_id for line in lines]
        ).values_list("id", "variant_id", "variant__product_id")
    }
    for line in lines:
        variant = wanted.get(line.exchange_variant_id or 0)
        current_variant, product = ordered.get(line.order_line_id, (None, None))
        if variant is None or variant.product_id != product or variant.id == current_variant:
            errors.add(line.order_line_id, _("Choose the size or colour you want instead."))
        elif variant.stock < line.quantity:
            errors.add(
                line.order_line_id, _("Sorry, that size or colour is out of stock. Choose another, or a refund.")
            )


def _pickup_day_ok(day: dt.date | None, now: dt.datetime) -> bool:
    today = timezone.localdate(now)
    return day is not None and today < day <= today + dt.timedelta(days=PICKUP_DAYS_AHEAD) and day.weekday() < 5


def _check_photos(
    lines: Sequence[LineRequest], reasons: dict[str, ReturnReason], draft_key: str, by: User | None
) -> None:
    if by is not None:
        return  # staff creating a return on a customer's behalf have seen the item or the photos elsewhere
    needing = {line.order_line_id for line in lines if reasons[line.reason_code].photo_required}
    if not needing:
        return
    with_photos = (
        set(
            ReturnPhoto.objects.filter(draft_key=draft_key, order_line_id__in=needing).values_list(
                "order_line_id", flat=True
            )
        )
        if draft_key
        else set()
    )
    missing = needing - with_photos
    if missing:
        raise ReturnRefused(
            {line_id: [_("Add at least one photo that shows the problem.")] for line_id in sorted(missing)}
        )


def _attach_photos(return_request: ReturnRequest, draft_key: str) -> None:
    line_for_photo = ReturnLine.objects.filter(
        return_request=return_request, order_line_id=OuterRef("order_line_id")
    ).values("id")[:1]
    ReturnPhoto.objects.filter(draft_key=draft_key, return_line__isnull=True).update(
        return_line=Subquery(line_for_photo)
    )


def _insert_return(*, order: Order, quote: Quote, by: User | None, now: dt.datetime, **fields: Any) -> ReturnRequest:
    """Insert with a fresh number; on the rare collision, draw again (inside a savepoint)."""
    deductions = dict(quote.deductions)
    money = {
        "items_amount": quote.items_total,
        "return_fee": deductions.get(Charge.RETURN_FEE, ZERO),
        "restocking_fee": deductions.get(Charge.RESTOCKING_FEE, ZERO),
        "store_credit_bonus": quote.store_credit_bonus,
        "shipping_refund": quote.shipping_refund,
        "expected_refund": quote.total,
    }
    for _attempt in range(5):
        try:
            with transaction.atomic():
                return ReturnRequest.objects.create(
                    number=new_return_number(),
                    order=order,
                    created_by=by if by is not None and by.is_authenticated else None,
                    created_at=now,
                    state_changed_at=now,
                    **money,
                    **fields,
                )
        except IntegrityError:
            continue
    raise RuntimeError("Could not draw a free return number in 5 attempts.")
