"""PostNord's own APIs (developer.postnord.com): return labels and QR codes, service points, tracking, pickups.

Every call carries the API key as the ``apikey`` query parameter, the one way PostNord's gateway takes it.
The shop's customer number pays for the returns; its country picks the issuer code (Z11 Denmark, Z12 Sweden,
Z13 Norway, Z14 Finland), and we take that country from the warehouse the returns go to.

Endpoints, as in PostNord's published OpenAPI documents:

- ``POST /rest/shipment/v3/returns/edi/labels/pdf`` books a return (Booking API) and prints its label, or,
  label-free, its QR code (``addQRCODE``: additional service C2, ``definePrintout=onlyQRCode``);
- ``GET /rest/shipment/v7/trackandtrace/customernumber/{customerNumber}/reference/{reference}/public`` finds
  a booking by the return number before booking again;
- ``POST /rest/shipment/v3/labels/ids/pdf`` prints the label of a booking found that way;
- ``GET /rest/shipment/v7/trackandtrace/id/{id}/public`` tracks one item;
- ``GET /rest/businesslocation/v5/servicepoints/nearest/byaddress`` finds service points;
- ``POST /rest/shipment/v3/pickups`` books a pickup; ``GET /rest/shipment/v3/edi/labels/manage/health`` checks.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import re
from typing import Any
from urllib.parse import quote
from zoneinfo import ZoneInfo

import requests
from django.conf import settings
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.dates import WEEKDAYS_ABBR

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
from returns.carriers.common import split_street, with_hand_in
from returns.carriers.http import call, field_named, json_body, setting

NAME = "PostNord"
ISSUER_CODES = {"DK": "Z11", "SE": "Z12", "NO": "Z13", "FI": "Z14"}
CUSTOMER_NUMBER_ID_TYPE = "160"
CONSIGNOR_REFERENCE = "CU"  # the reference type for the sender's own reference
TIME_ZONES = {"SE": "Europe/Stockholm", "DK": "Europe/Copenhagen", "NO": "Europe/Oslo", "FI": "Europe/Helsinki"}
DAYS = ("MONDAY", "TUESDAY", "WEDNESDAY", "THURSDAY", "FRIDAY", "SATURDAY", "SUNDAY")
# Track & Trace statuses (v7 `status`): what they mean for a return on its way to the warehouse.
PROBLEM_STATUSES = {"DELAYED", "DELIVERY_IMPOSSIBLE", "DELIVERY_REFUSED", "EXPECTED_DELAY", "RETURNED", "STOPPED"}
NOT_YET_PHYSICAL = {"CREATED", "INFORMED"}  # the booking is known, nobody has scanned the parcel
MOVING_STATUSES = {"EN_ROUTE", "AVAILABLE_FOR_DELIVERY", "SPLIT"}
WINDOW = re.compile(r"(\d{1,2}:\d{2})\s*[–-]\s*(\d{1,2}:\d{2})")


class PostNordCarrier:
    """Returns by PostNord's Return Drop Off (basic service ``POSTNORD_RETURN_SERVICE``, default 24)."""

    name = NAME

    # --- booking -------------------------------------------------------------------------------

    def create_shipment(self, request: ShipmentRequest) -> Shipment:
        """Book the return, or find the booking a lost answer left behind.

        Idempotent by the return number: it is the shipment's consignor reference (type CU), and before
        booking we ask Track & Trace for a shipment with that reference under the shop's customer number.
        PostNord knows a booking there from the moment it receives the EDI, so a retry after a lost answer
        finds it, prints its label again (``/v3/labels/ids/pdf``) and books nothing. When that look-up
        cannot be made, we raise CarrierUnavailable rather than book blind.
        """
        found = self._booked_item(request.return_number)
        if found:
            return self._shipment_found(request, *found)
        answer = self._post(
            "/rest/shipment/v3/returns/edi/labels/pdf", params=_print_options(request), json=_edi(request)
        )
        return _shipment_booked(request, answer)

    def _booked_item(self, return_number: str) -> tuple[str, str] | None:
        """(item id, shipment id) of the return booked with this reference, if any."""
        customer_number = quote(setting(NAME, "POSTNORD_CUSTOMER_NUMBER"), safe="")
        reference = quote(return_number, safe="")
        path = f"/rest/shipment/v7/trackandtrace/customernumber/{customer_number}/reference/{reference}/public"
        answer = self._get(path, params={"locale": "en"}, accept=(404,))
        for shipment in (answer.get("TrackingInformationResponse") or {}).get("shipments") or []:
            for item in shipment.get("items") or []:
                if item.get("itemId"):
                    return item["itemId"], shipment.get("shipmentId") or item["itemId"]
        return None

    def _shipment_found(self, request: ShipmentRequest, item_id: str, shipment_id: str) -> Shipment:
        """The shipment of an earlier booking. Its QR image cannot be printed again, so a label-free
        return shows the item id, the code PostNord's service points look up."""
        label = b""
        if not request.label_free:
            answer = self._post(
                "/rest/shipment/v3/labels/ids/pdf",
                params={"paperSize": "A4", "definePrintout": "onlyLabels"},
                json=[{"id": item_id}],
            )
            label = _printout(answer if isinstance(answer, list) else [], "LABEL")
        return _shipment(request, item_id, shipment_id, label_pdf=label)

    def book_pickup(self, request: PickupRequest) -> PickupBooking:
        """A Collection Request for the return on `request.day`, in the window of RETURN_PICKUP_WINDOW."""
        opens, closes = _window(settings.RETURN_PICKUP_WINDOW)
        try:
            answer = self._post("/rest/shipment/v3/pickups", json=_pickup_booking(request, opens, closes))
        except CarrierRejected as refusal:
            raise PickupRefused(refusal.message) from None
        info = _first_id_information(answer)
        if info.get("status") == "FAIL":
            raise PickupRefused(_fault_text(info.get("errorResponse") or {}) or f"{NAME} refused the pickup.")
        reference = _assigned_id(info, "pickupId") or answer.get("bookingId") or ""
        return PickupBooking(reference=reference, window=f"{opens}–{closes}")

    def cancel_shipment(self, shipment: Shipment) -> bool:
        """True while nobody has scanned the parcel, False once it is handed in.

        PostNord bills a Return Drop Off when the parcel is handed in; an unused label expires unbilled, and
        the Booking API deletes EDI only for Swedish agreements (not Z11, Z13, Z14). So cancelling is making
        sure it was not handed in; the portal stops showing the label.
        """
        events = self.track([shipment.tracking_number])
        return all(event.stage in (TrackingStage.BOOKED, TrackingStage.OTHER) for event in events)

    # --- look-ups ------------------------------------------------------------------------------

    def service_points(self, *, country: str, postcode: str, street: str = "", limit: int = 5) -> list[ServicePoint]:
        street_name, street_number = split_street(street)
        params = {
            "returnType": "json",
            "countryCode": country.upper(),
            "postalCode": postcode.replace(" ", ""),
            "streetName": street_name,
            "streetNumber": street_number,
            "numberOfServicePoints": limit,
            "responseFilter": "public",
        }
        answer = self._get(
            "/rest/businesslocation/v5/servicepoints/nearest/byaddress",
            params={key: value for key, value in params.items() if value},
            timeout=settings.CARRIER_LOOKUP_TIMEOUT_SECONDS,
        )
        points = (answer.get("servicePointInformationResponse") or {}).get("servicePoints") or []
        return [_service_point(point, country) for point in points[:limit]]

    def track(self, tracking_numbers: list[str]) -> list[TrackingEvent]:
        """Track & Trace v7 answers for one item at a time: one call per number."""
        events: list[TrackingEvent] = []
        for number in tracking_numbers:
            path = f"/rest/shipment/v7/trackandtrace/id/{quote(number, safe='')}/public"
            answer = self._get(path, params={"locale": "en"}, accept=(404,))
            for shipment in (answer.get("TrackingInformationResponse") or {}).get("shipments") or []:
                for item in shipment.get("items") or []:
                    events.extend(_item_events(item, number))
        return events

    def check(self) -> list[str]:
        health = self._get("/rest/shipment/v3/edi/labels/manage/health")
        if health.get("status") != "UP":
            raise CarrierUnavailable(f"{NAME}'s booking API reports {health.get('status') or 'no status'}.")
        self._booked_item("CARRIER-CHECK")  # proves the key reaches Track & Trace for the customer number
        return [
            f"{NAME}: API key accepted; booking API is up.",
            f"{NAME}: returns book as service {setting(NAME, 'POSTNORD_RETURN_SERVICE')} "
            f"for customer number {setting(NAME, 'POSTNORD_CUSTOMER_NUMBER')}.",
        ]

    # --- HTTP ----------------------------------------------------------------------------------

    def _get(self, path: str, *, params: dict[str, Any] | None = None, **options: Any) -> Any:
        return self._request("GET", path, params=params, **options)

    def _post(self, path: str, *, json: Any, params: dict[str, Any] | None = None) -> Any:
        return self._request("POST", path, params=params, json=json)

    def _request(
        self,
        method: str,
        path: str,
        *,
        params: dict[str, Any] | None,
        timeout: float | None = None,
        accept: tuple[int, ...] = (),
        json: Any = None,
    ) -> Any:
        """PostNord's JSON answer (an empty dict for an accepted 404)."""
        response = call(
            method,
            settings.POSTNORD_BASE_URL.rstrip("/") + path,
            carrier=NAME,
            timeout=timeout or settings.CARRIER_TIMEOUT_SECONDS,
            rejection=_rejection,
            accept=accept,
            params={**(params or {}), "apikey": setting(NAME, "POSTNORD_API_KEY")},
            json=json,
            headers={"Accept": "application/json"},
        )
        if response.status_code == 404:
            return {}
        answer = json_body(response)
        if answer is None:
            raise CarrierUnavailable(f"{NAME} answered {response.status_code} without JSON.")
        return answer


# --- what we send ----------------------------------------------------------------------------------


def _print_options(request: ShipmentRequest) -> dict[str, Any]:
    options: dict[str, Any] = {"paperSize": "A4", "labelType": "standard", "addQRCODE": _flag(request.label_free)}
    if request.label_free:
        options |= {"definePrintout": "onlyQRCode", "qrCodeFormat": "PNG"}
    return options


def _flag(value: bool) -> str:
    return "true" if value else "false"


def _edi(request: ShipmentRequest) -> dict[str, Any]:
    """The EDI instruction of a return: the customer sends (the consignor, paid by the shop's customer
    number), the warehouse receives, the return number is the consignor's reference."""
    now = timezone.now().astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    kilograms = round(request.weight_grams / 1000, 3)
    shipment = {
        "shipmentIdentification": {"shipmentId": "0"},  # 0: PostNord assigns the id
        "dateAndTimes": {"loadingDate": now},
        "service": {"basicServiceCode": setting(NAME, "POSTNORD_RETURN_SERVICE"), "additionalServiceCode": []},
        "numberOfPackages": {"value": request.parcels},
        "totalGrossWeight": {"value": kilograms, "unit": "KGM"},
        "references": [{"referenceNo": request.return_number, "referenceType": CONSIGNOR_REFERENCE}],
        "parties": {
            "consignor": _consignor(request.sender, agreement_country=request.recipient.country),
            "consignee": {"party": _party(request.recipient)},
        },
        "goodsItem": [
            {
                "packageTypeCode": "PC",
                "items": [
                    {"itemIdentification": {"itemId": "0"}, "grossWeight": {"value": kilograms, "unit": "KGM"}}
                    for _ in range(request.parcels)
                ],
            }
        ],
    }
    return _message("Instruction", request.return_number, now, shipment)


def _message(function: str, message_id: str, now: str, shipment: dict[str, Any]) -> dict[str, Any]:
    return {
        "messageDate": now,
        "messageFunction": function,
        "messageId": message_id[:36],
        "application": {"name": "Returns portal", "version": "1.0"},
        "language": "EN",
        "updateIndicator": "Original",
        "shipment": [shipment],
    }


def _consignor(address: Address, *, agreement_country: str) -> dict[str, Any]:
    issuer = ISSUER_CODES.get(agreement_country.upper())
    if not issuer:
        raise CarrierRejected(f"{NAME} takes returns to SE, DK, NO or FI, not to {agreement_country}.")
    return {
        "issuerCode": issuer,
        "partyIdentification": {
            "partyId": setting(NAME, "POSTNORD_CUSTOMER_NUMBER"),
            "partyIdType": CUSTOMER_NUMBER_ID_TYPE,
        },
        "party": _party(address),
    }


def _party(address: Address) -> dict[str, Any]:
    contact = {"emailAddress": address.email, "phoneNo": address.phone, "smsNo": address.phone}
    return {
        "nameIdentification": {"name": address.name},
        "address": {
            "streets": [address.street] if address.street else [],
            "postalCode": address.postcode.replace(" ", ""),
            "city": address.city,
            "countryCode": address.country.upper(),
        },
        "contact": {key: value for key, value in contact.items() if value},
    }


def _pickup_booking(request: PickupRequest, opens: str, closes: str) -> dict[str, Any]:
    now = timezone.now().astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    zone = ZoneInfo(TIME_ZONES.get(request.address.country.upper(), settings.TIME_ZONE))
    earliest, latest = (
        dt.datetime.combine(request.day, dt.time.fromisoformat(time.zfill(5)), tzinfo=zone).isoformat()
        for time in (opens, closes)
    )
    item_id = request.tracking_number or "0"
    shipment = {
        "shipmentIdentification": {"shipmentId": "0"},
        "dateAndTimes": {"earliestPickupDate": earliest, "latestPickupDate": latest},
        "service": {"basicServiceCode": setting(NAME, "POSTNORD_RETURN_SERVICE")},
        "references": [{"referenceNo": request.return_number, "referenceType": CONSIGNOR_REFERENCE}],
        "parties": {"consignor": _consignor(request.address, agreement_country=request.address.country)},
        "goodsItem": [
            {
                "packageTypeCode": "PC",
                "numberOfPackageTypeCodeItems": {"value": request.parcels},
                "items": [{"itemIdentification": {"itemId": item_id}}],
            }
        ],
    }
    return _message("PickupBooking", request.return_number, now, shipment)


def _window(text: str) -> tuple[str, str]:
    match = WINDOW.search(text)
    return (match[1], match[2]) if match else ("08:00", "18:00")


# --- what we read ----------------------------------------------------------------------------------


def _shipment_booked(request: ShipmentRequest, answer: dict[str, Any]) -> Shipment:
    info = _first_id_information(answer.get("bookingResponse") or {})
    if info.get("status") == "FAIL":
        raise _rejected(info.get("errorResponse") or {})
    item_id = _assigned_id(info, "itemId")
    if not item_id:
        raise CarrierUnavailable(f"{NAME} booked the return but sent no item id; try again.")
    printouts = answer.get("labelPrintout") or []
    label = b"" if request.label_free else _printout(printouts, "LABEL")
    if not request.label_free and not label:
        # Booked, but no label came: asking again finds the booking by its reference and prints it.
        raise CarrierUnavailable(f"{NAME} booked the return but sent no label; try again.")
    return _shipment(
        request,
        item_id,
        _assigned_id(info, "shipmentId") or item_id,
        label_pdf=label,
        dropoff_code_image=_printout(printouts, "QRCODE") if request.label_free else b"",
    )


def _shipment(
    request: ShipmentRequest, item_id: str, shipment_id: str, *, label_pdf: bytes = b"", dropoff_code_image: bytes = b""
) -> Shipment:
    return Shipment(
        carrier=NAME,
        tracking_number=item_id,
        qr_payload=qr_payload(request.return_number, item_id),
        label_pdf=label_pdf,
        shipment_id=shipment_id,
        dropoff_code=item_id if request.label_free else "",
        dropoff_code_image=dropoff_code_image,
    )


def _first_id_information(booking: dict[str, Any]) -> dict[str, Any]:
    information = booking.get("idInformation") or [{}]
    first: dict[str, Any] = information[0]
    return first


def _assigned_id(info: dict[str, Any], id_type: str) -> str:
    return next((i.get("value", "") for i in info.get("ids") or [] if i.get("idType") == id_type), "")


def _printout(printouts: list[dict[str, Any]], kind: str) -> bytes:
    for entry in printouts:
        printout = entry.get("printout") or {}
        if printout.get("type", "LABEL") == kind and printout.get("data"):
            return base64.b64decode(printout["data"])
    return b""


def _service_point(point: dict[str, Any], country: str) -> ServicePoint:
    address = point.get("visitingAddress") or point.get("deliveryAddress") or {}
    street = " ".join(part for part in (address.get("streetName"), address.get("streetNumber")) if part)
    return ServicePoint(
        id=str(point.get("servicePointId", "")),
        name=point.get("name", ""),
        street=street,
        postcode=address.get("postalCode", ""),
        city=address.get("city", ""),
        country=address.get("countryCode") or country.upper(),
        opening_hours=opening_hour_lines((point.get("openingHours") or {}).get("postalServices") or []),
        distance_m=point.get("routeDistance"),
    )


def opening_hour_lines(postal_services: list[dict[str, Any]]) -> tuple[str, ...]:
    """ "Mon–Fri 08:00–20:00"-style lines: days in a row with the same hours share a line."""
    hours: dict[int, list[str]] = {}
    for entry in postal_services:
        day = entry.get("openDay", "").upper()
        if day in DAYS and entry.get("openTime") and entry.get("closeTime"):
            hours.setdefault(DAYS.index(day), []).append(f"{entry['openTime']}–{entry['closeTime']}")
    lines: list[str] = []
    run_start = None
    for day in range(7):
        today = sorted(hours.get(day, []))
        if run_start is None and today:
            run_start = day
        if run_start is not None and (day == 6 or sorted(hours.get(day + 1, [])) != today):
            if today:
                days = str(WEEKDAYS_ABBR[run_start]) + ("" if run_start == day else f"–{WEEKDAYS_ABBR[day]}")
                lines.append(f"{days} {', '.join(today)}")
            run_start = None
    return tuple(lines)


def _item_events(item: dict[str, Any], number: str) -> list[TrackingEvent]:
    """The item's events, oldest first; its first physical scan is the hand-in."""
    events: list[TrackingEvent] = []
    scans = sorted(item.get("events") or [], key=lambda event: event.get("eventTime", ""))
    stages = with_hand_in(_stage(event.get("status", "")) for event in scans)
    for event, stage in zip(scans, stages, strict=True):
        location = event.get("location") or {}
        events.append(
            TrackingEvent(
                tracking_number=item.get("itemId") or number,
                event_id=_event_id(item.get("itemId") or number, event, location),
                at=_aware(event.get("eventTime", ""), location.get("countryCode", "")),
                stage=stage,
                description=event.get("eventDescription", ""),
                location=_place(location),
            )
        )
    return events


def _stage(status: str) -> TrackingStage:
    status = status.upper()
    if status == "DELIVERED":
        return TrackingStage.DELIVERED
    if status in PROBLEM_STATUSES:
        return TrackingStage.PROBLEM
    if status in NOT_YET_PHYSICAL:
        return TrackingStage.BOOKED
    if status in MOVING_STATUSES:
        return TrackingStage.IN_TRANSIT
    return TrackingStage.OTHER


def _event_id(item_id: str, event: dict[str, Any], location: dict[str, Any]) -> str:
    """PostNord gives events no id: the item, code, time and place of a scan identify it."""
    parts = (item_id, event.get("eventCode", ""), event.get("eventTime", ""), location.get("locationId", ""))
    return "pn-" + hashlib.sha256("|".join(parts).encode()).hexdigest()[:32]


def _aware(text: str, country: str) -> dt.datetime:
    """Track & Trace times come without an offset, in the local time of the place of the scan."""
    moment = parse_datetime(text)
    if moment is None:
        raise CarrierUnavailable(f"{NAME} sent an event without a readable time.")
    if timezone.is_naive(moment):
        moment = moment.replace(tzinfo=ZoneInfo(TIME_ZONES.get(country.upper(), settings.TIME_ZONE)))
    return moment


def _place(location: dict[str, Any]) -> str:
    name = location.get("displayName") or location.get("name") or ""
    city = location.get("city") or ""
    return f"{name}, {city}" if name and city and city.lower() not in name.lower() else name or city


# --- refusals --------------------------------------------------------------------------------------


def _rejection(response: requests.Response) -> CarrierRejected:
    return _rejected(json_body(response) or {}, status=response.status_code)


def _rejected(error: dict[str, Any], *, status: int | None = None) -> CarrierRejected:
    """PostNord's words from an errorResponse: its faults' texts, the field from their parameters."""
    faults = (error.get("compositeFault") or {}).get("faults") or []
    params = [str(pair.get("param", "")) for fault in faults for pair in fault.get("paramValues") or []]
    text = _fault_text(error) or f"{NAME} refused the request ({status})."
    return CarrierRejected(text, field=field_named(*params))


def _fault_text(error: dict[str, Any]) -> str:
    faults = (error.get("compositeFault") or {}).get("faults") or []
    texts = [fault.get("explanationText", "") for fault in faults if fault.get("explanationText")]
    return "; ".join(texts) or error.get("message", "")
