"""The carriers' event pushes: `POST /carriers/<key>/events/`, one URL per configured carrier.

The carrier's adapter checks the signature and reads its own shape
(`parse_webhook`, which raises `WebhookRefused`: 400 and nothing changes); the
events are then recorded like polled ones (`record_tracking_events`): once per
event, so a replay changes nothing, and a parcel the portal does not know is
acknowledged (the carrier would only send it again) and logged.

No cookie, no CSRF token, no session: the carrier's signature is the protection.
The page cache and fast pages only answer GETs, so they never see these.
"""

from __future__ import annotations

import logging

from django.conf import settings
from django.http import Http404, HttpRequest, HttpResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from returns.carriers import DEFAULT_KEY, WebhookRefused, carrier_named
from returns.services import record_tracking_events

log = logging.getLogger(__name__)

MAX_BODY_BYTES = 256 * 1024  # a batch of tracking events is a few kilobytes; anything this big is not one


@csrf_exempt
@require_POST
def carrier_events(request: HttpRequest, key: str) -> HttpResponse:
    if key != DEFAULT_KEY and key not in settings.CARRIERS:
        raise Http404("No such carrier.")
    parse = getattr(carrier_named(key), "parse_webhook", None)
    if parse is None:
        raise Http404("This carrier sends no events.")
    if int(request.META.get("CONTENT_LENGTH") or 0) > MAX_BODY_BYTES:
        return HttpResponse("Too large.", status=413, content_type="text/plain")
    body = request.read(MAX_BODY_BYTES + 1)  # a body sent without a length is cut off here, not read whole
    if len(body) > MAX_BODY_BYTES:
        return HttpResponse("Too large.", status=413, content_type="text/plain")
    try:
        events = parse(headers=request.headers, body=body)
    except WebhookRefused as refusal:
        log.warning("Refused carrier events for %r: %s", key, refusal)
        return HttpResponse("Refused.", status=400, content_type="text/plain")
    new = record_tracking_events(events)
    log.info("Carrier %r sent %s events, %s new", key, len(events), new)
    return HttpResponse(status=204)
