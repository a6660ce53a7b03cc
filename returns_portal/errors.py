"""Error pages: the API answers in JSON even for a URL that matches nothing; people get HTML."""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest, JsonResponse
from django.views.defaults import page_not_found


def not_found(request: HttpRequest, exception: Exception) -> HttpResponse:
    if request.path.startswith("/api/"):
        return JsonResponse({"detail": "Not found."}, status=404)
    return page_not_found(request, exception)


class RejectNulBytes:
    """A NUL byte in the path or the query string is never meant: answer 400 before a view passes it
    to PostgreSQL, which refuses NUL in text (and would make it a 500)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if "\x00" in request.path or _nul_in_query(request):
            if request.path.startswith("/api/"):
                return JsonResponse({"detail": "The address contains a NUL character."}, status=400)
            return HttpResponseBadRequest("The address contains a NUL character.")
        return self.get_response(request)


def _nul_in_query(request: HttpRequest) -> bool:
    return any("\x00" in key or any("\x00" in value for value in values) for key, values in request.GET.lists())
