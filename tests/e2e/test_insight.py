"""The insight dashboard in a real browser: the demo's flagged product, charts, and the bookkeeping report."""

from __future__ import annotations

import io

import pytest
from django.core.management import call_command

pytestmark = pytest.mark.django_db(transaction=True)


def test_support_sees_the_dashboard_with_the_demo_flag_and_charts(live_server, page, shots, migration_data) -> None:
    call_command("seed_demo", stdout=io.StringIO())
    page.set_viewport_size({"width": 1280, "height": 1600})
    page.goto(live_server.url + "/admin/login/?next=/admin/insight/")
    page.fill("#id_username", "support")
    page.fill("#id_password", "demo")
    page.click("input[type=submit]")
    page.wait_for_selector("text=Products to look at")
    shots(page, "insight-dashboard")
    flag = page.inner_text(".flag")
    assert "Trail runner GTX" in flag and "check the size guide" in flag
    assert page.locator("svg").count() >= 4  # top products, categories, reasons, weekly trend
    assert page.locator("svg rect").count() > 5
    page.click("text=Bookkeeping: refunds paid")
    page.wait_for_selector("text=Totals per currency")
    shots(page, "bookkeeping")
    assert page.locator("a.button", has_text="Download CSV").count() == 1
