"""What every API endpoint shares: who may call it, how often, how lists are paged, how refusals look.

Each integration is a user with a token (`manage.py api_token`) in one of the role
groups; an endpoint names the permissions it needs to read and to write, so the
roles are the same as in the admin: Support reads, Warehouse processes returns and
refunds, Shop pushes orders.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.conf import settings
from rest_framework import permissions, serializers, status
from rest_framework.pagination import CursorPagination
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.throttling import UserRateThrottle

if TYPE_CHECKING:  # DRF imports its permission classes while rest_framework.views loads
    from rest_framework.views import APIView

NOBODY = ("api.nobody",)  # an endpoint that forgot to say is closed, not open


class RolePermissions(permissions.BasePermission):
    """`read_perms` for GET, `write_perms` for anything else, as Django permissions of the caller."""

    def has_permission(self, request: Request, view: APIView) -> bool:
        user = request.user
        if not user or not user.is_authenticated:
            return False
        needed = getattr(view, "read_perms" if request.method in permissions.SAFE_METHODS else "write_perms", NOBODY)
        return bool(user.has_perms(needed))


class IntegrationThrottle(UserRateThrottle):
    """Per token (per user): `API_RATE` requests, e.g. "1200/min". Read at request time so it can change."""

    scope = "api"

    def get_rate(self) -> str:
        return str(settings.API_RATE)


class NewestFirst(CursorPagination):
    """Cursor pages, newest first: stable while new rows arrive, and cheap however deep one pages."""

    ordering = ("-created_at", "-id")
    page_size_query_param = "page_size"
    max_page_size = 200


def refused(errors: dict[Any, list[str]], code: int = status.HTTP_400_BAD_REQUEST) -> Response:
    """A service's refusal as the API says it: field errors under their names, the rest under "detail"."""
    general = errors.get(None, [])
    body: dict[str, Any] = {str(key): value for key, value in errors.items() if key is not None}
    if general:
        body["detail"] = " ".join(general)
    return Response(body, status=code)


class Detail(serializers.Serializer[dict[str, Any]]):
    """The body of every refusal without field errors (401, 403, 404, 409, 429)."""

    detail = serializers.CharField()


ERROR_RESPONSES = {
    "400": "The request's fields are wrong: each field's errors under its name.",
    "401": "No token, or not a valid one.",
    "403": "The token's role may not do this.",
    "404": "No such object.",
    "415": "The body is not JSON (send Content-Type: application/json).",
    "429": "Too many requests for this token; see Retry-After.",
}


def document_errors(result: dict[str, Any], **kwargs: Any) -> dict[str, Any]:
    """drf-spectacular post-processing: every operation may answer with the errors every endpoint
    shares, described once, so clients (and schemathesis) know them."""
    error = {"type": "object", "additionalProperties": True, "properties": {"detail": {"type": "string"}}}
    for path in result.get("paths", {}).values():
        for operation in path.values():
            responses = operation.setdefault("responses", {})
            for code, description in ERROR_RESPONSES.items():
                responses.setdefault(
                    code, {"description": description, "content": {"application/json": {"schema": error}}}
                )
    return result
