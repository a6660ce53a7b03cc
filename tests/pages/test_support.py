"""Support agents find any return and see where the money is, in one look, and change nothing."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.contrib.auth.models import User
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from refunds.models import StoreCredit
from refunds.services import RefundLineIn, refund_create, refund_execute
from refunds.store_credit import store_credit_redeem
from returns.models import Customer, ReturnRequest
from returns.services import LineRequest, return_create, return_ensure_shipment
from tests.factories import CustomerFactory, OrderFactory, OrderLineFactory
from tests.returns.photo_data import add_photo

pytestmark = pytest.mark.django_db


def a_return(email: str = "kari@example.no", name: str = "Kari Nordmann") -> ReturnRequest:
    customer = Customer.objects.filter(email=email).first() or CustomerFactory(email=email, name=name)
    order = OrderFactory(customer=customer)
    line = OrderLineFactory(order=order, unit_price=Decimal("300.00"))
    return_request = return_create(
        order=order, lines=[LineRequest(line.id, 1, "too_big")], resolution="refund", method="label"
    )
    return return_ensure_shipment(return_request=return_request)


@pytest.mark.parametrize("field", ["email", "order", "number", "tracking", "name"])
def test_any_of_the_customers_details_finds_the_return_and_its_refund(agent: Client, field: str) -> None:
    return_request = a_return()
    refund_create(
        order=return_request.order,
        lines=[RefundLineIn("goodwill", Decimal("251.00"))],  # items are refunded once inspected
        method="bank_transfer",
        idempotency_key="s1",
        return_request=return_request,
    )
    a_return(email="someone@else.example", name="Someone Else")
    query = {
        "email": "KARI@example.no",
        "order": return_request.order.number,
        "number": return_request.number.lower(),
        "tracking": return_request.tracking_number,
        "name": "nordmann",
    }[field]
    page = agent.get("/support/", {"q": query}).content.decode()
    assert return_request.number in page
    assert "Someone Else" not in page
    assert "SEK251.00 by bank transfer — <strong>Pending</strong>" in page
    assert "/r/" in page  # the status link to send


def test_a_search_costs_the_same_queries_for_one_result_or_many(agent: Client, settings, tmp_path) -> None:
    settings.MEDIA_ROOT = tmp_path
    counts = []
    for email in ("one@example.com", "many@example.com"):
        for _ in range(1 if email.startswith("one") else 6):
            return_request = a_return(email=email)
            with_store_credit(return_request)
            add_photo(return_request.lines.get())
            add_photo(return_request.lines.get())
        with CaptureQueriesContext(connection) as queries:
            agent.get("/support/", {"q": email})
        counts.append(len(queries))
    assert counts[0] == counts[1], counts


def with_store_credit(return_request: ReturnRequest) -> StoreCredit:
    refund = refund_create(
        order=return_request.order,
        lines=[RefundLineIn("goodwill", Decimal("25"))],
        method="store_credit",
        idempotency_key=f"credit:{return_request.number}",
        return_request=return_request,
    )
    refund_execute(refund=refund)
    return StoreCredit.objects.get(refund=refund)


def test_the_agent_sees_the_store_credit_code_and_whether_it_was_used(agent: Client) -> None:
    credit = with_store_credit(a_return())
    page = agent.get("/support/", {"q": "kari@example.no"}).content.decode()
    assert credit.code in page
    assert "valid until" in page
    store_credit_redeem(code=credit.code, order_number="W-77")
    assert "used on order W-77" in agent.get("/support/", {"q": "kari@example.no"}).content.decode()


def test_the_support_page_needs_a_login_and_a_role(client: Client) -> None:
    assert client.get("/support/")["Location"].startswith("/admin/login/")
    client.force_login(User.objects.create_user("nobody", password="x", is_staff=True))
    assert client.get("/support/").status_code == 403


def test_support_agents_can_change_nothing(agent: Client) -> None:
    return_request = a_return()
    refund = refund_create(
        order=return_request.order,
        lines=[RefundLineIn("goodwill", Decimal("10"))],  # items are refunded once inspected
        method="original_payment",
        idempotency_key="s2",
        return_request=return_request,
    )
    for url in (
        f"/admin/returns/returnrequest/{return_request.pk}/change/",
        f"/admin/refunds/refund/{refund.pk}/change/",
        "/admin/returns/returnpolicy/1/change/",
        f"/admin/returns/returnrequest/{return_request.pk}/receive/",
        "/admin/returns/returnrequest/scan/",
        f"/admin/returns/order/{return_request.order.pk}/return/",
        f"/admin/returns/order/{return_request.order.pk}/change/",
        "/admin/refunds/refund/goodwill/",
    ):
        assert agent.post(url, {}).status_code == 403, url
    paid = agent.post("/admin/refunds/refund/", {"action": "pay", "_selected_action": [refund.pk]})
    refund.refresh_from_db()
    assert refund.state == "pending"
    assert paid.status_code in (200, 302, 403)


def test_the_agent_sees_the_customers_photos_through_the_staff_only_view(agent: Client, settings, tmp_path) -> None:
    settings.MEDIA_ROOT = tmp_path
    return_request = a_return()
    photos = [add_photo(return_request.lines.get()) for _ in range(2)]
    page = agent.get("/support/", {"q": return_request.number}).content.decode()
    for photo in photos:
        full = reverse("admin:returns_returnrequest_photo", args=[photo.pk])
        assert f'href="{full}"' in page and f'src="{full}?size=thumb"' in page
    assert "/media/" not in page


def test_the_agent_sees_when_the_carrier_comes_or_why_it_does_not(agent: Client) -> None:
    booked, refused, waiting = a_return(), a_return(), a_return()
    day = dt.date(2026, 12, 8)
    ReturnRequest.objects.filter(pk=booked.pk).update(
        method="pickup", pickup_date=day, pickup_reference="PU-77", pickup_window="08:00–12:00"
    )
    ReturnRequest.objects.filter(pk=refused.pk).update(
        method="pickup", pickup_date=day, pickup_problem="Address not served"
    )
    ReturnRequest.objects.filter(pk=waiting.pk).update(method="pickup", pickup_date=day)
    page = agent.get("/support/", {"q": "kari@example.no"}).content.decode()
    assert "Pickup:</strong> Tue 8 Dec 2026, 08:00–12:00, ref PU-77" in page
    assert "Pickup:</strong> Tue 8 Dec 2026: could not be booked: Address not served" in page
    assert "Pickup:</strong> Tue 8 Dec 2026: not booked yet" in page


def test_the_labels_qr_code_finds_the_return(agent: Client) -> None:
    return_request = a_return()
    a_return(email="someone@else.example", name="Someone Else")
    page = agent.get("/support/", {"q": return_request.qr_payload}).content.decode()
    assert f"<h2>{return_request.number} · order" in page  # a result, not the query said back
    assert "Someone Else" not in page and "No return matches" not in page
