"""What the API tells about a return beyond its state: the customer's photos and the home pickup."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from decimal import Decimal

import pytest
from django.contrib.auth.models import User
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from rest_framework.test import APIClient

from returns.models import Customer, ReturnRequest
from returns.services import LineRequest, return_create
from tests.factories import CustomerFactory, OrderFactory, OrderLineFactory
from tests.returns.photo_data import add_photo

pytestmark = pytest.mark.django_db
Role = Callable[[str], APIClient]


@pytest.fixture(autouse=True)
def _media_of_its_own(settings, tmp_path) -> None:
    settings.MEDIA_ROOT = tmp_path


def a_defect_claim(email: str = "ebba@example.se") -> ReturnRequest:
    customer = Customer.objects.filter(email=email).first() or CustomerFactory(email=email)
    line = OrderLineFactory(order=OrderFactory(customer=customer), unit_price=Decimal("300.00"))
    return return_create(
        order=line.order,
        lines=[LineRequest(line.id, 1, "defective")],
        resolution="refund",
        method="label",
        by=User.objects.get_or_create(username="desk", is_staff=True)[0],
    )


def test_a_return_lists_its_photos_behind_the_staff_only_view(api_as: Role) -> None:
    return_request = a_defect_claim()
    photo = add_photo(return_request.lines.get())
    [line] = api_as("support").get(f"/api/v1/returns/{return_request.number}/").data["lines"]
    [listed] = line["photos"]
    assert listed["id"] == photo.pk
    assert listed["content_type"] == "image/jpeg"
    assert listed["url"] == "http://testserver" + reverse("admin:returns_returnrequest_photo", args=[photo.pk])
    assert "/media/" not in listed["url"]


def test_a_return_tells_the_pickup_booking_or_its_problem(api_as: Role) -> None:
    booked, refused = a_defect_claim(), a_defect_claim()
    ReturnRequest.objects.filter(pk=booked.pk).update(
        method="pickup", pickup_date=dt.date(2026, 12, 8), pickup_reference="PU-5", pickup_window="08:00–12:00"
    )
    ReturnRequest.objects.filter(pk=refused.pk).update(
        method="pickup", pickup_date=dt.date(2026, 12, 9), pickup_problem="Address not served"
    )
    support = api_as("support")
    shown = support.get(f"/api/v1/returns/{booked.number}/").data
    assert (shown["pickup_date"], shown["pickup_reference"], shown["pickup_window"], shown["pickup_problem"]) == (
        "2026-12-08",
        "PU-5",
        "08:00–12:00",
        "",
    )
    shown = support.get(f"/api/v1/returns/{refused.number}/").data
    assert (shown["pickup_date"], shown["pickup_reference"], shown["pickup_problem"]) == (
        "2026-12-09",
        "",
        "Address not served",
    )
    label = support.get(f"/api/v1/returns/{a_defect_claim().number}/").data
    assert label["pickup_date"] is None


def test_lists_and_the_lookup_with_photos_cost_the_same_queries_for_few_or_many(api_as: Role) -> None:
    support = api_as("support")
    for _ in range(2):
        add_photo(a_defect_claim().lines.get())
    support.get("/api/v1/returns/")  # warm up: the token, the throttle
    counts = []
    for _round in range(2):
        with CaptureQueriesContext(connection) as listing:
            assert support.get("/api/v1/returns/").status_code == 200
        with CaptureQueriesContext(connection) as lookup:
            assert support.get("/api/v1/lookup/", {"q": "ebba@example.se"}).status_code == 200
        counts.append((len(listing), len(lookup)))
        for _ in range(4):
            return_request = a_defect_claim()
            add_photo(return_request.lines.get())
            add_photo(return_request.lines.get())
    assert counts[0] == counts[1], counts
