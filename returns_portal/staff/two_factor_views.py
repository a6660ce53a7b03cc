"""The second step of a staff login: enrol an authenticator app, enter its code, read the recovery codes once.

Thin views over returns_portal.staff.two_factor. Their URLs (namespace
"two_factor") are the only staff pages an unverified session may open
(two_factor_middleware). Each is wrapped in admin.site.admin_view: staff only,
never cached, CSRF-protected.
"""

from __future__ import annotations

from urllib.parse import urlencode

from axes.handlers.proxy import AxesProxyHandler
from django import forms
from django.contrib import admin, messages
from django.contrib.auth import logout
from django.contrib.auth.base_user import AbstractBaseUser
from django.contrib.auth.signals import user_login_failed
from django.http import HttpRequest, HttpResponse, HttpResponseBase
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from django_otp import login as otp_login
from django_otp.models import Device
from django_otp.plugins.otp_static.models import StaticDevice

from returns_portal.staff import two_factor
from returns_portal.staff.lockout import locked_out

# The recovery codes between the confirming POST and the page that shows them, once.
RECOVERY_CODES_KEY = "two_factor_recovery_codes"
ALREADY_ENROLLED = gettext_lazy(
    "Two-factor authentication is already set up for you. For a new phone, ask an administrator to reset it."
)


class CodeForm(forms.Form):
    code = forms.CharField(
        label=gettext_lazy("Code"),
        max_length=64,
        widget=forms.TextInput(
            attrs={"autocomplete": "one-time-code", "autofocus": True, "autocapitalize": "off", "spellcheck": "false"}
        ),
    )


def enrol(request: HttpRequest) -> HttpResponseBase:
    """The QR code and the key of a new app device; its first code confirms it and makes the recovery codes."""
    next_url = _next(request)
    form = CodeForm(request.POST if request.method == "POST" else None)
    try:
        if form.is_valid():
            device, codes = two_factor.two_factor_enrolment_confirm(user=_user(request), code=form.cleaned_data["code"])
            _verified(request, device)
            request.session[RECOVERY_CODES_KEY] = codes
            return redirect(f"{reverse('two_factor:recovery-codes')}?{urlencode({'next': next_url})}")
        pending = two_factor.two_factor_enrolment_start(user=_user(request))
    except two_factor.CodeRefused as refusal:
        form.add_error("code", str(refusal))
        pending = two_factor.two_factor_enrolment_start(user=_user(request))
    except two_factor.AlreadyEnrolled:
        messages.info(request, ALREADY_ENROLLED)
        return redirect(next_url)
    context = {
        "title": _("Set up two-factor authentication"),
        "form": form,
        "next": next_url,
        "secret": two_factor.totp_secret(pending),
        "qr_svg": mark_safe(two_factor.totp_qr_svg(pending)),  # segno's markup of our own otpauth link
        "required": two_factor.two_factor_required(),
    }
    return _page(request, "two_factor/enrol.html", context)


def verify(request: HttpRequest) -> HttpResponseBase:
    """Asks an enrolled user for the app's code or a recovery code; wrong ones count toward the login lockout."""
    next_url = _next(request)
    user = _user(request)
    step = None if two_factor.two_factor_verified(user=user) else two_factor.two_factor_next_step(user=user)
    if step is None:
        return redirect(next_url)
    if step == "enrol":
        return redirect(f"{reverse('two_factor:enrol')}?{urlencode({'next': next_url})}")
    credentials: dict[str, object] = {"username": user.get_username()}
    if AxesProxyHandler.is_locked(request, credentials):
        logout(request)
        return locked_out(request, credentials=credentials)
    form = CodeForm(request.POST if request.method == "POST" else None)
    if form.is_valid():
        try:
            device = two_factor.two_factor_verify(user=user, code=form.cleaned_data["code"])
        except two_factor.CodeRefused as refusal:
            form.add_error("code", str(refusal))
            user_login_failed.send(sender=__name__, credentials=credentials, request=request)
            if request.axes_locked_out:  # type: ignore[attr-defined]  # axes' middleware shows the lockout page
                logout(request)
        else:
            _verified(request, device)
            return redirect(next_url)
    return _page(
        request, "two_factor/verify.html", {"title": _("Two-factor authentication"), "form": form, "next": next_url}
    )


def recovery_codes(request: HttpRequest) -> HttpResponse:
    """The ten codes, right after enrolment and never again (a reload shows that they were shown)."""
    context = {
        "title": _("Your recovery codes"),
        "codes": request.session.pop(RECOVERY_CODES_KEY, None),
        "next": _next(request),
    }
    return _page(request, "two_factor/recovery_codes.html", context)


def _verified(request: HttpRequest, device: Device) -> None:
    """The session is verified from now on, under a new key (a key seen before verification stays unverified)."""
    otp_login(request, device)
    request.session.cycle_key()
    if isinstance(device, StaticDevice):
        left = two_factor.recovery_codes_left(user=_user(request))
        messages.warning(
            request,
            ngettext(
                "You used a recovery code; %(left)d is left. Each works once.",
                "You used a recovery code; %(left)d are left. Each works once.",
                left,
            )
            % {"left": left},
        )


def _user(request: HttpRequest) -> AbstractBaseUser:
    user = request.user
    assert isinstance(user, AbstractBaseUser), "admin_view lets only logged-in staff in"
    return user


def _next(request: HttpRequest) -> str:
    """Where the login was headed, if it is a page of ours; else the admin's start page."""
    url = request.POST.get("next") or request.GET.get("next") or ""
    if url and url_has_allowed_host_and_scheme(
        url, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return url
    return reverse("admin:index")


def _page(request: HttpRequest, template: str, context: dict[str, object]) -> TemplateResponse:
    return TemplateResponse(request, template, {**admin.site.each_context(request), **context})
