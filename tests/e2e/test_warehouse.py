"""The warehouse user scans a parcel, receives and inspects it, and pays the refund, in a real browser."""

from __future__ import annotations

import io

import pytest
from django.core.management import call_command

from refunds.models import Refund
from returns.models import ReturnRequest

pytestmark = pytest.mark.django_db(transaction=True)


def test_warehouse_scans_receives_and_refunds(live_server, page, shots, migration_data, settings) -> None:
    settings.REFUND_PROVIDERS = {"original_payment": "refunds.providers.fake.FakeCardProvider"}
    call_command("seed_demo", stdout=io.StringIO())
    parcel = ReturnRequest.objects.get(order__number="NV-10010")  # the demo return in transit

    page.goto(live_server.url + "/admin/login/")
    page.fill("#id_username", "warehouse")
    page.fill("#id_password", "demo")
    page.click("input[type=submit]")
    page.goto(live_server.url + "/admin/returns/returnrequest/scan/")
    assert page.evaluate("document.activeElement.name") == "code"  # the scanner types straight in
    page.keyboard.type(parcel.number)
    page.keyboard.press("Enter")
    page.wait_for_selector("text=Save: received and inspected")
    shots(page, "receive")
    page.click("input[type=submit][value='Save: received and inspected']")
    page.wait_for_selector(".messagelist")
    shots(page, "received")

    page.goto(live_server.url + "/admin/refunds/refund/")
    page.check("input[name=_selected_action]")
    page.select_option("select[name=action]", "pay")
    page.click("button[name=index]")
    page.wait_for_selector(".messagelist")
    shots(page, "refund-paid")
    assert "Sent 1:" in page.inner_text(".messagelist")
    assert Refund.objects.get(return_request=parcel).state == "succeeded"

    page.context.clear_cookies()
    page.goto(live_server.url + "/admin/login/?next=/support/")
    page.fill("#id_username", "support")
    page.fill("#id_password", "demo")
    page.click("input[type=submit]")
    page.fill("#q", parcel.order.customer.email)
    page.keyboard.press("Enter")
    page.wait_for_selector(f"text={parcel.number}")
    shots(page, "support")
    money = page.locator(".support-result", has_text=parcel.number).inner_text()  # she has returned more before
    assert "Succeeded" in money
    assert "paid " in money
    link = page.locator(".support-result", has_text=parcel.number).locator("input.status-link")
    link.click()  # one click selects the whole status link, to paste into a reply (static/js/staff.js)
    assert link.evaluate("field => [field.selectionStart, field.selectionEnd]") == [0, len(link.input_value())]
