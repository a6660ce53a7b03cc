"""Signed links: a customer reaches an order or a return without an account.

The links carry a database id signed with SECRET_KEY and a timestamp, so they
cannot be guessed or altered, and they stop working after a while.
"""

from __future__ import annotations

from django.core import signing

from returns.models import Order, ReturnRequest

ORDER_LINK_DAYS = 120  # sent with the order: it must outlive the return window, Christmas extension included
STATUS_LINK_DAYS = 400  # long enough to follow a refund and a later question about it
_DAY = 24 * 3600


class LinkExpired(Exception):
    """The link was genuine but is too old."""


class LinkInvalid(Exception):
    """The link was altered, truncated or never issued here."""


def _load(token: str, salt: str, days: int) -> int:
    try:
        value = signing.loads(token, salt=salt, max_age=days * _DAY)
    except signing.SignatureExpired:
        raise LinkExpired from None
    except signing.BadSignature:
        raise LinkInvalid from None
    if not isinstance(value, int):
        raise LinkInvalid
    return value


def order_token(order: Order) -> str:
    return signing.dumps(order.pk, salt="returns.order")


def order_from_token(token: str) -> Order:
    """The order, or LinkExpired / LinkInvalid / Order.DoesNotExist."""
    return Order.objects.select_related("customer").get(pk=_load(token, "returns.order", ORDER_LINK_DAYS))


def status_token(return_request: ReturnRequest) -> str:
    return signing.dumps(return_request.pk, salt="returns.status")


def return_id_from_token(token: str) -> int:
    return _load(token, "returns.status", STATUS_LINK_DAYS)
