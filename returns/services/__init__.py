"""Actions that change returns. Views, admin, API and tasks all call these."""

from returns.services.booking import (
    return_awaits_carrier,
    return_book_carrier,
    return_book_pickup,
    return_ensure_shipment,
    returns_awaiting_carrier,
)
from returns.services.creation import LineRequest, return_create
from returns.services.errors import ReturnRefused
from returns.services.exchange import exchange_fulfil, replacement_ship
from returns.services.receiving import ReceivedLine, return_receive
from returns.services.self_help import self_help_record
from returns.services.transitions import InvalidTransition, return_reject, return_transition, returns_expire_unsent

__all__ = [
    "InvalidTransition",
    "LineRequest",
    "ReceivedLine",
    "ReturnRefused",
    "exchange_fulfil",
    "replacement_ship",
    "return_awaits_carrier",
    "return_book_carrier",
    "return_book_pickup",
    "return_create",
    "return_ensure_shipment",
    "return_receive",
    "return_reject",
    "return_transition",
    "returns_awaiting_carrier",
    "returns_expire_unsent",
    "self_help_record",
]
