"""Customer pages: thin, reading the policy through its model and selectors."""

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from returns.models import ReturnMethod, ReturnPolicy


def start(request: HttpRequest) -> HttpResponse:
    policy = ReturnPolicy.current()
    offered = [ReturnMethod(option.method).label for option in policy.methods.filter(offered=True)]
    return render(request, "returns/start.html", {"policy": policy, "methods": offered})
