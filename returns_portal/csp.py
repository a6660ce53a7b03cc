"""Content-Security-Policy on every response (django-csp), from the settings' Content-Security-Policy section.

Three additions to django-csp: when the settings let other origins frame the portal (`CSP_FRAME_ANCESTORS`),
X-Frame-Options goes, since it can only say DENY or SAMEORIGIN and a browser that obeys it over the
policy's frame-ancestors would refuse the shop that may embed the portal; and `relaxed`, a narrower
exception for one view's pages (the API documents'), in whichever mode the policy runs; and the
settings' policy built once per process: django-csp builds the header anew for every response, which
is a fifth of a cached customer page's time, though nearly every response (no nonce, no per-view change)
gets the very same one.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from functools import wraps
from typing import Any

from csp.constants import HEADER, HEADER_REPORT_ONLY, NONE
from csp.decorators import csp_update
from csp.middleware import CheckableLazyObject, CSPMiddleware
from csp.utils import build_policy
from django.conf import settings
from django.core.signals import setting_changed
from django.dispatch import receiver
from django.http import HttpRequest, HttpResponseBase

View = Callable[..., HttpResponseBase]


def _directives(name: str) -> dict[str, Any]:
    return dict((getattr(settings, name, None) or {}).get("DIRECTIVES", {}))


# What a response or request carries when its policy is not the settings' one (django-csp's decorators, a nonce).
_OWN_POLICY = ("_csp_config", "_csp_update", "_csp_replace", "_csp_exempt")
_settings_policies: dict[str, str] = {}


def _settings_policy(header: str) -> str:
    if header not in _settings_policies:
        _settings_policies[header] = build_policy(report_only=header == HEADER_REPORT_ONLY)
    return _settings_policies[header]


@receiver(setting_changed)
def _forget_settings_policies(setting: str, **kwargs: object) -> None:
    if setting.startswith("CONTENT_SECURITY_POLICY"):
        _settings_policies.clear()


def _has_settings_policy(request: HttpRequest, response: HttpResponseBase) -> bool:
    """The response gets the settings' policies unchanged: no view changed them, no nonce was used, and no
    URL prefix is excluded (the portal sets none); otherwise django-csp decides, as it always does."""
    own = any(hasattr(response, name) or hasattr(response, f"{name}_ro") for name in _OWN_POLICY)
    excluded = any(
        (getattr(settings, name, None) or {}).get("EXCLUDE_URL_PREFIXES")
        for name in ("CONTENT_SECURITY_POLICY", "CONTENT_SECURITY_POLICY_REPORT_ONLY")
    )
    return not (own or excluded or getattr(request, "_csp_nonce", None) or settings.DEBUG)


class ContentSecurityPolicyMiddleware(CSPMiddleware):
    def process_response(self, request: HttpRequest, response: HttpResponseBase) -> HttpResponseBase:
        if _has_settings_policy(request, response):
            for header in (HEADER, HEADER_REPORT_ONLY):
                if (policy := _settings_policy(header)) and header not in response:
                    response[header] = policy
            # As django-csp does: a template reading the nonce after the header is written is an error.
            request.csp_nonce = CheckableLazyObject(self._csp_nonce_post_response)  # type: ignore[attr-defined]
        else:
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
