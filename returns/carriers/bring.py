"""Bring's own APIs (developer.bring.com): return bookings with a label or a QR code, pickup points, tracking.

Every call carries the Mybring login and its API key in the ``X-Mybring-API-Uid`` and ``X-Mybring-API-Key``
headers, and the portal's address in ``X-Bring-Client-URL``, as Bring's "Getting started" page asks. All of
Bring's APIs live on one host (``https://api.bring.com``), so one base URL serves them all.

A return is booked with a Norwegian return service (BRING_RETURN_PRODUCT, default 9350 "Return parcel to
business"): the customer is the sender, the warehouse the recipient, the shop's customer number pays.

Endpoints, as Bring's documentation and OpenAPI documents name them:

- ``POST /booking/api/create`` books (Booking API), with ``generateQrCodes`` for a label-free return;
- ``GET /booking/api/customers`` lists the user's customer numbers and their services (the check);
- ``GET /tracking/api/v2/tracking.json?q=…`` tracks a package, a shipment or a reference (Tracking API);
- ``GET /pickuppoint/api/pickuppoint/{country}/postalCode/{postcode}.json`` finds pickup points.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
from typing import Any
from urllib.parse import quote, urljoin, urlsplit
from zoneinfo import ZoneInfo

import requests
from django.conf import settings
from django.core.cache import cache
from django.utils import timezone
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
from returns.carriers.common import split_street, with_hand_in
from returns.carriers.http import call, field_named, json_body, setting

NAME = "Bring"
OSLO = ZoneInfo("Europe/Oslo")
# "Generating QR and Label-Free Codes": the Norwegian return services that answer with a QR code per package.
QR_PRODUCTS = {"9000", "9300", "9350", "9600", "0331", "0333", "0341", "0343"}
BOOKED_KEY = "returns.carriers.bring.booked:"  # + return number: Bring's confirmation, until the label is fetched
BOOKED_KEPT = 24 * 3600  # seconds
REDIRECTS = 3  # a label link answers 302 to Bring's storage (Amazon S3): followed, a few hops at most
# Tracking API event statuses (the "Events Description" table) and what they mean for a return.
STATUS_STAGES = {
    "PRE_NOTIFIED": TrackingStage.BOOKED,
    "NOTIFICATION_SENT": TrackingStage.BOOKED,
    "HANDED_IN": TrackingStage.HANDED_IN,
    "COLLECTED": TrackingStage.HANDED_IN,
    "IN_TRANSIT": TrackingStage.IN_TRANSIT,
    "TERMINAL": TrackingStage.IN_TRANSIT,
    "INTERNATIONAL": TrackingStage.IN_TRANSIT,
    "CUSTOMS": TrackingStage.IN_TRANSIT,
    "TRANSPORT_TO_RECIPIENT": TrackingStage.IN_TRANSIT,
    "READY_FOR_PICKUP": TrackingStage.IN_TRANSIT,  # at a pickup point near the warehouse, not yet in it
    "DELIVERED": TrackingStage.DELIVERED,
    "ATTEMPTED_DELIVERY": TrackingStage.PROBLEM,
    "DEVIATION": TrackingStage.PROBLEM,
    "RETURN": TrackingStage.PROBLEM,
    "DELIVERED_SENDER": TrackingStage.PROBLEM,  # back with the customer
}
# Booking error codes that name what is wrong with a party (suffixed -SENDER / -RECIPIENT when "suffixable").
CODE_FIELDS = {
    "BOOK-INPUT-014": "address",  # name
    "BOOK-INPUT-015": "address",
    "BOOK-INPUT-016": "address",  # city
    "BOOK-INPUT-017": "address",  # country
    "BOOK-INPUT-028": "address",
    "BOOK_INPUT-057": "postcode",
    "BOOK-INPUT-072": "phone",
}
HOURS = re.compile(r"(?P<days>[^:]+):\s*(?P<opens>\d{2})(?P<om>\d{2})-(?P<closes>\d{2})(?P<cm>\d{2})")


class BringCarrier:
    """Norwegian returns with Bring: a label, or a QR code the customer shows at a pickup point."""

    name = NAME

    # --- booking -------------------------------------------------------------------------------

    def create_shipment(self, request: ShipmentRequest) -> Shipment:
        """Book the return, or find the booking a lost answer left behind.

        Bring's Booking API takes no idempotency key, so the return number goes in as the sender's reference
        and the consignment's correlation id, and a retry works in two steps. Bring's confirmation is kept in
        the cache all workers share until its label is fetched: a retry after a label that did not arrive
        uses it and books nothing. A retry after an answer that never arrived asks the Tracking API for the
        reference (Bring knows a booking there from its EDI pre-notification); a booking found that way is
        not booked again but refused with its numbers for staff, because Bring documents no way to print its
        label or QR code again (it is in Mybring's order history). When that look-up cannot be made, we
        raise CarrierUnavailable rather than book blind.
        """
        confirmation = cache.get(BOOKED_KEY + request.return_number)
        if confirmation is None:
            self._refuse_if_booked(request.return_number)
            confirmation = self._book(request)
            cache.set(BOOKED_KEY + request.return_number, confirmation, timeout=BOOKED_KEPT)
        shipment = self._shipment(request, confirmation)
        cache.delete(BOOKED_KEY + request.return_number)
        return shipment

    def _refuse_if_booked(self, return_number: str) -> None:
        found = self._tracked(return_number)
        if found:
            packages = ", ".join(p.get("packageNumber", "") for p in found[0].get("packageSet") or [])
            raise CarrierRejected(
                f"{NAME} already has shipment {found[0].get('consignmentId', '')} (package {packages}) with "
                f"reference {return_number}; find its label in Mybring's order history."
            )

    def _book(self, request: ShipmentRequest) -> dict[str, Any]:
        product = setting(NAME, "BRING_RETURN_PRODUCT")
        qr_codes = request.label_free and product in QR_PRODUCTS
        if qr_codes and not request.sender.email:
            # "The sender's email address is required in the booking request" for a QR code.
            raise CarrierRejected(f"{NAME} needs the customer's e-mail address for a QR code.", field="email")
        headers = {"X-Bring-Test-Indicator": "true" if settings.BRING_TEST_BOOKINGS else "false"}
        answer = self._json("POST", "/booking/api/create", json=_booking(request, product, qr_codes), headers=headers)
        consignment = ((answer or {}).get("consignments") or [{}])[0]
        if consignment.get("errors"):
            raise _rejected(consignment["errors"], fallback=f"{NAME} refused the booking.")
        confirmation: dict[str, Any] | None = consignment.get("confirmation")
        if not confirmation or not confirmation.get("consignmentNumber"):
            raise CarrierUnavailable(f"{NAME} answered the booking without a shipment number; try again.")
        return confirmation

    def _shipment(self, request: ShipmentRequest, confirmation: dict[str, Any]) -> Shipment:
        package = (confirmation.get("packages") or [{}])[0]
        tracking_number = package.get("packageNumber") or confirmation["consignmentNumber"]
        qr_link = package.get("qrCodeLink") or ""
        label_free = request.label_free and bool(qr_link)
        return Shipment(
            carrier=NAME,
            tracking_number=tracking_number,
            qr_payload=qr_payload(request.return_number, tracking_number),
            label_pdf=b"" if label_free else self._label(confirmation),
            shipment_id=confirmation["consignmentNumber"],
            # The QR code is what the pickup point scans; the package number is its fallback for people. Bring's
            # label-free code (BRING-1234-5678) is not read: its field in the answer is not documented.
            dropoff_code=tracking_number if label_free else "",
            dropoff_code_image=self._download(qr_link) if label_free else b"",
        )

    def _label(self, confirmation: dict[str, Any]) -> bytes:
        link = (confirmation.get("links") or {}).get("labels") or ""
        label = self._download(link)
        if not label:
            raise CarrierUnavailable(f"{NAME} booked the return but sent no label; try again.")
        return label

    def _download(self, link: str) -> bytes:
        """A file Bring links to, b"" for a link elsewhere.

        Only a link on Bring's own host gets the credentials. "Making labels" says such a link answers with a
        302 to Bring's storage (e.g. Amazon S3) that clients must follow; those hops go without credentials.
        """
        if not link or urlsplit(link).netloc != urlsplit(settings.BRING_BASE_URL).netloc:
            return b""
        response = self._response("GET", link, allow_redirects=False)
        for _ in range(REDIRECTS):
            if not response.is_redirect:
                break
            location = urljoin(response.url or link, response.headers["Location"])
            response = call(
                "GET",
                location,
                carrier=NAME,
                timeout=settings.CARRIER_TIMEOUT_SECONDS,
                rejection=_rejection,
                allow_redirects=False,
            )
        return b"" if response.is_redirect else response.content

    def book_pickup(self, request: PickupRequest) -> PickupBooking:
        raise PickupRefused(
            f"{NAME}'s Pickup API orders pickups at the shop's own business address (with its customer number), "
            f"not at a customer's home; ask the customer to hand the parcel in at a {NAME} pickup point."
        )

    def cancel_shipment(self, shipment: Shipment) -> bool:
        """True while nobody has scanned the parcel, False once it is handed in.

        The Booking API documents no way to cancel a booking, and Bring bills a return when the customer uses
        it ("Free return of parcels"). So cancelling is making sure it was not handed in; the portal stops
        showing the label.
        """
        events = self.track([shipment.tracking_number])
        return all(event.stage in (TrackingStage.BOOKED, TrackingStage.OTHER) for event in events)

    # --- look-ups ------------------------------------------------------------------------------

    def service_points(self, *, country: str, postcode: str, street: str = "", limit: int = 5) -> list[ServicePoint]:
        street_name, street_number = split_street(street)
        params = {"street": street_name, "streetNumber": street_number, "numberOfResponses": limit}
        path = (
            f"/pickuppoint/api/pickuppoint/{quote(country.upper())}/postalCode/{quote(postcode.replace(' ', ''))}.json"
        )
        answer = self._json(
            "GET",
            path,
            params={key: value for key, value in params.items() if value},
            timeout=settings.CARRIER_LOOKUP_TIMEOUT_SECONDS,
        )
        return [_service_point(point, country) for point in ((answer or {}).get("pickupPoint") or [])[:limit]]

    def track(self, tracking_numbers: list[str]) -> list[TrackingEvent]:
        """The Tracking API takes one number (``q``) a call, so one call per number."""
        events: list[TrackingEvent] = []
        for number in tracking_numbers:
            for consignment in self._tracked(number):
                for package in consignment.get("packageSet") or []:
                    events.extend(_package_events(package, number))
        return events

    def _tracked(self, query: str) -> list[dict[str, Any]]:
        """The consignments Bring finds for a package number, shipment number or reference."""
        answer = self._json("GET", "/tracking/api/v2/tracking.json", params={"q": query, "lang": "en"}, accept=(404,))
        return [c for c in (answer or {}).get("consignmentSet") or [] if not c.get("error")]

    def check(self) -> list[str]:
        number, product = setting(NAME, "BRING_CUSTOMER_NUMBER"), setting(NAME, "BRING_RETURN_PRODUCT")
        customers = (self._json("GET", "/booking/api/customers") or {}).get("customers") or []
        customer = next((c for c in customers if c.get("customerNumber") == number), None)
        if customer is None:
            raise CarrierRejected(f"{NAME}: the API user has no access to customer number {number} in Mybring.")
        if product not in (customer.get("products") or []):
            raise CarrierRejected(f"{NAME}: customer number {number} may not book service {product}.")
        return [
            f"{NAME}: API key accepted for customer number {number} ({customer.get('name', '')}).",
            f"{NAME}: returns book as service {product}"
            + ("" if product in QR_PRODUCTS else "; it offers no QR code, so label-free returns get a label")
            + (" (test bookings)." if settings.BRING_TEST_BOOKINGS else "."),
        ]

    # --- HTTP ----------------------------------------------------------------------------------

    def _json(self, method: str, path: str, **options: Any) -> Any:
        """Bring's JSON answer; None for an accepted 404."""
        response = self._response(method, path, **options)
        if response.status_code == 404:
            return None
        answer = json_body(response)
        if answer is None:
            raise CarrierUnavailable(f"{NAME} answered {response.status_code} without JSON.")
        return answer

    def _response(
        self,
        method: str,
        path: str,
        *,
        timeout: float | None = None,
        accept: tuple[int, ...] = (),
        headers: dict[str, str] | None = None,
        **kwargs: Any,
    ) -> requests.Response:
        url = path if path.startswith("http") else settings.BRING_BASE_URL.rstrip("/") + path
        return call(
            method,
            url,
            carrier=NAME,
            timeout=timeout or settings.CARRIER_TIMEOUT_SECONDS,
            rejection=_rejection,
            accept=accept,
            headers={
                "X-Mybring-API-Uid": setting(NAME, "BRING_API_UID"),
                "X-Mybring-API-Key": setting(NAME, "BRING_API_KEY"),
                "X-Bring-Client-URL": settings.PORTAL_URL,
                "Accept": "application/json",
                **(headers or {}),
            },
            **kwargs,
        )


# --- what we send ----------------------------------------------------------------------------------


def _booking(request: ShipmentRequest, product: str, qr_codes: bool) -> dict[str, Any]:
    """One consignment from the customer (sender, with the return number as reference) to the warehouse.

    The customer's chosen pickup point is not sent: Bring's ``pickupPoint`` party is where a parcel is
    delivered, and a return may be handed in at any pickup point.
    """
    kilograms = round(request.weight_grams / 1000 / request.parcels, 3)
    consignment: dict[str, Any] = {
        "correlationId": request.return_number,
        "shippingDateTime": timezone.now().astimezone(OSLO).strftime("%Y-%m-%dT%H:%M:%S"),
        "parties": {
            "sender": _party(request.sender, reference=request.return_number),
            "recipient": _party(request.recipient),
        },
        "product": {"id": product, "customerNumber": setting(NAME, "BRING_CUSTOMER_NUMBER")},
        "packages": [
            {"weightInKg": kilograms, "goodsDescription": "Return", "correlationId": f"{request.return_number}-{n}"}
            for n in range(1, request.parcels + 1)
        ],
    }
    if qr_codes:
        consignment["generateQrCodes"] = True
    return {"schemaVersion": 1, "consignments": [consignment]}


def _party(address: Address, *, reference: str = "") -> dict[str, Any]:
    party: dict[str, Any] = {
        "name": address.name,
        "addressLine": address.street,
        "postalCode": address.postcode.replace(" ", ""),
        "city": address.city,
        "countryCode": address.country.upper(),
        "contact": {
            key: value
            for key, value in {"name": address.name, "email": address.email, "phoneNumber": address.phone}.items()
            if value
        },
    }
    if reference:
        party["reference"] = reference
    return party


# --- what we read ----------------------------------------------------------------------------------


def _service_point(point: dict[str, Any], country: str) -> ServicePoint:
    """The visiting address: "Postbox and visiting address" says it is the one for people."""
    distance = point.get("distanceInKm")
    return ServicePoint(
        id=str(point.get("id", "")),
        name=point.get("name", ""),
        street=point.get("visitingAddress") or point.get("address") or "",
        postcode=point.get("visitingPostalCode") or point.get("postalCode") or "",
        city=point.get("visitingCity") or point.get("city") or "",
        country=point.get("countryCode") or country.upper(),
        opening_hours=opening_hour_lines(point.get("openingHoursEnglish") or ""),
        distance_m=round(float(distance) * 1000) if distance else None,
    )


def opening_hour_lines(text: str) -> tuple[str, ...]:
    """ "Mon–Fri 11:00–18:00"-style lines from Bring's "Mon - Fri: 1100-1800, Sat: 1100-1400"."""
    lines = []
    for part in (part.strip() for part in text.split(",")):
        match = HOURS.fullmatch(part)
        if match:
            days = re.sub(r"\s*-\s*", "–", match["days"].strip())
            part = f"{days} {match['opens']}:{match['om']}–{match['closes']}:{match['cm']}"
        if part:
            lines.append(part)
    return tuple(lines)


def _package_events(package: dict[str, Any], number: str) -> list[TrackingEvent]:
    """The package's events, oldest first (Bring lists the newest first); its first physical scan is the hand-in."""
    package_number = package.get("packageNumber") or number
    events: list[TrackingEvent] = []
    scans = sorted(package.get("eventSet") or [], key=_event_time)
    stages = with_hand_in(
        STATUS_STAGES.get(str(event.get("status", "")).upper(), TrackingStage.OTHER) for event in scans
    )
    for event, stage in zip(scans, stages, strict=True):
        events.append(
            TrackingEvent(
                tracking_number=package_number,
                event_id=_event_id(package_number, event),
                at=_event_time(event),
                stage=stage,
                description=event.get("description", ""),
                location=" ".join(part for part in (event.get("postalCode"), event.get("city")) if part),
            )
        )
    return events


def _event_time(event: dict[str, Any]) -> dt.datetime:
    """``dateIso`` carries its offset; one without is read as Norwegian time, where Bring's scans are."""
    moment = parse_datetime(event.get("dateIso") or "")
    if moment is None:
        raise CarrierUnavailable(f"{NAME} sent an event without a readable time.")
    return moment if timezone.is_aware(moment) else moment.replace(tzinfo=OSLO)


def _event_id(package_number: str, event: dict[str, Any]) -> str:
    """Bring gives events no id: the package, status, time and unit of a scan identify it."""
    parts = (package_number, str(event.get("status", "")), event.get("dateIso", ""), str(event.get("unitId", "")))
    return "bring-" + hashlib.sha256("|".join(parts).encode()).hexdigest()[:32]


# --- refusals --------------------------------------------------------------------------------------


def _rejection(response: requests.Response) -> CarrierRejected:
    answer = json_body(response) or {}
    consignments = answer.get("consignments") if isinstance(answer, dict) else None
    errors = [error for c in consignments or [] for error in c.get("errors") or []]
    if not errors and isinstance(answer, dict) and answer.get("errors"):
        errors = answer["errors"]
    return _rejected(errors, fallback=f"{NAME} refused the request ({response.status_code}).")


def _rejected(errors: list[dict[str, Any]], *, fallback: str) -> CarrierRejected:
    """Bring's English messages, and the field the customer can fix: only a sender's (the customer's) error."""
    texts = [_english(error) for error in errors]
    message = "; ".join(text for text in texts if text) or fallback
    return CarrierRejected(message, field=next((f for f in map(_field, errors) if f), ""))


def _english(error: dict[str, Any]) -> str:
    messages = error.get("messages") or []
    chosen = next((m for m in messages if m.get("lang") == "en"), messages[0] if messages else {})
    return str(chosen.get("message") or error.get("message") or "")


def _field(error: dict[str, Any]) -> str:
    code = str(error.get("code", ""))
    if code.endswith("-RECIPIENT"):
        return ""  # the warehouse's address: staff fix it, not the customer
    base = code.removesuffix("-SENDER")
    return CODE_FIELDS.get(base) or field_named(_english(error).replace(" ", ""))
