"""Payment providers' webhooks in: one endpoint per provider, `/webhooks/payments/<provider>/`.

Thin: the adapter verifies the signature and reads the events (`parse_webhook`), the settlement
stores each event once and settles its refund (`refunds.settlement`). A bad signature is 400 and
changes nothing; an event already seen, or one about nothing of ours, is acknowledged, so the
provider stops sending it; anything else that fails is a 500 and the provider delivers it again,
which changes nothing twice.
"""

from __future__ import annotations

import json
import logging
from typing import Any

from django.conf import settings
from django.http import Http404, HttpRequest, HttpResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from refunds.providers import BadSignature, ProviderTimeout, ProviderUnavailable, get_connected_provider
from refunds.settlement import provider_event_receive

log = logging.getLogger(__name__)

# Refund notifications are a few kilobytes; Adyen batches at most a handful. Anything larger is not theirs.
MAX_BODY_BYTES = 256 * 1024


@csrf_exempt  # the provider's signature stands in for the CSRF token: it signs every call
@require_POST
def provider_webhook(request: HttpRequest, provider: str) -> HttpResponse:
    if provider not in settings.PAYMENT_PROVIDERS:
        raise Http404
    if int(request.META.get("CONTENT_LENGTH") or 0) > MAX_BODY_BYTES:
        return HttpResponse("Too large.", status=413, content_type="text/plain")
    body = request.body
    adapter = get_connected_provider(provider)
    try:
        events = adapter.parse_webhook(headers=request.headers, body=body)
    except (BadSignature, ValueError) as refusal:
        log.warning("%s webhook refused: %s", provider, refusal)
        return HttpResponse("Bad signature.", status=400, content_type="text/plain")
    except (ProviderUnavailable, ProviderTimeout) as problem:  # Klarna's events are read back from Klarna
        log.warning("%s webhook not read now: %s", provider, problem)
        return HttpResponse("Try again later.", status=503, content_type="text/plain")
    for event in events:
        provider_event_receive(provider=provider, event=event, body=_readable(body))
    status, content_type, answer = adapter.webhook_answer()
    return HttpResponse(answer, status=status, content_type=content_type)


def _readable(body: bytes) -> Any:
    """The body as staff read it in the admin: its JSON, or its text (Klarna and Adyen may send forms)."""
    text = body.decode("utf-8", errors="replace")
    try:
        return json.loads(text)
    except ValueError:
        return text
