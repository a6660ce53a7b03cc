"""Actions that change returns. Views, admin, API and tasks all call these."""

from returns.services.booking import (
    return_address_fixable,
    return_awaits_carrier,
    return_book_carrier,
    return_book_pickup,
    return_ensure_shipment,
    return_needs_carrier,
    return_retry_booking,
    returns_awaiting_carrier,
)
from returns.services.carrier_cancel import return_cancel_shipment
from returns.services.creation import LineRequest, return_create
from returns.services.errors import ReturnRefused
from returns.services.exchange import exchange_fulfil, replacement_ship
from returns.services.receiving import ReceivedLine, return_receive
from returns.services.self_help import self_help_record
from returns.services.tracking import record_parcel_events, record_tracking_events, returns_track
from returns.services.transitions import InvalidTransition, return_reject, return_transition, returns_expire_unsent

__all__ = [
    "InvalidTransition",
    "LineRequest",
    "ReceivedLine",
    "ReturnRefused",
    "exchange_fulfil",
    "record_parcel_events",
    "record_tracking_events",
    "replacement_ship",
    "return_address_fixable",
    "return_awaits_carrier",
    "return_book_carrier",
    "return_book_pickup",
    "return_cancel_shipment",
    "return_create",
    "return_ensure_shipment",
    "return_needs_carrier",
    "return_receive",
    "return_reject",
    "return_retry_booking",
    "return_transition",
    "returns_awaiting_carrier",
    "returns_expire_unsent",
    "returns_track",
    "self_help_record",
]
