"""The REST API: what each role may do, bad input as 400s, idempotent refunds, pages, throttling."""

from __future__ import annotations

import copy
from collections.abc import Callable
from decimal import Decimal

import pytest
from django.db import connection
from django.test import override_settings
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient

from refunds.models import Refund
from returns.models import Order, ReturnPolicy, ReturnRequest
from returns.services import LineRequest, return_create
from tests.factories import OrderLineFactory

pytestmark = pytest.mark.django_db
Role = Callable[[str], APIClient]

ORDER = {
    "number": "W-1001",
    "placed_at": "2026-11-20T10:00:00+01:00",
    "delivered_at": "2026-11-22T12:00:00+01:00",
    "currency": "SEK",
    "language": "sv",
    "payment_method": "card",
    "shipping_amount": "49.00",
    "customer": {"email": "Ebba@Example.se", "name": "Ebba Ek", "country": "se"},
    "lines": [
        {"sku": "TEE-M", "name": "T-shirt", "category": "Tops", "quantity": 2, "unit_price": "199.00",
         "vat_rate": "25"},
    ],
}  # fmt: skip


def a_return(quantity: int = 1) -> ReturnRequest:
    line = OrderLineFactory(quantity=2, unit_price=Decimal("300.00"))
    return return_create(
        order=line.order, lines=[LineRequest(line.id, quantity, "too_big")], resolution="refund", method="label"
    )


def a_requested_return() -> ReturnRequest:
    policy = ReturnPolicy.current()
    policy.auto_approve = False
    policy.save()
    return a_return()


def test_without_a_token_the_api_answers_401() -> None:
    response = APIClient().get("/api/v1/returns/")
    assert response.status_code == 401
    assert response["WWW-Authenticate"] == "Token"


def test_the_shop_pushes_orders_and_reads_them_back(api_as: Role) -> None:
    shop = api_as("shop")
    second = copy.deepcopy(ORDER) | {"number": "W-1002"}
    response = shop.post("/api/v1/orders/", [ORDER, second], format="json")
    assert response.status_code == 201, response.data
    assert response.data == {"created": 2, "updated": 0, "lines": 2, "orders": ["W-1001", "W-1002"]}
    assert shop.post("/api/v1/orders/", ORDER, format="json").data["updated"] == 1  # one object, upserted
    order = shop.get("/api/v1/orders/W-1001/").data
    assert order["customer"]["email"] == "ebba@example.se"
    assert order["lines"][0]["sku"] == "TEE-M"
    assert shop.get("/api/v1/orders/NOPE/").status_code == 404


def test_a_bad_order_refuses_the_whole_request_with_field_errors(api_as: Role) -> None:
    bad = copy.deepcopy(ORDER) | {"number": "W-2", "currency": "USD"}
    bad["lines"][0]["quantity"] = 0
    response = api_as("shop").post("/api/v1/orders/", [copy.deepcopy(ORDER), bad], format="json")
    assert response.status_code == 400
    assert set(response.data["errors"]) == {"1"}
    assert set(response.data["errors"]["1"]) == {"currency", "lines[0].quantity"}
    assert not Order.objects.exists()  # the good order was not saved either
    assert api_as("shop").post("/api/v1/orders/", "nonsense", format="json").status_code == 400


def test_roles_support_reads_warehouse_acts_shop_cannot_touch_returns(api_as: Role) -> None:
    return_request = a_requested_return()
    support, warehouse, shop = api_as("support"), api_as("warehouse"), api_as("shop")
    url = f"/api/v1/returns/{return_request.number}/"
    assert support.get(url).status_code == 200
    for client, expected in ((support, 403), (shop, 403)):
        assert client.post(url + "reject/", {"reason": "x"}, format="json").status_code == expected
        assert client.post("/api/v1/orders/", ORDER, format="json").status_code == (201 if client is shop else 403)
    assert warehouse.post("/api/v1/orders/", ORDER, format="json").status_code == 403
    rejected = warehouse.post(url + "reject/", {"reason": "Worn"}, format="json")
    assert rejected.status_code == 200
    assert (rejected.data["state"], rejected.data["rejection_reason"]) == ("rejected", "Worn")


def test_actions_refuse_what_the_state_does_not_allow_with_409(api_as: Role) -> None:
    return_request = a_return()  # approved automatically
    warehouse = api_as("warehouse")
    url = f"/api/v1/returns/{return_request.number}/"
    assert warehouse.post(url + "approve/").status_code == 409
    assert warehouse.post(url + "reject/", {}, format="json").data == {"reason": ["This field is required."]}
    assert warehouse.post("/api/v1/returns/R-NOPE/approve/").status_code == 404
    assert warehouse.post(url + "cancel/").data["state"] == "cancelled"
    assert "cannot go from Cancelled" in warehouse.post(url + "cancel/").data["detail"]


def test_receive_then_refund_once_per_idempotency_key_then_pay(api_as: Role) -> None:
    return_request = a_return(quantity=2)
    warehouse = api_as("warehouse")
    line = return_request.lines.get()
    url = f"/api/v1/returns/{return_request.number}/"
    bad = warehouse.post(url + "receive/", {"lines": [{"line": line.pk, "received_quantity": 5,
                         "condition": "resellable", "accept": True}]}, format="json")  # fmt: skip
    assert bad.status_code == 400 and str(line.pk) in bad.data
    received = warehouse.post(
        url + "receive/",
        {"lines": [{"line": line.pk, "received_quantity": 2, "condition": "resellable", "accept": True,
                    "restock": True}], "note": "Fine"},
        format="json",
    )  # fmt: skip
    assert received.data["state"] == "inspected"
    Refund.objects.all().delete()  # the receiver proposed one; here the API client makes it
    first = warehouse.post(url + "refund/", HTTP_IDEMPOTENCY_KEY="crm-77")
    again = warehouse.post(url + "refund/", HTTP_IDEMPOTENCY_KEY="crm-77")
    assert (first.status_code, again.status_code) == (201, 200)
    assert first.data["id"] == again.data["id"]
    assert Refund.objects.count() == 1
    other_key = warehouse.post(url + "refund/", HTTP_IDEMPOTENCY_KEY="crm-78")
    assert other_key.status_code == 409 and other_key.data["refund"] == first.data["id"]  # already refunded
    paid = warehouse.post(f"/api/v1/refunds/{first.data['id']}/retry/")
    assert paid.status_code == 200 and paid.data["state"] == "processing"  # manual: staff confirm the transfer


def test_lists_filter_page_by_cursor_and_cost_the_same_queries_for_few_or_many(api_as: Role) -> None:
    support = api_as("support")
    for _ in range(3):
        a_return()
    with CaptureQueriesContext(connection) as few:
        page = support.get("/api/v1/returns/", {"page_size": 2})
    assert len(page.data["results"]) == 2 and page.data["next"]
    assert len(support.get(page.data["next"]).data["results"]) == 1
    for _ in range(10):
        a_return()
    with CaptureQueriesContext(connection) as many:
        support.get("/api/v1/returns/", {"page_size": 2})
    assert len(many) == len(few)
    assert support.get("/api/v1/returns/", {"state": "flying"}).status_code == 400
    assert support.get("/api/v1/returns/", {"created_after": "yesterday"}).status_code == 400
    approved = support.get("/api/v1/returns/", {"state": "approved", "page_size": 50}).data["results"]
    assert len(approved) == 13
    assert support.get("/api/v1/refunds/", {"overdue": "true"}).data["results"] == []


def test_the_lookup_finds_a_return_by_the_customers_email(api_as: Role) -> None:
    return_request = a_return()
    email = return_request.order.customer.email.upper()
    found = api_as("support").get("/api/v1/lookup/", {"q": email}).data
    assert [result["number"] for result in found] == [return_request.number]
    assert found[0]["status_url"].startswith("http://testserver/r/")


@override_settings(API_RATE="3/min")
def test_each_token_has_its_own_rate_limit(api_as: Role) -> None:
    support, warehouse = api_as("support"), api_as("warehouse")
    statuses = [support.get("/api/v1/refunds/").status_code for _ in range(4)]
    assert statuses == [200, 200, 200, 429]
    assert int(support.get("/api/v1/refunds/")["Retry-After"]) > 0
    assert warehouse.get("/api/v1/refunds/").status_code == 200


def test_the_schema_and_the_docs_are_served_without_a_cdn(client) -> None:
    schema = client.get("/api/schema/", HTTP_ACCEPT="application/json")
    assert schema.status_code == 200
    paths = schema.json()["paths"]
    assert "/api/v1/returns/{number}/receive/" in paths and "/api/v1/lookup/" in paths
    docs = client.get("/api/docs/").content.decode()
    assert "swagger-ui" in docs and "cdn" not in docs.lower() and "https://" not in docs


def test_the_integration_token_command_refuses_a_second_token_without_rotate() -> None:
    import io

    from django.core.management import CommandError, call_command

    call_command("api_token", "helpdesk", role="support", stdout=io.StringIO())
    with pytest.raises(CommandError, match="--rotate"):
        call_command("api_token", "helpdesk", role="support", stdout=io.StringIO())
    call_command("api_token", "helpdesk", role="support", rotate=True, stdout=io.StringIO())


def test_the_shop_checks_and_spends_a_store_credit_code_once(api_as: Role) -> None:
    from django.contrib.auth.models import User as Staff

    from refunds.models import StoreCredit
    from refunds.tasks import pay_refund
    from returns.services import ReceivedLine, return_receive

    line = OrderLineFactory(quantity=1, unit_price=Decimal("300.00"))
    return_request = return_create(
        order=line.order, lines=[LineRequest(line.id, 1, "too_big")], resolution="store_credit", method="label"
    )
    staff = Staff.objects.create_user("lager", is_staff=True)
    return_receive(return_request=return_request, lines=[ReceivedLine(return_request.lines.get().id, 1,
                   "resellable", True)], by=staff)  # fmt: skip
    pay_refund(return_request.refunds.get().pk)  # the task the inspection's commit queues
    code = StoreCredit.objects.get().code
    shop = api_as("shop")
    looked_up = shop.get(f"/api/v1/store-credits/{code.lower()}/").data
    assert (looked_up["code"], looked_up["usable"]) == (code, True)
    spent = shop.post(f"/api/v1/store-credits/{code}/redeem/", {"order": "W-9"}, format="json")
    assert spent.status_code == 200 and spent.data["redeemed_order"] == "W-9"
    again = shop.post(f"/api/v1/store-credits/{code}/redeem/", {"order": "W-10"}, format="json")
    assert again.status_code == 409 and "already used on order W-9" in again.data["detail"]
    assert shop.post("/api/v1/store-credits/SC-NOPE/redeem/", {"order": "W-1"}, format="json").status_code == 404
    assert (
        api_as("support").post(f"/api/v1/store-credits/{code}/redeem/", {"order": "x"}, format="json").status_code
        == 403
    )


def test_a_bank_transfer_is_confirmed_through_the_api(api_as: Role) -> None:
    return_request = a_return()
    warehouse = api_as("warehouse")
    line = return_request.lines.get()
    received = {"line": line.pk, "received_quantity": 1, "condition": "resellable", "accept": True}
    warehouse.post(f"/api/v1/returns/{return_request.number}/receive/", {"lines": [received]}, format="json")
    refund = Refund.objects.get()
    assert warehouse.post(f"/api/v1/refunds/{refund.pk}/confirm/", {}, format="json").status_code == 409  # not sent
    warehouse.post(f"/api/v1/refunds/{refund.pk}/retry/")
    confirmed = warehouse.post(f"/api/v1/refunds/{refund.pk}/confirm/", {"reference": "BG 4711"}, format="json")
    assert (confirmed.data["state"], confirmed.data["provider_reference"]) == ("succeeded", "BG 4711")
    return_request.refresh_from_db()
    assert return_request.state == "completed"
