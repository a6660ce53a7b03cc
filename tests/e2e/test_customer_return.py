"""A customer returns items in a real browser, against the demo shop that `./dev demo` serves."""

from __future__ import annotations

import io

import pytest
from django.core.management import call_command
from django.utils import translation
from django.utils.translation import gettext
from pypdf import PdfReader

from returns.models import ReturnRequest

pytestmark = pytest.mark.django_db(transaction=True)


def say(language: str, text: str) -> str:
    with translation.override(language):
        return gettext(text)


@pytest.fixture
def demo_shop(migration_data: None) -> None:
    call_command("seed_demo", stdout=io.StringIO())


def find_order(page, base: str, number: str, contact: str) -> None:
    page.goto(base + "/")
    page.fill("#id_order_number", number)
    page.fill("#id_contact", contact)
    page.click("main button[type=submit]")


def pick(page, item: str, quantity: str, reason: str) -> None:
    card = page.locator("fieldset.item", has_text=item)
    card.locator("select[name^=qty_]").select_option(quantity)
    card.locator("select[name^=reason_]").select_option(reason)


def return_two_items(page, shots, base: str, language: str, order: str, postcode: str, items) -> ReturnRequest:
    find_order(page, base, order, postcode)
    assert page.locator("html").get_attribute("lang") == language
    shots(page, "items")
    for item, quantity, reason in items:
        pick(page, item, quantity, reason)
    page.click("main button[type=submit]")
    shots(page, "how")
    page.check("input[name=resolution][value=refund]")
    page.check("input[name=method][value=label]")
    page.click("main button[type=submit]")
    assert say(language, "Confirm your return") in page.inner_text("h1")
    shots(page, "confirm")
    page.click("main button[type=submit]")
    page.wait_for_selector(".timeline")
    shots(page, "status")
    return_request = ReturnRequest.objects.get(order__number=order)
    assert return_request.number in page.inner_text("h1")
    assert return_request.lines.count() == 2
    with page.expect_download() as download:
        page.click("a[href*='label.pdf']")
    label = PdfReader(download.value.path())
    assert return_request.number in label.pages[0].extract_text()
    return return_request


def test_a_full_return_in_swedish_with_a_label_and_a_refused_hygiene_item(live_server, page, shots, demo_shop) -> None:
    find_order(page, live_server.url, "NV-10001", "113 46")
    hygiene = page.locator("fieldset.item", has_text="Lip balm")
    assert say("sv", "This item cannot be returned: it is sold as final sale or for hygiene reasons.") in (
        hygiene.inner_text()
    )
    assert hygiene.locator("select").count() == 0
    return_request = return_two_items(
        page, shots, live_server.url, "sv", "NV-10001", "11346",
        [("Rain jacket", "1", "too_big"), ("Merino", "2", "too_small")],
    )  # fmt: skip
    assert return_request.language == "sv"
    assert "kr" in page.inner_text(".amount")


def test_the_same_again_in_finnish(live_server, page, shots, demo_shop) -> None:
    return_request = return_two_items(
        page, shots, live_server.url, "fi", "NV-10002", "00100",
        [("Trail runner", "1", "too_small"), ("Headlamp", "1", "changed_mind")],
    )  # fmt: skip
    assert return_request.language == "fi"
    assert "€" in page.inner_text(".amount")


def test_an_exchange_for_another_size(live_server, page, shots, demo_shop) -> None:
    find_order(page, live_server.url, "NV-10003", "0150")
    pick(page, "Winter boot", "1", "too_small")
    page.click("main button[type=submit]")
    page.check("input[name=resolution][value=exchange]")
    page.locator("select[name^=exchange_]").select_option(label="40")
    page.check("input[name=method][value=label]")
    shots(page, "how")
    page.click("main button[type=submit]")
    shots(page, "confirm")
    page.click("main button[type=submit]")
    page.wait_for_selector(".timeline")
    shots(page, "status")
    line = ReturnRequest.objects.get(order__number="NV-10003").lines.get()
    assert line.exchange_variant.option == "40"


def test_a_wrong_email_gets_a_clear_neutral_message(live_server, page, shots, demo_shop) -> None:
    find_order(page, live_server.url, "NV-10001", "wrong@example.com")
    summary = page.locator("#error-summary")
    assert "We could not find an order with those details." in summary.inner_text()
    shots(page, "wrong-email")
    assert ReturnRequest.objects.filter(order__number="NV-10001").count() == 0


def test_phone_sized_layout_has_no_sideways_scrolling(live_server, browser, shots, demo_shop) -> None:
    context = browser.new_context(viewport={"width": 360, "height": 740}, device_scale_factor=2, is_mobile=True)
    page = context.new_page()
    find_order(page, live_server.url, "NV-10001", "11346")
    for step in ("items", "policy"):
        if step == "policy":
            page.goto(live_server.url + "/policy/")
        shots(page, f"phone-{step}")
        assert page.evaluate("document.documentElement.scrollWidth") <= 360
        box = page.locator("main button[type=submit], main .button").first.bounding_box()
        assert box is not None and box["height"] >= 44  # thumb-sized
    context.close()


def test_the_lookup_works_with_the_keyboard_alone(live_server, page, shots, demo_shop) -> None:
    page.goto(live_server.url + "/")
    page.keyboard.press("Tab")  # the skip link comes first
    assert page.evaluate("document.activeElement.className") == "skip"
    page.keyboard.press("Enter")
    for _ in range(12):  # past the header's language links to the first field
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.id") == "id_order_number":
            break
    page.keyboard.type("NV-10002")
    page.keyboard.press("Tab")
    page.keyboard.type("00100")
    outline = page.evaluate("getComputedStyle(document.activeElement).outlineStyle")
    assert outline != "none"  # focus is visible
    shots(page, "keyboard-focus")
    page.keyboard.press("Enter")
    page.wait_for_selector("fieldset.item")
    assert "NV-10002" in page.inner_text("h1")
