"""The portal's URLs plus a hello-world view, which bench/wsgi.py serves with no middleware: the baseline."""

from django.http import HttpRequest, HttpResponse
from django.urls import include, path


def hello(request: HttpRequest) -> HttpResponse:
    return HttpResponse("Hello, world")


urlpatterns = [path("hello/", hello), path("", include("returns_portal.urls"))]
