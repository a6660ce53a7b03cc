"""The warehouse screens: scan a label, receive and inspect the parcel on one page."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Group, User
from django.test import Client
from django.urls import reverse

from returns.models import ReturnRequest, ReturnState
from returns.services import LineRequest, return_create, return_ensure_shipment
from tests.factories import OrderLineFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def warehouse(client: Client) -> Client:
    user = User.objects.create_user("warehouse", password="x", is_staff=True)
    user.groups.add(Group.objects.get(name="Warehouse"))
    client.force_login(user)
    return client


def a_return() -> ReturnRequest:
    line = OrderLineFactory(quantity=2)
    return return_create(
        order=line.order, lines=[LineRequest(line.id, 2, "too_big")], resolution="refund", method="label"
    )


@pytest.mark.parametrize("typed", ["number", "lowercase", "tracking"])
def test_scanning_a_label_opens_its_receiving_screen(warehouse: Client, typed: str) -> None:
    return_request = return_ensure_shipment(return_request=a_return())
    code = {
        "number": return_request.number,
        "lowercase": return_request.number.lower().replace("-", " "),
        "tracking": return_request.tracking_number,
    }[typed]
    response = warehouse.post(reverse("admin:returns_returnrequest_scan"), {"code": code})
    assert response["Location"] == reverse("admin:returns_returnrequest_receive", args=[return_request.pk])


def test_an_unknown_code_says_so_and_keeps_the_scanner_ready(warehouse: Client) -> None:
    page = warehouse.post(reverse("admin:returns_returnrequest_scan"), {"code": "R-XXXXXXX"}, follow=True)
    assert "No return matches" in page.content.decode()
    assert "autofocus" in page.content.decode()


def test_receiving_and_inspecting_on_one_page(warehouse: Client) -> None:
    return_request = a_return()
    line = return_request.lines.get()
    url = reverse("admin:returns_returnrequest_receive", args=[return_request.pk])
    assert "Receive" in warehouse.get(url).content.decode()
    prefix = f"line-{line.pk}"
    data = {
        f"{prefix}-received_quantity": 1,
        f"{prefix}-condition": "resellable",
        f"{prefix}-accept": "1",
        f"{prefix}-reason": "",
        f"{prefix}-restock": "on",
        "note": "One pair missing",
    }
    assert warehouse.post(url, data).status_code == 302
    return_request.refresh_from_db()
    assert return_request.state == ReturnState.INSPECTED
    assert return_request.history.last().note == "One pair missing"
    assert return_request.refunds.get().state == "pending"


def test_a_rejection_without_reason_is_shown_not_saved(warehouse: Client) -> None:
    return_request = a_return()
    line = return_request.lines.get()
    prefix = f"line-{line.pk}"
    data = {f"{prefix}-received_quantity": 2, f"{prefix}-condition": "damaged", f"{prefix}-accept": "0"}
    page = warehouse.post(reverse("admin:returns_returnrequest_receive", args=[return_request.pk]), data)
    assert "Say why the line is rejected" in page.content.decode()
    return_request.refresh_from_db()
    assert return_request.state == ReturnState.APPROVED


def test_support_agents_may_not_receive(client: Client) -> None:
    user = User.objects.create_user("support", password="x", is_staff=True)
    user.groups.add(Group.objects.get(name="Support"))
    client.force_login(user)
    assert client.get(reverse("admin:returns_returnrequest_scan")).status_code == 403
    assert client.post(reverse("admin:returns_returnrequest_receive", args=[a_return().pk]), {}).status_code == 403


def test_warehouse_staff_pay_refunds_and_support_agents_only_read_them(warehouse: Client, client: Client) -> None:
    refunds = reverse("admin:refunds_refund_changelist")
    assert warehouse.get(refunds).status_code == 200
    support = User.objects.create_user("agent", password="x", is_staff=True)
    support.groups.add(Group.objects.get(name="Support"))
    other = Client()
    other.force_login(support)
    listing = other.get(refunds)
    assert listing.status_code == 200
    assert "Pay, or try again" not in listing.content.decode()


def test_approving_many_says_what_was_done_and_what_was_refused(warehouse: Client) -> None:
    from returns.models import ReturnPolicy

    policy = ReturnPolicy.current()
    policy.auto_approve = False
    policy.save()
    waiting, already = a_return(), a_return()
    from returns.services import return_transition

    return_transition(return_request=already, to=ReturnState.APPROVED)
    page = warehouse.post(
        reverse("admin:returns_returnrequest_changelist"),
        {"action": "approve", "_selected_action": [waiting.pk, already.pk]},
        follow=True,
    ).content.decode()
    assert f"Approved 1: {waiting.number}" in page
    assert f"Refused 1: {already.number}: Return {already.number} cannot go from Approved to Approved" in page


def test_rejecting_asks_for_the_reason_the_customer_will_see(warehouse: Client) -> None:
    from returns.models import ReturnPolicy

    policy = ReturnPolicy.current()
    policy.auto_approve = False
    policy.save()
    return_request = a_return()
    url = reverse("admin:returns_returnrequest_changelist")
    form = warehouse.post(url, {"action": "reject", "_selected_action": [return_request.pk]})
    assert "The reason is shown to the customer" in form.content.decode()
    warehouse.post(url, {"action": "reject", "apply": "1", "_selected_action": [return_request.pk], "answer": "Worn"})
    return_request.refresh_from_db()
    assert (return_request.state, return_request.rejection_reason) == (ReturnState.REJECTED, "Worn")


@pytest.mark.parametrize("separator", ["/", ";"])
def test_scanning_the_labels_qr_code_opens_its_receiving_screen(warehouse: Client, separator: str) -> None:
    return_request = return_ensure_shipment(return_request=a_return())
    payload = return_request.qr_payload.replace("/", separator)  # ";": the first labels' form
    assert payload.startswith("RETURN:")
    response = warehouse.post(reverse("admin:returns_returnrequest_scan"), {"code": payload})
    assert response["Location"] == reverse("admin:returns_returnrequest_receive", args=[return_request.pk])


def test_a_qr_code_of_no_known_return_says_so(warehouse: Client) -> None:
    page = warehouse.post(
        reverse("admin:returns_returnrequest_scan"), {"code": "RETURN:R-XXXXXXX/TRACK:CR999999999SE"}, follow=True
    )
    assert "No return matches" in page.content.decode()


def test_the_receiving_screen_tells_the_pickup_booking_or_why_there_is_none(warehouse: Client) -> None:
    import datetime as dt

    booked, failed = a_return(), a_return()
    ReturnRequest.objects.filter(pk=booked.pk).update(
        method="pickup", pickup_date=dt.date(2026, 12, 8), pickup_reference="PU-4411", pickup_window="08:00–12:00"
    )
    ReturnRequest.objects.filter(pk=failed.pk).update(
        method="pickup", pickup_date=dt.date(2026, 12, 9), pickup_problem="No pickups in postcode 99999"
    )
    page = warehouse.get(reverse("admin:returns_returnrequest_receive", args=[booked.pk])).content.decode()
    assert "Tue 8 Dec 2026, 08:00–12:00, ref PU-4411" in page
    page = warehouse.get(reverse("admin:returns_returnrequest_receive", args=[failed.pk])).content.decode()
    assert "could not be booked: No pickups in postcode 99999" in page
