"""The record of erasures, for staff to show when asked; written only by the commands and the sweep."""

from __future__ import annotations

from django.contrib import admin
from django.http import HttpRequest

from returns_portal.privacy.models import Erasure


@admin.register(Erasure)
class ErasureAdmin(admin.ModelAdmin):
    list_display = ["at", "scope", "object_id", "why"]
    list_filter = ["scope", "why"]
    readonly_fields = ["at", "scope", "object_id", "why", "counts"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False
