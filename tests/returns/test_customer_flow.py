"""The customer's flow over HTTP: the happy path and what bad input gets."""

from __future__ import annotations

import datetime as dt
import io
from decimal import Decimal
from typing import Any
from unittest import mock

import pytest
from django.core import signing
from django.core.cache import cache
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from PIL import Image

from returns import access
from returns.models import Order, Product, ReturnPhoto, ReturnPolicy, ReturnRequest, ReturnState
from tests.factories import OrderFactory, OrderLineFactory, VariantFactory

pytestmark = pytest.mark.django_db


def order_with(*prices: str, language: str = "en", **order_fields: object) -> Order:
    order = OrderFactory(language=language, shipping_amount=Decimal("49.00"), **order_fields)
    for price in prices:
        OrderLineFactory(order=order, unit_price=Decimal(price), quantity=2)
    return order


def items_url(order: Order) -> str:
    return reverse("returns:items", args=[access.order_token(order)])


def choose(client: Client, order: Order, picks: dict[int, tuple[int, str]], files: dict | None = None) -> object:
    data: dict[str, object] = {}
    for line in order.lines.all():
        quantity, reason = picks.get(line.id, (0, ""))
        data |= {f"qty_{line.id}": quantity, f"reason_{line.id}": reason, f"comment_{line.id}": ""}
    data |= files or {}
    return client.post(items_url(order), data)


def walk_to_confirm(client: Client, order: Order, picks: dict[int, tuple[int, str]], **how: str) -> str:
    token = access.order_token(order)
    response = choose(client, order, picks)
    assert response.status_code == 302, response.content.decode()[:2000]
    response = client.post(
        reverse("returns:choice", args=[token]), {"resolution": "refund", "method": "label", "pickup_date": ""} | how
    )
    assert response.status_code == 302, response.content.decode()[:3000]
    return reverse("returns:confirm", args=[token])


def photo(name: str = "crack.jpg", kind: str = "JPEG") -> SimpleUploadedFile:
    buffer = io.BytesIO()
    Image.new("RGB", (40, 30), "red").save(buffer, kind)
    return SimpleUploadedFile(name, buffer.getvalue(), content_type="image/jpeg")


# --- Finding the order --------------------------------------------------------------------------


def test_lookup_by_email_or_postcode_opens_the_order_in_its_language(client: Client) -> None:
    order = order_with("499", language="fi")
    for contact in (order.customer.email.upper(), " 111 22 "):
        response = client.post("/", {"order_number": order.number, "contact": contact})
        assert response.status_code == 302
        assert response["Location"] == items_url(order)
        assert client.cookies["django_language"].value == "fi"
    assert '<html lang="fi">' in client.get(items_url(order)).content.decode()


def test_a_wrong_combination_gets_one_neutral_message(client: Client) -> None:
    order = order_with("499")
    wrong_email = client.post("/", {"order_number": order.number, "contact": "someone@else.example"})
    no_order = client.post("/", {"order_number": "NO-SUCH", "contact": order.customer.email})
    message = "We could not find an order with those details."
    assert message in wrong_email.content.decode() and message in no_order.content.decode()
    assert wrong_email.status_code == no_order.status_code == 200


def test_lookups_are_limited_per_order_number(client: Client) -> None:
    order = order_with("499")
    for attempt in range(10):
        client.post(
            "/",
            {"order_number": order.number, "contact": f"guess{attempt}@example.com"},
            REMOTE_ADDR=f"10.0.0.{attempt}",
        )
    response = client.post("/", {"order_number": order.number, "contact": order.customer.email}, REMOTE_ADDR="10.9.9.9")
    assert response.status_code == 429
    assert "Please try again later" in response.content.decode()


def test_lookups_are_limited_per_client(client: Client) -> None:
    order = order_with("499")
    for attempt in range(10):
        client.post("/", {"order_number": f"X{attempt}", "contact": "a@b.example"})
    assert client.post("/", {"order_number": order.number, "contact": order.customer.email}).status_code == 429


def test_an_expired_or_altered_link_says_so_kindly(client: Client) -> None:
    order = order_with("499")
    token = access.order_token(order)
    assert client.get(items_url(order)[:-3] + "xx/").status_code == 404
    later = timezone.now() + dt.timedelta(days=access.ORDER_LINK_DAYS + 1)
    with mock.patch("django.core.signing.time.time", return_value=later.timestamp()):
        response = client.get(reverse("returns:items", args=[token]))
    assert response.status_code == 410
    assert "This link has expired" in response.content.decode()
    assert client.get(reverse("returns:status", args=[signing.dumps("x", salt="returns.status")])).status_code == 404


# --- Choosing and confirming ------------------------------------------------------------------------


def test_a_full_return_from_items_to_status_page(client: Client, django_capture_on_commit_callbacks: Any) -> None:
    order = order_with("499.00", "250.00")
    first, second = order.lines.all()
    confirm_url = walk_to_confirm(client, order, {first.id: (2, "too_small"), second.id: (1, "changed_mind")})

    preview = client.get(confirm_url).content.decode()
    assert "Return fee" in preview
    assert "€1,199.00" not in preview  # SEK order: amounts in kronor
    assert "SEK" in preview or "kr" in preview

    with django_capture_on_commit_callbacks(execute=True):  # the carrier is booked once the return commits
        response = client.post(confirm_url)
    assert response.status_code == 302
    return_request = ReturnRequest.objects.get()
    assert (return_request.items_amount, return_request.return_fee) == (Decimal("1248.00"), Decimal("49.00"))
    assert return_request.expected_refund == Decimal("1199.00")
    assert return_request.tracking_number

    status_page = client.get(response["Location"])
    assert status_page.status_code == 200
    text = status_page.content.decode()
    assert return_request.number in text and "Download the label" in text


def test_confirming_twice_creates_one_return(client: Client) -> None:
    order = order_with("499.00")
    line = order.lines.get()
    confirm_url = walk_to_confirm(client, order, {line.id: (1, "too_big")})
    first = client.post(confirm_url)
    second = client.post(confirm_url)  # a double click: the draft is gone, back to choosing items
    assert first.status_code == 302
    assert ReturnRequest.objects.count() == 1
    assert second.status_code == 302


def test_quantities_above_what_can_be_returned_are_refused(client: Client) -> None:
    order = order_with("499.00")
    line = order.lines.get()
    response = choose(client, order, {line.id: (3, "too_big")})
    assert response.status_code == 200
    assert "Select a valid choice" in response.content.decode()
    assert ReturnRequest.objects.count() == 0


def test_another_customers_line_ids_are_ignored(client: Client) -> None:
    order, other = order_with("499.00"), order_with("999.00")
    foreign = other.lines.get()
    data = {f"qty_{foreign.id}": 1, f"reason_{foreign.id}": "too_big"}
    response = client.post(items_url(order), data)
    assert response.status_code == 200
    assert "Choose at least one item to return." in response.content.decode()


def test_final_sale_lines_say_why_and_offer_no_fields(client: Client) -> None:
    order = order_with("499.00", "79.00")
    hygiene = order.lines.last()
    Product.objects.filter(pk=hygiene.variant.product_id).update(returnable=False)
    page = client.get(items_url(order)).content.decode()
    assert "sold as final sale or for hygiene reasons" in page
    assert f'name="qty_{hygiene.id}"' not in page


def test_defective_items_need_a_real_photo(client: Client) -> None:
    order = order_with("499.00")
    line = order.lines.get()
    missing = choose(client, order, {line.id: (1, "defective")})
    assert "Add at least one photo that shows the problem." in missing.content.decode()

    fake = SimpleUploadedFile("crack.jpg", b"<?php echo 'not an image'; ?>", content_type="image/jpeg")
    refused = choose(client, order, {line.id: (1, "defective")}, {f"photos_{line.id}": fake})
    assert "is not a JPEG, PNG, HEIC or WebP photo" in refused.content.decode()
    assert ReturnPhoto.objects.count() == 0

    accepted = choose(client, order, {line.id: (1, "defective")}, {f"photos_{line.id}": photo()})
    assert accepted.status_code == 302
    assert ReturnPhoto.objects.get().content_type == "image/jpeg"


def test_exchange_for_a_size_in_stock(client: Client) -> None:
    order = order_with("499.00")
    line = order.lines.get()
    bigger = VariantFactory(product=line.variant.product, option="L", stock=3)
    VariantFactory(product=line.variant.product, option="XL", stock=0)
    confirm_url = walk_to_confirm(
        client, order, {line.id: (1, "too_small")}, resolution="exchange", **{f"exchange_{line.id}": str(bigger.id)}
    )
    assert client.post(confirm_url).status_code == 302
    return_request = ReturnRequest.objects.get()
    assert return_request.resolution == "exchange"
    assert return_request.lines.get().exchange_variant == bigger
    assert return_request.return_fee == Decimal("0")  # exchanges are free by default


def test_customer_cancels_before_sending(client: Client) -> None:
    order = order_with("499.00")
    line = order.lines.get()
    confirm_url = walk_to_confirm(client, order, {line.id: (1, "too_big")})
    status_url = client.post(confirm_url)["Location"].split("?")[0]
    page = client.post(status_url + "cancel/", follow=True).content.decode()
    assert "Your return is cancelled." in page
    assert ReturnRequest.objects.get().state == ReturnState.CANCELLED


def test_the_label_is_a_pdf(client: Client) -> None:
    order = order_with("499.00")
    line = order.lines.get()
    confirm_url = walk_to_confirm(client, order, {line.id: (1, "too_big")})
    status_url = client.post(confirm_url)["Location"].split("?")[0]
    label = client.get(status_url + "label.pdf?download=1")
    assert label.status_code == 200
    assert label["Content-Type"] == "application/pdf"
    assert label.content.startswith(b"%PDF")
    packing = client.get(status_url + "packing/")
    assert "Put these in the parcel" in packing.content.decode()


# --- Constant queries ------------------------------------------------------------------------------


@pytest.mark.parametrize("page", ["items", "status"])
def test_pages_use_the_same_number_of_queries_for_1_and_50_lines(client: Client, page: str) -> None:
    counts = []
    for size in (1, 50):
        order = order_with(*["100.00"] * size, placed_at=timezone.now() - dt.timedelta(days=3))
        if page == "items":
            url = items_url(order)
        else:
            from returns.services import LineRequest, return_create

            return_request = return_create(
                order=order,
                lines=[LineRequest(line.id, 1, "too_big") for line in order.lines.all()],
                resolution="refund",
                method="label",
            )
            url = reverse("returns:status", args=[access.status_token(return_request)])
        from django.db import connection
        from django.test.utils import CaptureQueriesContext

        cache.clear()  # pages are cached; count what rendering one costs
        ReturnPolicy.current()  # ... with the policy cached, as it is after the first page
        with CaptureQueriesContext(connection) as queries:
            assert client.get(url).status_code == 200
        counts.append(len(queries))
    assert counts[0] == counts[1], counts


def test_a_cached_status_page_follows_the_return_and_each_visitor_gets_an_own_csrf_token(client: Client) -> None:
    from returns.services import LineRequest, return_create, return_transition

    order = order_with("499.00")
    return_request = return_create(
        order=order, lines=[LineRequest(order.lines.get().id, 1, "too_big")], resolution="refund", method="label"
    )
    url = reverse("returns:status", args=[access.status_token(return_request)])
    first, second = Client().get(url), Client().get(url)
    assert first.cookies["csrftoken"].value != second.cookies["csrftoken"].value
    assert "Cancel this return" in second.content.decode()

    return_transition(return_request=return_request, to=ReturnState.IN_TRANSIT)
    after = Client().get(url).content.decode()
    assert "Cancel this return" not in after
    assert '<li class="done current" aria-current="step">' in after


def test_the_policy_page_shows_a_change_at_once(client: Client) -> None:
    assert "within 30 days of delivery" in client.get("/policy/").content.decode()
    policy = ReturnPolicy.current()
    policy.window_days = 60
    policy.save()
    assert "within 60 days of delivery" in client.get("/policy/").content.decode()


def test_the_store_credit_bonus_reads_as_a_plain_percentage(client: Client) -> None:
    order = order_with("499.00", language="sv")
    line = order.lines.get()
    choose(client, order, {line.id: (1, "too_big")})
    page = client.get(reverse("returns:choice", args=[access.order_token(order)])).content.decode()
    assert "10 % extra" in page


def test_a_self_help_guide_comes_first_and_solving_it_ends_the_return(client: Client) -> None:
    from returns.models import HelpGuide, SelfHelpOutcome

    order = order_with("999.00")
    line = order.lines.get()
    HelpGuide.objects.create(product=line.variant.product, language="en", title="Reset the earbuds", body="Hold 10 s.")
    response = choose(client, order, {line.id: (1, "defective")}, {f"photos_{line.id}": photo()})
    assert response["Location"].endswith("/help/")
    assert "Reset the earbuds" in client.get(response["Location"]).content.decode()

    done = client.post(response["Location"], {"outcome": "solved"})
    assert "glad it works" in done.content.decode()
    assert SelfHelpOutcome.objects.get().solved is True
    assert ReturnRequest.objects.count() == 0


def test_an_oversized_photo_is_refused_before_it_is_read(client: Client) -> None:
    order = order_with("499.00")
    line = order.lines.get()
    huge = SimpleUploadedFile("huge.jpg", b"\xff\xd8\xff" + b"0" * (10 * 1024 * 1024), content_type="image/jpeg")
    response = choose(client, order, {line.id: (1, "defective")}, {f"photos_{line.id}": huge})
    assert "huge.jpg is larger than 10 MB" in response.content.decode()


@pytest.mark.parametrize("page", ["choice", "confirm"])
def test_the_choice_and_confirm_pages_use_the_same_number_of_queries_for_1_and_50_lines(
    client: Client, page: str
) -> None:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    counts = []
    for size in (1, 50):
        order = order_with(*["100.00"] * size)
        walk_to_confirm(client, order, {line.id: (1, "too_big") for line in order.lines.all()})
        ReturnPolicy.current()
        with CaptureQueriesContext(connection) as queries:
            assert client.get(reverse(f"returns:{page}", args=[access.order_token(order)])).status_code == 200
        counts.append(len(queries))
    assert counts[0] == counts[1], counts


def test_staff_find_the_signed_return_link_on_the_order_in_the_admin(admin_client: Client) -> None:
    order = order_with("499.00")
    page = admin_client.get(reverse("admin:returns_order_change", args=[order.pk])).content.decode()
    assert items_url(order) in page


# --- What the customer is told: per resolution, and why something was not accepted --------------------


def walk_with(client: Client, order: Order, line, reason: str, resolution: str, **how: str) -> str:
    """Items, how, then the confirm page's address; faulty items get their photo."""
    files = {f"photos_{line.id}": photo()} if reason == "defective" else {}
    assert choose(client, order, {line.id: (1, reason)}, files).status_code == 302
    token = access.order_token(order)
    choice = {"resolution": resolution, "method": "label", "pickup_date": ""} | how
    response = client.post(reverse("returns:choice", args=[token]), choice)
    assert response.status_code == 302, response.content.decode()[:3000]
    return reverse("returns:confirm", args=[token])


@pytest.mark.parametrize(
    ("resolution", "reason", "told", "not_told"),
    [
        ("refund", "too_big", ["You get back", "SEK450.00", "We pay within 14 days"], ["store credit code"]),
        (
            "store_credit",
            "too_big",
            ["Your store credit code is worth", "SEK495.00", "Store credit bonus", "SEK45.00", "e-mail you the store"],
            ["You get back", "We pay within"],
        ),
        ("exchange", "too_small", ["You get", "· L</td>", "We keep your new size"], ["You get back", "SEK", "We pay"]),
        ("repair", "defective", ["repair it or send you a new one, at no cost"], ["You get back", "SEK", "We pay"]),
    ],
)
def test_the_confirm_page_speaks_of_money_only_when_money_is_the_outcome(
    client: Client, resolution: str, reason: str, told: list[str], not_told: list[str]
) -> None:
    order = order_with("499.00")
    line = order.lines.get()
    bigger = VariantFactory(product=line.variant.product, option="L", stock=3)
    how = {f"exchange_{line.id}": str(bigger.id)} if resolution == "exchange" else {}
    page = client.get(walk_with(client, order, line, reason, resolution, **how)).content.decode()
    for text in told:
        assert text in page, text
    for text in not_told:
        assert text not in page, text


def status_page(client: Client, return_request: ReturnRequest) -> str:
    return client.get(reverse("returns:status", args=[access.status_token(return_request)])).content.decode()


def inspected(return_request: ReturnRequest, *verdicts: tuple[bool, str], capture=None) -> ReturnRequest:
    from django.contrib.auth.models import User

    from returns.services import ReceivedLine, return_receive

    staff = User.objects.get_or_create(username="lager", defaults={"is_staff": True})[0]
    lines = [
        ReceivedLine(line.id, line.quantity, "resellable" if accept else "damaged", accept, reason=why)
        for line, (accept, why) in zip(return_request.lines.order_by("id"), verdicts, strict=True)
    ]
    if capture is None:
        return_receive(return_request=return_request, lines=lines, by=staff)
    else:
        with capture(execute=True):  # a store credit code is issued once the inspection commits
            return_receive(return_request=return_request, lines=lines, by=staff)
    return_request.refresh_from_db()
    return return_request


def created(order: Order, resolution: str, *picks, **fields: object) -> ReturnRequest:
    from returns.services import LineRequest, return_create

    return return_create(
        order=order, lines=[LineRequest(*pick) for pick in picks], resolution=resolution, method="label", **fields
    )


def test_a_repair_is_told_as_a_repair_and_never_as_a_refund(client: Client) -> None:
    from django.contrib.auth.models import User

    order = order_with("1290.00")
    line = order.lines.get()
    staff = User.objects.create_user("desk", is_staff=True)
    return_request = created(order, "repair", (line.id, 1, "defective"), by=staff)
    page = status_page(client, return_request)
    assert "Repair or replacement</h2>" in page
    assert "repair it or send you a new one, at no cost to you" in page
    assert "Refund" not in page and "SEK" not in page and "Paid by" not in page

    page = status_page(client, inspected(return_request, (True, "")))
    assert "We now repair your item or send you a new one" in page
    assert "Refund" not in page and "SEK" not in page


def test_an_exchange_shows_the_new_item_and_when_it_ships(client: Client) -> None:
    order = order_with("499.00", "200.00")
    boots, socks = order.lines.order_by("id")
    larger = VariantFactory(product=boots.variant.product, option="40", stock=2)
    other = VariantFactory(product=socks.variant.product, option="43–46", stock=2)
    return_request = created(
        order, "exchange", (boots.id, 1, "too_small", "", larger.id), (socks.id, 1, "too_small", "", other.id)
    )
    page = status_page(client, return_request)
    assert "Your exchange</h2>" in page
    name, socks_name = boots.variant.product.name, socks.variant.product.name
    assert f"You get</dt><dd>1 × {name} · 40, 1 × {socks_name} · 43–46</dd>" in page
    assert "We keep your new size for you" in page
    assert "SEK" not in page and "Refund" not in page

    page = status_page(client, inspected(return_request, (True, ""), (False, "Worn.")))
    assert f"You get</dt><dd>1 × {name} · 40</dd>" in page  # only what was accepted is sent
    assert "We are sending your new item" in page
    assert "Worn." in page and "SEK" not in page


def test_store_credit_says_a_code_worth_x_will_come_then_shows_it(client: Client, django_capture_on_commit_callbacks):
    order = order_with("499.00")
    return_request = created(order, "store_credit", (order.lines.get().id, 1, "too_big"))
    page = status_page(client, return_request)
    assert "Your store credit</h2>" in page
    assert '<dt>Store credit</dt><dd class="amount">SEK495.00</dd>' in page  # 450 after the fee, and 10 % more
    assert "<dt>Bonus included</dt><dd>SEK45.00</dd>" in page
    assert "We e-mail you the store credit code as soon as we have checked your parcel." in page
    assert "Refund" not in page and "paid back" not in page

    page = status_page(client, inspected(return_request, (True, ""), capture=django_capture_on_commit_callbacks))
    credit = return_request.refunds.get().store_credit
    assert credit.code in page
    assert f'<dt>Value</dt><dd class="amount">SEK{credit.amount:,.2f}</dd>' in page
    assert f"<dt>Bonus included</dt><dd>SEK{credit.bonus:,.2f}</dd>" in page
    assert f"Use this code at checkout by {credit.expires_on:%-d %B %Y}:" in page
    assert "paid back" not in page and "on its way back" not in page


@pytest.mark.parametrize(
    ("language", "rejected", "accepted"), [("en", "Rejected", "Accepted"), ("sv", "Avslagen", "Godtagen")]
)
def test_a_partly_rejected_return_shows_each_lines_outcome_and_why(
    client: Client, language: str, rejected: str, accepted: str
) -> None:
    order = order_with("499.00", "200.00", language=language)
    jacket, socks = order.lines.order_by("id")
    return_request = created(order, "refund", (jacket.id, 1, "too_big"), (socks.id, 2, "changed_mind"))
    page = status_page(client, inspected(return_request, (True, ""), (False, "Worn and washed.")))
    assert f'<span class="badge badge-completed">{accepted}</span>' in page
    assert f'<span class="badge badge-rejected">{rejected}</span> <span class="reason">Worn and washed.</span>' in page
    refund = return_request.refunds.get()
    from returns_portal.core.l10n import format_money

    assert format_money(refund.amount, "SEK", language) in page
    assert format_money(return_request.expected_refund, "SEK", language) not in page  # the quote is history


@pytest.mark.parametrize(("language", "why"), [("en", "Why we could not accept"), ("fi", "Miksi emme voineet")])
def test_a_rejected_return_says_why_and_that_nothing_comes(client: Client, language: str, why: str) -> None:
    from django.contrib.auth.models import User

    from returns.services import return_reject

    policy = ReturnPolicy.current()
    policy.auto_approve = False
    policy.save()
    order = order_with("499.00", language=language)
    return_request = created(order, "refund", (order.lines.get().id, 1, "too_big"))
    page = status_page(client, return_request)
    waiting = {"en": "e-mail you as soon as it is approved", "fi": "heti, kun se on hyväksytty"}[language]
    assert waiting in page
    staff = User.objects.create_user("desk", is_staff=True)
    return_reject(return_request=return_request, by=staff, reason="Bought more than a year ago.")
    page = status_page(client, return_request)
    assert why in page and "Bought more than a year ago." in page
    assert "SEK" not in page  # neither the quote nor a date to be paid by
    assert "Please do not send the items back." in page if language == "en" else "Älä lähetä tuotteita" in page
