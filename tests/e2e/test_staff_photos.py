"""The warehouse sees the customer's photos on the receiving screen, in a real browser, and opens one in full."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Group, User
from playwright.sync_api import expect

from returns.models import ReturnRequest
from returns.services import LineRequest, return_create
from tests.factories import OrderLineFactory
from tests.returns.photo_data import add_photo, jpeg

pytestmark = pytest.mark.django_db(transaction=True)


def test_the_receiving_screen_shows_the_photos_and_opens_one(
    live_server, page, shots, migration_data, settings, tmp_path
):
    settings.MEDIA_ROOT = tmp_path
    staff = User.objects.create_user("lager", password="demo", is_staff=True)
    staff.groups.add(Group.objects.get(name="Warehouse"))
    first = OrderLineFactory(variant__product__name="Trail runner", variant__option="42")
    second = OrderLineFactory(order=first.order, variant__product__name="Rain jacket", variant__option="M")
    return_request = return_create(
        order=first.order,
        lines=[LineRequest(first.id, 1, "defective"), LineRequest(second.id, 1, "defective")],
        resolution="refund",
        method="label",
        by=staff,
    )
    ReturnRequest.objects.filter(pk=return_request.pk).update(
        method="pickup", pickup_reference="PU-4411", pickup_window="08:00–12:00", pickup_date="2026-12-08"
    )
    lines = list(return_request.lines.order_by("id"))
    add_photo(lines[0], jpeg((1600, 1200), "firebrick"))
    add_photo(lines[0], jpeg((1200, 1600), "steelblue"))
    add_photo(lines[1], jpeg((1600, 900), "darkseagreen"))

    page.goto(live_server.url + "/admin/login/")
    page.fill("#id_username", "lager")
    page.fill("#id_password", "demo")
    page.click("input[type=submit]")
    page.goto(live_server.url + f"/admin/returns/returnrequest/{return_request.pk}/receive/")
    page.wait_for_selector("text=Save: received and inspected")
    thumbnails = page.locator("a.return-photo img")
    assert thumbnails.count() == 3
    for index in range(3):  # waits in Playwright's own world: the page's policy allows no eval()
        expect(thumbnails.nth(index)).to_have_js_property("complete", True)
    assert page.evaluate("[...document.querySelectorAll('a.return-photo img')].map(i => i.naturalWidth)") == [
        320,
        240,
        320,
    ]
    assert "Home pickup: Tue 8 Dec 2026, 08:00–12:00, ref PU-4411" in page.inner_text("#content-main")
    shots(page, "receive-with-photos")

    with page.context.expect_page() as opened:
        thumbnails.first.click()
    full = opened.value
    full.wait_for_load_state()
    assert full.evaluate("document.images[0].naturalWidth") == 1600  # the photo itself, not the thumbnail
    shots(full, "photo-in-full")

    page.goto(live_server.url + "/admin/returns/returnrequest/?pickup=tomorrow")
    assert return_request.number not in page.inner_text("#changelist")
    page.fill("input[type=date][name=pickup]", "2026-12-08")
    page.click("input[type=submit][value=Show]")
    page.wait_for_url("**pickup=2026-12-08**")
    assert "08:00–12:00, ref PU-4411" in page.inner_text("#result_list")
    shots(page, "to-collect-on-a-day")
