"""nShift Delivery (formerly Unifaun Online), its REST API "APIConnect" at ``/rs-extapi/v1``.

Authentication is HTTP Basic with the two halves of an nShift API key: the id (NSHIFT_API_ID) as user name,
the secret id (NSHIFT_API_SECRET) as password. The account needs the REST API licence keys Store and Print
(stored shipments, printing), Discard (cancelling), PickUpLocator (service points) and Status events (tracking).

In nShift a return is the shop's shipment to its customer with ``returnShipment`` set: the shop is the
sender (its ``quickId`` in nShift's address book, NSHIFT_SENDER_QUICK_ID) and the customer the receiver, and
the label carries the parcel from the customer back to the shop. The service (NSHIFT_RETURN_SERVICE, e.g.
PostNord's ``P24``) decides the carrier; NSHIFT_AGENT_TYPE says whose service points to list.

Endpoints (nShift Delivery Help Center, "Integration via API", and the API's RAML document):

- ``GET /stored-shipments?searchField=reference&searchOp=equals&searchValue=…`` finds an earlier booking;
- ``POST /stored-shipments``, then ``POST /stored-shipments/{id}/shipments?inlinePdf=true`` books and prints;
- ``DELETE /shipments/{id}`` cancels; ``GET /addresses/agents`` lists service points; ``GET /alerts`` tracks.
"""

from __future__ import annotations

import base64
import hashlib
import re
from typing import Any
from urllib.parse import urlsplit

import requests
from django.conf import settings
from django.core.cache import cache
from django.utils.dateparse import parse_datetime

from returns.carriers import (
    Address,
    CarrierRejected,
    CarrierUnavailable,
    PickupBooking,
    PickupRefused,
    PickupRequest,
    ServicePoint,
    Shipment,
    ShipmentRequest,
    TrackingEvent,
    TrackingStage,
    qr_payload,
)
from returns.carriers.http import call, field_named, json_body, setting

NAME = "nShift"
# nShift's agent types (GET /addresses/agents `type`) and the carrier whose points they are.
AGENT_CARRIERS = {
    "POSTNORD": "PostNord",
    "PP": "PostNord",
    "PPFI": "PostNord",
    "DHLSP": "DHL",
    "DHLSPCOD": "DHL",
    "ITELLA": "Posti",
    "ITELLASP": "Posti",
    "BRING": "Bring",
    "GLS": "GLS",
    "UPS": "UPS",
    "SBTL": "DB Schenker",
    "SBTLFI": "DB Schenker",
    "MHM": "Matkahuolto",
    "MHT": "Matkahuolto",
    "BUSSGODS": "Bussgods",
}
PRINTABLE = {"READY", "WARNED"}  # a stored shipment in these states prints; INVALID and FAILED do not
DISCARDED = {"INVALID", "FAILED"}
PDF_CONFIG = {
    "target1Media": "laser-a4",
    "target1XOffset": 0.0,
    "target1YOffset": 0.0,
    "target2Media": "laser-a4",
    "target2XOffset": 0.0,
    "target2YOffset": 0.0,
}
ALERTS_CURSOR = "returns.carriers.nshift.alerts_fetch_id"
EVENTS_KEY = "returns.carriers.nshift.events:"  # + parcel number: its events read from the feed
EVENTS_KEPT = 60 * 24 * 3600  # seconds; a return is long received by then
ALERT_PAGES = 20  # a call reads at most this many pages of 100 events; the rest waits for the next call
# Words in nShift's alert codes, and what they mean for a return on its way to the warehouse.
ALERT_STAGES = (
    (TrackingStage.PROBLEM, ("DEVIATION", "EXCEPTION", "NOT_DELIVERED", "RETURNED", "DELAYED", "DAMAGED", "FAILED")),
    (TrackingStage.DELIVERED, ("DELIVERED",)),
    (TrackingStage.HANDED_IN, ("PICKED_UP", "HANDED_IN", "DROPPED_OFF", "COLLECTED")),
    (TrackingStage.IN_TRANSIT, ("TRANSIT", "TERMINAL", "ARRIVED", "DEPARTED", "EN_ROUTE", "SORTED")),
    (TrackingStage.BOOKED, ("PRINTED", "CREATED", "TRANSMITTED", "BOOKED", "EDI")),
)


class NShiftCarrier:
    """Returns through nShift Delivery with the shop's return service."""

    name = NAME  # until an instance knows the carrier behind the service

    def __init__(self) -> None:
        self.name = AGENT_CARRIERS.get(settings.NSHIFT_AGENT_TYPE.upper(), NAME)

    # --- booking -------------------------------------------------------------------------------

    def create_shipment(self, request: ShipmentRequest) -> Shipment:
        """Book the return as a stored shipment whose reference is the return number, then print it.

        Idempotent by that reference: before storing, we look it up (``searchField=reference``). A stored
        shipment that is ready is printed instead of stored again; an invalid or failed one is deleted and
        stored afresh. One in any other state was printed already: nShift's API offers no way to find the
        printed shipment from it, so rather than book a second parcel we refuse with a pointer for staff.

        Label-free returns: nShift's public API documents no label-free option, so they get a label too.
        """
        stored = self._stored_shipment(request.return_number)
        if stored is None:
            stored = self._store(request)
        answer = self._request(
            "POST", f"/stored-shipments/{stored['id']}/shipments", params={"inlinePdf": "true"}, json=PDF_CONFIG
        )
        return self._printed(request, answer if isinstance(answer, list) else [answer])

    def _stored_shipment(self, return_number: str) -> dict[str, Any] | None:
        params = {"searchField": "reference", "searchOp": "equals", "searchValue": return_number}
        for stored in self._request("GET", "/stored-shipments", params=params) or []:
            status = str(stored.get("status", "")).upper()
            if status in PRINTABLE:
                found: dict[str, Any] = stored
                return found
            if status in DISCARDED:
                self._request("DELETE", f"/stored-shipments/{stored['id']}", accept=(404,))
                continue
            raise CarrierRejected(
                f"{NAME} already printed the shipment with reference {return_number} (stored shipment "
                f"{stored.get('id')}, {status or 'no status'}); find its label under printed shipments in nShift."
            )
        return None

    def _store(self, request: ShipmentRequest) -> dict[str, Any]:
        stored: dict[str, Any] = self._request("POST", "/stored-shipments", json=_shipment_body(request))
        if str(stored.get("status", "")).upper() not in PRINTABLE:
            raise _rejected(stored.get("statuses") or [], fallback=f"{NAME} stored the shipment as invalid.")
        return stored

    def _printed(self, request: ShipmentRequest, shipments: list[dict[str, Any]]) -> Shipment:
        shipment = next((s for s in shipments if s.get("returnShipment")), shipments[0] if shipments else {})
        parcels = shipment.get("parcels") or [{}]
        tracking_number = parcels[0].get("returnParcelNo") or parcels[0].get("parcelNo") or ""
        if not tracking_number:
            raise CarrierUnavailable(f"{NAME} printed the shipment but sent no parcel number.")
        return Shipment(
            carrier=self.name,
            tracking_number=tracking_number,
            qr_payload=qr_payload(request.return_number, tracking_number),
            label_pdf=self._label(shipment.get("pdfs") or []),
            shipment_id=str(shipment.get("id", "")),
        )

    def _label(self, pdfs: list[dict[str, Any]]) -> bytes:
        """The label inline (``inlinePdf``), else fetched from its link, which lives for an hour. The link
        gets our credentials, so only one on nShift's own host is followed."""
        api_host = urlsplit(settings.NSHIFT_BASE_URL).netloc
        for pdf in pdfs:
            if pdf.get("pdf"):
                return base64.b64decode(pdf["pdf"])
            if pdf.get("href") and urlsplit(pdf["href"]).netloc == api_host:
                return self._response("GET", pdf["href"]).content
        raise CarrierUnavailable(f"{NAME} printed the shipment but sent no label; try again.")

    def book_pickup(self, request: PickupRequest) -> PickupBooking:
        raise PickupRefused(
            f"{NAME} books a pickup only together with a new shipment (the service's pickup booking), "
            f"not for a return that is already booked; book the pickup with {self.name} directly."
        )

    def cancel_shipment(self, shipment: Shipment) -> bool:
        """nShift marks it cancelled and tells the carrier where the carrier takes cancellations."""
        shipment_id = shipment.shipment_id or shipment.tracking_number
        response = self._response("DELETE", f"/shipments/{shipment_id}", accept=(404,))
        return response.status_code != 404

    # --- look-ups ------------------------------------------------------------------------------

    def service_points(self, *, country: str, postcode: str, street: str = "", limit: int = 5) -> list[ServicePoint]:
        params = {
            "type": settings.NSHIFT_AGENT_TYPE,
            "zip": postcode.replace(" ", ""),
            "street": street,
            "countryCode": country.upper(),
        }
        agents = self._request(
            "GET",
            "/addresses/agents",
            params={key: value for key, value in params.items() if value},
            timeout=settings.CARRIER_LOOKUP_TIMEOUT_SECONDS,
        )
        return [_service_point(agent, country) for agent in (agents or [])[:limit]]

    def track(self, tracking_numbers: list[str]) -> list[TrackingEvent]:
        """Events for these parcels from nShift's status events (``GET /alerts``).

        That is one feed for the whole account, read onwards from where the last reading stopped (its
        ``fetchId``). So that a call about some parcels loses nothing about others, each reading files the
        events of return shipments per parcel in the cache all workers share (for EVENTS_KEPT), and a call
        answers from there: the same event may come twice, and is stored once by its id.
        """
        self._read_status_feed()
        filed = cache.get_many([EVENTS_KEY + number for number in tracking_numbers])
        return [event for number in tracking_numbers for event in filed.get(EVENTS_KEY + number, [])]

    def _read_status_feed(self) -> None:
        for _ in range(ALERT_PAGES):
            page = self._request("GET", "/alerts", params={"fetchId": cache.get(ALERTS_CURSOR, "-1")}) or {}
            _file_events([event for alert in page.get("alerts") or [] for event in _alert_events(alert)])
            if page.get("fetchId"):
                cache.set(ALERTS_CURSOR, str(page["fetchId"]), timeout=None)
            if page.get("done", True):
                break

    def check(self) -> list[str]:
        service = setting(NAME, "NSHIFT_RETURN_SERVICE")
        self._stored_shipment("CARRIER-CHECK")
        return [
            f"{NAME}: API key accepted (stored shipments).",
            f"{NAME}: returns book as service {service} from sender {settings.NSHIFT_SENDER_QUICK_ID}; "
            f"service points are {self.name}'s ({settings.NSHIFT_AGENT_TYPE}).",
        ]

    # --- HTTP ----------------------------------------------------------------------------------

    def _request(self, method: str, path: str, **options: Any) -> Any:
        """nShift's JSON answer; None for an empty one (a 204, an accepted 404)."""
        response = self._response(method, path, **options)
        return json_body(response) if response.content else None

    def _response(
        self, method: str, path: str, *, timeout: float | None = None, accept: tuple[int, ...] = (), **kwargs: Any
    ) -> requests.Response:
        url = path if path.startswith("http") else settings.NSHIFT_BASE_URL.rstrip("/") + path
        return call(
            method,
            url,
            carrier=NAME,
            timeout=timeout or settings.CARRIER_TIMEOUT_SECONDS,
            rejection=_rejection,
            accept=accept,
            auth=(setting(NAME, "NSHIFT_API_ID"), setting(NAME, "NSHIFT_API_SECRET")),
            headers={"Accept": "application/json"},
            **kwargs,
        )


def _shipment_body(request: ShipmentRequest) -> dict[str, Any]:
    warehouse, customer = request.recipient, request.sender
    body: dict[str, Any] = {
        "sender": {"quickId": setting(NAME, "NSHIFT_SENDER_QUICK_ID"), **_party(warehouse)},
        "receiver": _party(customer),
        "service": {"id": setting(NAME, "NSHIFT_RETURN_SERVICE"), "normalShipment": False, "returnShipment": True},
        "parcels": [
            {
                "copies": request.parcels,
                "weight": round(request.weight_grams / 1000 / request.parcels, 3),
                "contents": "Return",
            }
        ],
        "senderReference": request.return_number,
        "orderNo": request.return_number,
    }
    if request.service_point_id:
        body["agent"] = {"quickId": request.service_point_id}
    return body


def _party(address: Address) -> dict[str, Any]:
    fields = {
        "name": address.name,
        "address1": address.street,
        "zipcode": address.postcode.replace(" ", ""),
        "city": address.city,
        "country": address.country.upper(),
        "email": address.email,
        "phone": address.phone,
        "mobile": address.phone,
    }
    return {key: value for key, value in fields.items() if value}


def _service_point(agent: dict[str, Any], country: str) -> ServicePoint:
    hours = agent.get("openingHours") or ""
    return ServicePoint(
        id=str(agent.get("id", "")),
        name=agent.get("name") or "",
        street=agent.get("address1") or "",
        postcode=agent.get("zipcode") or "",
        city=agent.get("city") or "",
        country=agent.get("countryCode") or country.upper(),
        opening_hours=tuple(line.strip() for line in re.split(r"[\n;]", hours) if line.strip()),
    )


def _alert_events(alert: dict[str, Any]) -> list[TrackingEvent]:
    """The alert as an event of each parcel of its shipment, if it is a return shipment."""
    info = alert.get("shipmentInfo") or {}
    at = parse_datetime(alert.get("alertTime") or "")
    code = str(alert.get("alertCode", ""))
    if not info.get("returnShipment") or at is None or not code:
        return []
    numbers = {
        n for parcel in info.get("parcels") or [] for n in (parcel.get("parcelNo"), parcel.get("returnParcelNo"))
    }
    return [
        TrackingEvent(
            tracking_number=number,
            event_id="ns-" + hashlib.sha256(f"{number}|{code}|{alert['alertTime']}".encode()).hexdigest()[:32],
            at=at,
            stage=_stage(code),
            description=code.replace("_", " ").capitalize(),
        )
        for number in sorted(n for n in numbers if n)
    ]


def _file_events(events: list[TrackingEvent]) -> None:
    by_number: dict[str, list[TrackingEvent]] = {}
    for event in events:
        by_number.setdefault(EVENTS_KEY + event.tracking_number, []).append(event)
    filed = cache.get_many(list(by_number))
    for key, new in by_number.items():
        merged = {event.event_id: event for event in filed.get(key, [])}
        for event in new:
            merged.setdefault(event.event_id, event)
        filed[key] = list(merged.values())
    cache.set_many({key: filed[key] for key in by_number}, timeout=EVENTS_KEPT)


def _stage(code: str) -> TrackingStage:
    """By whole words of the code: STATUS_TRANSITION_PRINTED is printed, not in transit."""
    code = f"_{code.upper()}_"
    return next(
        (stage for stage, words in ALERT_STAGES if any(f"_{word}_" in code for word in words)), TrackingStage.OTHER
    )


def _rejection(response: requests.Response) -> CarrierRejected:
    """400: ``{"code", "message"}``; 422: a list of validation statuses."""
    answer = json_body(response)
    if isinstance(answer, list):
        return _rejected(answer, fallback=f"{NAME} refused the shipment ({response.status_code}).")
    message = (answer or {}).get("message") or f"{NAME} refused the request ({response.status_code})."
    return CarrierRejected(message, field=field_named(message))


def _rejected(statuses: list[dict[str, Any]], *, fallback: str) -> CarrierRejected:
    errors = [status for status in statuses if str(status.get("type", "error")).lower() == "error"] or statuses
    message = "; ".join(str(status.get("message", "")) for status in errors if status.get("message")) or fallback
    names = [str(status.get(key) or "") for status in errors for key in ("field", "location")]
    return CarrierRejected(message, field=field_named(*names))
