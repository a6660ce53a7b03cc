"""What the customer is told, walked in a real browser against the demo shop: an exchange, a store
credit return and a partly rejected refund, from the customer's confirm page to the end. The
customer makes the return in the browser; the warehouse's part goes through the services. The
status page and every e-mail are checked, and the e-mails are shown in the browser for a screenshot.
"""

from __future__ import annotations

import io
import re

import pytest
from django.contrib.auth.models import User
from django.core import mail
from django.core.management import call_command
from django.utils import translation
from django.utils.translation import gettext

from refunds.models import StoreCredit
from returns.models import Order, ReturnRequest
from returns.services import ReceivedLine, replacement_ship, return_receive
from returns_portal.core.l10n import format_money

pytestmark = pytest.mark.django_db(transaction=True)


def say(language: str, text: str) -> str:
    with translation.override(language):
        return gettext(text)


@pytest.fixture
def demo_shop(migration_data: None) -> None:
    call_command("seed_demo", stdout=io.StringIO())


def start_return(page, base: str, order: str, postcode: str, items: list[tuple[str, str, str]]) -> None:
    page.goto(base + "/")
    page.fill("#id_order_number", order)
    page.fill("#id_contact", postcode)
    page.click("main button[type=submit]")
    for item, quantity, reason in items:
        card = page.locator("fieldset.item", has_text=item)
        card.locator("select[name^=qty_]").select_option(quantity)
        card.locator("select[name^=reason_]").select_option(reason)
    page.click("main button[type=submit]")


def confirm(page, shots) -> str:
    """Confirm the return; the status page's text."""
    page.click("main button[type=submit]")
    page.wait_for_selector(".timeline")
    shots(page, "status-new")
    return page.inner_text("main")


def reload(page, shots, step: str) -> str:
    """The status page as the customer opens it later, from the link in an e-mail."""
    page.goto(page.url.split("?")[0])
    page.wait_for_selector(".timeline")
    shots(page, step)
    return page.inner_text("main")


def emails(return_request: ReturnRequest) -> list:
    """What the customer was sent about this return, in order."""
    return [email for email in mail.outbox if return_request.number in email.body]


def show(page, shots, email, step: str) -> None:
    """The e-mail's HTML as a mail client shows it: in a blank tab, not under the portal's page and its CSP."""
    tab = page.context.new_page()
    tab.set_viewport_size(page.viewport_size)
    tab.set_content(email.alternatives[0][0])
    shots(tab, step)
    tab.close()


def money_in(text: str) -> bool:
    """An amount in Norwegian kroner, written the Norwegian way (1 999,00 kr) or with the code."""
    return bool(re.search(r"\d\s?kr\b|NOK", text))


def warehouse() -> User:
    return User.objects.get(username="warehouse")


def test_an_exchange_speaks_of_the_new_size_and_never_of_money(live_server, page, shots, demo_shop) -> None:
    start_return(page, live_server.url, "NV-10003", "0150", [("Winter boot", "1", "too_small")])
    page.check("input[name=resolution][value=exchange]")
    page.locator("select[name^=exchange_]").select_option(label="40")
    page.check("input[name=method][value=label]")
    page.click("main button[type=submit]")
    page.wait_for_selector("h1")
    shots(page, "confirm")
    text = page.inner_text("main")
    assert say("nb", "You get back") not in text and not money_in(text)
    assert "Winter boot Norrsken · 40" in page.inner_text("table")
    assert say("nb", "We keep your new size for you and send it as soon as your parcel has arrived.") in text

    text = confirm(page, shots)
    return_request = ReturnRequest.objects.get(order__number="NV-10003")
    assert "Byttet ditt" in text  # "Your exchange", in Norwegian
    assert f"{say('nb', 'You get')}\n1 × Winter boot Norrsken · 40" in text
    assert not money_in(text)

    line = return_request.lines.get()
    return_receive(return_request=return_request, lines=[ReceivedLine(line.id, 1, "resellable", True)], by=warehouse())
    text = reload(page, shots, "status-inspected")
    assert (
        say("nb", "Your parcel has arrived. We are sending your new item and will tell you when it is on its way.")
        in text
    )
    assert say("nb", "Accepted") in text and not money_in(text)

    replacement_ship(
        order=Order.objects.get(replacement_for=return_request), tracking_number="JJFI123NO", by=warehouse()
    )
    text = reload(page, shots, "status-shipped")
    assert "JJFI123NO" in text

    confirmation, receipt, shipped = emails(return_request)[:3]
    for email in (confirmation, receipt, shipped):
        assert "Winter boot Norrsken · 40" in email.body, email.subject
        assert not money_in(email.body), email.subject
    assert "Du får: 1 × Winter boot Norrsken · 40" in confirmation.body
    assert "Winter boot Norrsken · 39: Godtatt" in receipt.body
    assert "JJFI123NO" in shipped.body
    show(page, shots, confirmation, "email-confirmation")
    show(page, shots, receipt, "email-receipt")
    show(page, shots, shipped, "email-shipped")


def test_store_credit_promises_a_code_worth_x_then_shows_it(live_server, page, shots, demo_shop) -> None:
    start_return(page, live_server.url, "NV-10001", "11346", [("Rain jacket", "1", "too_big")])
    page.check("input[name=resolution][value=store_credit]")
    page.check("input[name=method][value=label]")
    page.click("main button[type=submit]")
    page.wait_for_selector("h1")
    shots(page, "confirm")
    total = page.inner_text("tr.total")
    assert "Koden för ditt tillgodohavande är värd" in total  # "Your store credit code is worth"
    assert say("sv", "You get back") not in page.inner_text("main")

    text = confirm(page, shots)
    return_request = ReturnRequest.objects.get(order__number="NV-10001")
    worth = format_money(return_request.expected_refund, "SEK", "sv")
    bonus = format_money(return_request.store_credit_bonus, "SEK", "sv")
    assert worth in total and return_request.store_credit_bonus > 0
    assert f"{say('sv', 'Store credit')}\n{worth}" in text and f"Varav bonus\n{bonus}" in text
    assert say("sv", "We e-mail you the store credit code as soon as we have checked your parcel.") in text

    line = return_request.lines.get()
    return_receive(return_request=return_request, lines=[ReceivedLine(line.id, 1, "resellable", True)], by=warehouse())
    credit = StoreCredit.objects.get(refund__return_request=return_request)  # issued once the inspection commits
    text = reload(page, shots, "status-code")
    assert credit.code in text
    assert f"{say('sv', 'Value')}\n{format_money(credit.amount, 'SEK', 'sv')}" in text
    assert f"Varav bonus\n{format_money(credit.bonus, 'SEK', 'sv')}" in text
    assert say("sv", "Refund") not in text

    sent = emails(return_request)
    confirmation = sent[0]
    assert f"{say('sv', 'Store credit')}: {worth}" in confirmation.body
    [code_mail] = [email for email in mail.outbox if credit.code in email.body]
    assert f"Varav bonus: {format_money(credit.bonus, 'SEK', 'sv')}" in code_mail.body
    show(page, shots, confirmation, "email-confirmation")
    show(page, shots, code_mail, "email-code")


def test_a_partly_rejected_return_says_what_was_not_accepted_and_why(live_server, page, shots, demo_shop) -> None:
    start_return(
        page,
        live_server.url,
        "NV-10002",
        "00100",
        [("Trail runner", "1", "too_small"), ("Headlamp", "1", "changed_mind")],
    )
    page.check("input[name=resolution][value=refund]")
    page.check("input[name=method][value=label]")
    page.click("main button[type=submit]")
    page.wait_for_selector("h1")
    shots(page, "confirm")
    assert say("fi", "You get back") in page.inner_text("tr.total")

    confirm(page, shots)
    return_request = ReturnRequest.objects.get(order__number="NV-10002")
    runner, lamp = return_request.lines.order_by("id")
    why = "Lampun linssissä on naarmuja: sitä on käytetty."
    return_receive(
        return_request=return_request,
        lines=[
            ReceivedLine(runner.id, 1, "resellable", True, restock=True),
            ReceivedLine(lamp.id, 1, "damaged", False, reason=why),
        ],
        by=warehouse(),
    )
    refund = return_request.refunds.get()
    assert refund.amount < return_request.expected_refund  # only the shoes are paid back
    text = reload(page, shots, "status-inspected")
    assert f"{say('fi', 'Rejected')} {why}" in text
    assert say("fi", "Accepted") in text
    assert format_money(refund.amount, "EUR", "fi") in text
    assert format_money(return_request.expected_refund, "EUR", "fi") not in text

    receipt = next(email for email in emails(return_request) if "1 × Headlamp" in email.body and why in email.body)
    assert f"1 × Headlamp 900 lm: Hylätty — {why}" in receipt.body
    assert "Joitakin tuotteita emme voineet hyväksyä" in receipt.body
    assert format_money(refund.amount, "EUR", "fi") in receipt.body
    show(page, shots, receipt, "email-receipt")


def test_a_return_that_waits_for_approval_and_is_rejected_says_why(live_server, page, shots, demo_shop) -> None:
    from returns.models import ReturnPolicy
    from returns.services import return_reject

    policy = ReturnPolicy.current()
    policy.auto_approve = False
    policy.save()
    start_return(page, live_server.url, "NV-10004", "8000", [("Power bank", "1", "changed_mind")])
    page.check("input[name=resolution][value=refund]")
    page.check("input[name=method][value=label]")
    page.click("main button[type=submit]")
    page.wait_for_selector("h1")
    text = confirm(page, shots)
    assert "Næste trin: vent på vores godkendelse" in text
    assert "Vi gennemgår først din returnering og mailer dig, så snart den er godkendt." in text

    return_request = ReturnRequest.objects.get(order__number="NV-10004")
    why = "Powerbanken er købt i en kampagne med forbehold om, at den ikke kan returneres."
    return_reject(return_request=return_request, by=warehouse(), reason=why)
    text = reload(page, shots, "status-rejected")
    assert "Derfor kunne vi ikke godkende din returnering" in text and why in text
    assert say("da", "Please do not send the items back.") in text
    assert "kr." not in text and "DKK" not in text  # no refund, no date to be paid by

    [rejected] = [email for email in emails(return_request) if why in email.body]
    assert rejected.subject == f"Din returnering {return_request.number} blev ikke godkendt"
    show(page, shots, rejected, "email-rejected")
