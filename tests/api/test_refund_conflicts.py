"""The API refuses what cannot be done now with 409 (and says which refund already pays), bad input
with 400; a returned unit is refunded once however many clients ask at the same moment."""

from __future__ import annotations

import threading
from collections import defaultdict
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.db import connection
from django.db.models import Sum
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from refunds.models import COUNTED_STATES, Refund, RefundLine, StoreCredit
from refunds.providers.fake import FakeCardProvider, FakeConnectedProvider
from returns.models import ReturnRequest
from returns.services import LineRequest, ReceivedLine, return_create, return_receive
from tests.factories import OrderFactory, OrderLineFactory
from tests.refunds.paid_through import PROVIDERS
from tests.refunds.provider_server import ProviderServer, refund_id_of

pytestmark = pytest.mark.django_db
Role = Callable[[str], APIClient]
CARD = {"original_payment": "refunds.providers.fake.FakeCardProvider"}


def inspected(units: dict[Any, int], resolution: str = "refund") -> ReturnRequest:
    """A return of these order lines' units, received and every unit accepted; its refund is proposed."""
    order = next(iter(units)).order
    return_request = return_create(
        order=order,
        lines=[LineRequest(line.id, quantity, "too_big") for line, quantity in units.items()],
        resolution=resolution,
        method="label",
    )
    staff = User.objects.get_or_create(username="lager", is_staff=True)[0]
    received = [ReceivedLine(line.id, line.quantity, "resellable", accept=True) for line in return_request.lines.all()]
    return_receive(return_request=return_request, lines=received, by=staff)
    return_request.refresh_from_db()
    return return_request


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("migration_data")
@pytest.mark.parametrize(
    ("provider", "adapter"),
    [("", "fake"), *[(provider, "fake") for provider in PROVIDERS], *[(provider, "real") for provider in PROVIDERS]],
)
def test_a_returned_unit_is_refunded_once_under_concurrent_api_requests(
    api_as: Role, provider: str, adapter: str, settings, request: pytest.FixtureRequest
) -> None:
    """With every payment provider (and none), through the test double and through the real adapters
    against a local server answering as the provider: the refunds are made once, then paid once however
    many clients ask to pay them at the same moment."""
    settings.REFUND_PROVIDERS = CARD
    settings.PAYMENT_PROVIDERS = dict.fromkeys(PROVIDERS, "refunds.providers.fake.FakeConnectedProvider")
    FakeConnectedProvider.reset()
    server = ProviderServer(provider, request.getfixturevalue("httpserver"), settings) if adapter == "real" else None
    order = OrderFactory(
        shipping_amount=Decimal("49.00"),
        discount_amount=Decimal("100.00"),
        payment_provider=provider,
        payment_reference=f"{provider}-payment-1" if provider else "",
    )
    coats = OrderLineFactory(order=order, quantity=3, unit_price=Decimal("550.00"))
    socks = OrderLineFactory(order=order, quantity=2, unit_price=Decimal("100.00"))
    OrderLineFactory(order=order, quantity=1, unit_price=Decimal("5000.00"))  # kept: the order total is no cap here
    first = inspected({coats: 2})
    second = inspected({coats: 1, socks: 1})
    Refund.objects.filter(return_request=first).delete()  # not proposed yet: the clients race to make it
    proposed = second.refunds.get()  # proposed at inspection
    token = _token(api_as)

    # Per return: four keys, each sent twice, and two requests without a key (the return's own key).
    requests = [(r.number, f"{r.number}-{key}") for r in (first, second) for key in ("k1", "k2", "k3", "k4") * 2]
    requests += [(r.number, None) for r in (first, second) for _ in range(2)]
    barrier = threading.Barrier(len(requests))
    answers: list[tuple[str, str | None, int, dict[str, Any]]] = []

    def post(number: str, key: str | None) -> None:
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
        try:
            barrier.wait()
            headers = {"HTTP_IDEMPOTENCY_KEY": key} if key else {}
            response = client.post(f"/api/v1/returns/{number}/refund/", **headers)
            answers.append((number, key, response.status_code, response.json()))
        except Exception as error:  # a server error is an answer too, and the one that must never come
            answers.append((number, key, 500, {"detail": repr(error)}))
        finally:
            connection.close()

    _all_at_once(post, requests)

    assert len(answers) == len(requests)
    assert {status for *_, status, _ in answers} <= {200, 201, 409}, answers
    made = [body["id"] for number, _key, status, body in answers if status == 201]
    assert len(made) == 1, answers  # the second return's refund was already proposed
    winner = Refund.objects.get(pk=made[0])
    assert winner.return_request == first
    expected = {first.number: winner.pk, second.number: proposed.pk}
    for number, key, status, body in answers:
        refund = body["id"] if status in (200, 201) else body["refund"]
        assert refund == expected[number], (number, key, status, body)
        if status == 409:
            assert "already refunded" in body["detail"]
    statuses = defaultdict(list)
    for number, key, status, _body in answers:
        statuses[number, key].append(status)
    for twins in statuses.values():  # the same key twice: made then given back, or refused both times
        assert sorted(twins) in ([200, 201], [200, 200], [409, 409]), statuses

    assert Refund.objects.filter(order=order).count() == 2
    for return_request in (first, second):
        for line in return_request.lines.all():
            units = RefundLine.objects.filter(return_line=line, refund__state__in=COUNTED_STATES).aggregate(
                units=Sum("quantity")
            )["units"]
            assert units == line.received_quantity
    assert set(Refund.objects.filter(order=order).values_list("provider", flat=True)) == {provider or "fakecard"}
    refunds = list(Refund.objects.filter(order=order))
    _paid_however_many_ask(token, refunds)
    if server is None:
        _paid_once_by_the_fake(refunds, provider)
    else:
        _paid_once_at_the_provider(refunds, server)


def _paid_however_many_ask(token: str, refunds: list[Refund]) -> None:
    """Clients ask to pay every refund, each three times at the same moment: each is paid once."""
    requests = [(refund.pk,) for refund in refunds for _ in range(3)]
    barrier = threading.Barrier(len(requests))
    statuses: list[int] = []

    def pay(pk: int) -> None:
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
        try:
            barrier.wait()
            statuses.append(client.post(f"/api/v1/refunds/{pk}/retry/").status_code)
        finally:
            connection.close()

    _all_at_once(pay, requests)
    assert statuses == [200] * len(requests)
    for refund in refunds:
        refund.refresh_from_db()


def _paid_once_by_the_fake(refunds: list[Refund], provider: str) -> None:
    assert {refund.state for refund in refunds} == {"succeeded"}
    fake = FakeConnectedProvider if provider else FakeCardProvider
    assert fake.paid_total() == sum(refund.amount for refund in refunds)
    if provider:
        assert {request.payment_reference for request in FakeConnectedProvider.requests} == {f"{provider}-payment-1"}


def _paid_once_at_the_provider(refunds: list[Refund], server: ProviderServer) -> None:
    """Every call for a refund carried its one key (the provider pays a key once); Klarna and Stripe
    answered at once, Adyen accepted and its webhook is still to come."""
    assert set(server.keys) == {refund.idempotency_key for refund in refunds}
    settled = "processing" if server.provider == "adyen" else "succeeded"
    for refund in refunds:
        assert refund.state == settled, refund
        assert refund.provider_reference.removeprefix("re_") == refund_id_of(refund.idempotency_key)


def _all_at_once(target: Callable[..., None], calls: list[tuple[Any, ...]]) -> None:
    threads = [threading.Thread(target=target, args=call) for call in calls]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()


def _token(api_as: Role) -> str:
    api_as("warehouse")
    return Token.objects.get(user__username="api-test-warehouse").key


def test_every_action_refuses_what_the_state_does_not_allow_with_409_and_bad_input_with_400(
    api_as: Role, settings, django_capture_on_commit_callbacks
) -> None:
    settings.REFUND_PROVIDERS = CARD
    warehouse = api_as("warehouse")
    line = OrderLineFactory(quantity=2, unit_price=Decimal("300.00"))
    return_request = return_create(
        order=line.order, lines=[LineRequest(line.id, 1, "too_big")], resolution="refund", method="label"
    )  # approved at once
    url = f"/api/v1/returns/{return_request.number}/"
    return_line = return_request.lines.get().pk

    def conflict(path: str, body: dict[str, Any] | None = None, **headers: str) -> dict[str, Any]:
        response = warehouse.post(path, body or {}, format="json", **headers)
        assert response.status_code == 409, (path, response.status_code, response.data)
        assert response.data["detail"]
        return dict(response.data)

    too_many = {"lines": [{"line": return_line, "received_quantity": 5, "condition": "resellable", "accept": True}]}
    bad = warehouse.post(url + "receive/", too_many, format="json")
    assert bad.status_code == 400 and bad.data[str(return_line)] == ["Received quantity must be between 0 and 1."]
    assert warehouse.post(url + "receive/", {}, format="json").data == {"lines": ["This field is required."]}
    assert "cannot go from Approved to Approved" in conflict(url + "approve/")["detail"]
    assert "cannot go from Approved to Rejected" in conflict(url + "reject/", {"reason": "Worn"})["detail"]
    assert "refunded once it has been inspected" in conflict(url + "refund/")["detail"]

    FakeCardProvider.reset("fail")
    one = {"lines": [{"line": return_line, "received_quantity": 1, "condition": "resellable", "accept": True}]}
    assert warehouse.post(url + "receive/", one, format="json").data["state"] == "inspected"
    assert "cannot be received now: it is inspected" in conflict(url + "receive/", one)["detail"]
    assert "cannot go from Inspected to Cancelled" in conflict(url + "cancel/")["detail"]
    proposed = return_request.refunds.get()
    assert conflict(url + "refund/", HTTP_IDEMPOTENCY_KEY="crm-1") == {
        "detail": f"Return {return_request.number} was already refunded.",
        "refund": proposed.pk,
    }
    assert "cannot go from Pending to Succeeded" in conflict(f"/api/v1/refunds/{proposed.pk}/confirm/")["detail"]
    assert warehouse.post(f"/api/v1/refunds/{proposed.pk}/retry/").data["state"] == "failed"  # declined
    again = warehouse.post(url + "refund/", HTTP_IDEMPOTENCY_KEY="crm-2")
    assert again.status_code == 201  # a failed refund holds nothing back
    assert conflict(f"/api/v1/refunds/{proposed.pk}/retry/")["refund"] == again.data["id"]  # paid by the new one

    credit_line = OrderLineFactory(quantity=1, unit_price=Decimal("300.00"))
    with django_capture_on_commit_callbacks(execute=True):  # the code is issued once the inspection commits
        inspected({credit_line: 1}, resolution="store_credit")
    code = StoreCredit.objects.get().code
    shop = api_as("shop")
    assert shop.post(f"/api/v1/store-credits/{code}/redeem/", {"order": "W-9"}, format="json").status_code == 200
    assert shop.post(f"/api/v1/store-credits/{code}/redeem/", {"order": "W-10"}, format="json").status_code == 409
    assert shop.post(f"/api/v1/store-credits/{code}/redeem/", {}, format="json").status_code == 400


def test_the_schema_documents_409_for_every_action(client) -> None:
    paths = client.get("/api/schema/", HTTP_ACCEPT="application/json").json()["paths"]
    actions = [
        "/api/v1/returns/{number}/approve/",
        "/api/v1/returns/{number}/reject/",
        "/api/v1/returns/{number}/receive/",
        "/api/v1/returns/{number}/cancel/",
        "/api/v1/returns/{number}/refund/",
        "/api/v1/refunds/{id}/retry/",
        "/api/v1/refunds/{id}/confirm/",
        "/api/v1/store-credits/{code}/redeem/",
    ]
    for path in actions:
        assert "409" in paths[path]["post"]["responses"], path
    conflict = paths["/api/v1/returns/{number}/refund/"]["post"]["responses"]["409"]["content"]["application/json"]
    assert conflict["schema"]["$ref"] == "#/components/schemas/RefundConflict"
