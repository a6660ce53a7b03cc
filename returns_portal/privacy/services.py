"""A person's data, exported or forgotten: each app says what it holds (`<app>.privacy`), this composes them.

The apps are asked top layer first (followup, refunds, returns): an upper app finds the person's
messages and refunds through the customer and orders that the returns app anonymises last.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Iterable, Mapping
from typing import Any, Protocol

from django.contrib.admin.models import LogEntry
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.utils import timezone

from followup import privacy as followup_privacy
from refunds import privacy as refunds_privacy
from returns import privacy as returns_privacy
from returns.models import Customer, ReturnRequest
from returns_portal.privacy.models import Erasure, Scope, Why


class AppPrivacy(Protocol):
    """What each app's `privacy` module offers."""

    def export(self, *, email: str, customer: Customer | None) -> dict[str, Any]: ...

    def erase(self, *, email: str, customer: Customer | None) -> dict[str, int]: ...

    def erase_returns(self, return_ids: Iterable[int]) -> dict[str, int]: ...


APPS: Mapping[str, AppPrivacy] = {"followup": followup_privacy, "refunds": refunds_privacy, "returns": returns_privacy}


class NotAnEmail(ValueError):
    pass


class UnknownPerson(LookupError):
    pass


class OpenMatters(Exception):
    """The person still has a return or a refund under way; the message lists them."""

    def __init__(self, matters: list[str]) -> None:
        super().__init__("; ".join(matters))
        self.matters = matters


def checked_email(email: str) -> str:
    email = email.strip()
    try:
        validate_email(email)
    except ValidationError:
        raise NotAnEmail(f"{email!r} is not an e-mail address.") from None
    return email


def person_export(*, email: str, now: dt.datetime | None = None) -> dict[str, Any]:
    """Everything held about the person with this address, by app; UnknownPerson if nothing is."""
    email = checked_email(email)
    customer = returns_privacy.customer_by_email(email)
    parts = {label: APPS[label].export(email=email, customer=customer) for label in ("returns", "refunds", "followup")}
    if not any(parts.values()):
        raise UnknownPerson(f"Nothing is held about {email}.")
    return {"email": email, "exported_at": now or timezone.now(), **parts}


def person_forget(*, email: str) -> dict[str, int]:
    """Anonymise everything held about the person, in one transaction; what was anonymised, by kind.

    Refused (OpenMatters) while a return or refund is under way: staff finish or cancel it first.
    """
    email = checked_email(email)
    with transaction.atomic():
        customer = forgettable(email, lock=True)
        return erase_person(email=email, customer=customer, why=Why.REQUEST)


def forgettable(email: str, *, lock: bool = False) -> Customer | None:
    """The customer to forget (None: only an objection is held), or why not: NotAnEmail,
    UnknownPerson, OpenMatters. With `lock`, the customer's row stays locked until the transaction ends."""
    email = checked_email(email)
    customer = returns_privacy.customer_by_email(email)
    if customer is not None and lock:
        customer = Customer.objects.select_for_update().get(pk=customer.pk)
    if customer is None and not followup_privacy.holds_objection(email):
        raise UnknownPerson(f"No customer, and no objection to marketing, has the address {email}.")
    if customer is not None and (matters := open_matters(customer)):
        raise OpenMatters(matters)
    return customer


def open_matters(customer: Customer) -> list[str]:
    return returns_privacy.open_matters(customer) + refunds_privacy.open_matters(customer)


def erase_person(*, email: str, customer: Customer | None, why: str) -> dict[str, int]:
    """Every app erases what it holds; the erasure is recorded. Runs inside the caller's transaction."""
    mine = ReturnRequest.objects.filter(order__customer=customer) if customer else ReturnRequest.objects.none()
    return_ids = list(mine.values_list("pk", flat=True))
    counts: Counter[str] = Counter()
    for app in APPS.values():
        counts.update(app.erase(email=email, customer=customer))
    if customer is not None:
        counts["admin log entries"] = _admin_log_forgets(customer)
        Erasure.objects.create(scope=Scope.CUSTOMER, object_id=customer.pk, why=why, counts=dict(counts))
        _record_returns(return_ids, why)
    return {kind: count for kind, count in counts.items() if count}


def erase_returns(return_ids: list[int], *, why: str) -> dict[str, int]:
    """Anonymise these returns in every app, and record it. Runs inside the caller's transaction."""
    counts: Counter[str] = Counter()
    for app in APPS.values():
        counts.update(app.erase_returns(return_ids))
    _record_returns(return_ids, why)
    return dict(counts)


def _record_returns(return_ids: list[int], why: str) -> None:
    erasures = [Erasure(scope=Scope.RETURN, object_id=return_id, why=why) for return_id in return_ids]
    Erasure.objects.bulk_create(erasures, ignore_conflicts=True)


def _admin_log_forgets(customer: Customer) -> int:
    """The admin's history names a changed customer ("Anna <anna@…>"); it names the placeholder now."""
    content_type = ContentType.objects.get_for_model(Customer)
    entries = LogEntry.objects.filter(content_type=content_type, object_id=str(customer.pk))
    return entries.update(object_repr=str(customer)[:200])
