"""Content-Security-Policy on every response (django-csp), from the settings' Content-Security-Policy section.

Two additions to django-csp: when the settings let other origins frame the portal (`CSP_FRAME_ANCESTORS`),
X-Frame-Options goes, since it can only say DENY or SAMEORIGIN and a browser that obeys it over the
policy's frame-ancestors would refuse the shop that may embed the portal; and `relaxed`, a narrower
exception for one view's pages (the API documents'), in whichever mode the policy runs.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from functools import wraps
from typing import Any

from csp.constants import NONE
from csp.decorators import csp_update
from csp.middleware import CSPMiddleware
from django.conf import settings
from django.http import HttpRequest, HttpResponseBase

View = Callable[..., HttpResponseBase]


def _directives(name: str) -> dict[str, Any]:
    return dict((getattr(settings, name, None) or {}).get("DIRECTIVES", {}))


class ContentSecurityPolicyMiddleware(CSPMiddleware):
    def process_response(self, request: HttpRequest, response: HttpResponseBase) -> HttpResponseBase:
        response = super().process_response(request, response)
        if _directives("CONTENT_SECURITY_POLICY").get("frame-ancestors", [NONE]) != [NONE]:
            del response["X-Frame-Options"]
        return response


def relaxed(update: Mapping[str, Sequence[object]]) -> Callable[[View], View]:
    """Decorator: this view's pages add `update` to the policy that restricts scripts and styles, which is
    the reported one under CSP_REPORT_ONLY (the enforced one then only forbids framing, and must not start
    restricting anything else). `csp.constants.NONCE` in it stands for the request's nonce."""

    def decorator(view: View) -> View:
        enforced, reported = csp_update(dict(update))(view), csp_update(dict(update), REPORT_ONLY=True)(view)

        @wraps(view)
        def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
            report_only = bool(getattr(settings, "CONTENT_SECURITY_POLICY_REPORT_ONLY", None))
            return (reported if report_only else enforced)(request, *args, **kwargs)

        return wrapped

    return decorator
