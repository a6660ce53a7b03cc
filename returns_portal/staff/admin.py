"""The users' list says who has two-factor authentication, and an action resets it (a lost phone).

The device admins of django-otp are taken away: they show and edit the secret
of each user's app. Resetting, here or with `manage.py reset_two_factor`, is the
one way an administrator touches a second factor.
"""

from __future__ import annotations

# Imported first: this app is listed before them (its admin/base_site.html adds the two-factor link).
import django.contrib.auth.admin as auth_admin
import django_otp.plugins.otp_static.admin
import django_otp.plugins.otp_totp.admin  # noqa: F401
from django.contrib import admin, messages
from django.contrib.auth import get_user_model
from django.db.models import Exists, OuterRef, QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy, ngettext
from django_otp.plugins.otp_static.models import StaticDevice
from django_otp.plugins.otp_totp.models import TOTPDevice

from returns_portal.staff.two_factor import two_factor_reset

User = get_user_model()

for model in (TOTPDevice, StaticDevice, User):
    if admin.site.is_registered(model):
        admin.site.unregister(model)


@admin.register(User)
class StaffUserAdmin(auth_admin.UserAdmin):
    list_display = ("username", "email", "first_name", "last_name", "is_staff", "two_factor")
    actions = ["reset_two_factor"]

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        enrolled = TOTPDevice.objects.filter(user=OuterRef("pk"), confirmed=True)
        return super().get_queryset(request).annotate(two_factor_enrolled=Exists(enrolled))

    @admin.display(description=gettext_lazy("Two-factor"), boolean=True, ordering="two_factor_enrolled")
    def two_factor(self, user: object) -> bool:
        return bool(getattr(user, "two_factor_enrolled", False))

    @admin.action(description=gettext_lazy("Reset two-factor authentication (lost phone)"), permissions=["change"])
    def reset_two_factor(self, request: HttpRequest, queryset: QuerySet) -> None:
        for user in queryset:
            two_factor_reset(user=user, by=f"admin {request.user.get_username()!r}")
            self.log_change(request, user, "Reset two-factor authentication: the app and the recovery codes removed.")
        count = len(queryset)
        self.message_user(
            request,
            ngettext(
                "Two-factor authentication reset for %(count)d user: the app and the recovery codes are removed.",
                "Two-factor authentication reset for %(count)d users: the apps and the recovery codes are removed.",
                count,
            )
            % {"count": count},
            messages.SUCCESS,
        )
