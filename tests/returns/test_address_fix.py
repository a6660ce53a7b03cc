"""The sender's address: asked for when the order has none, checked per country, and corrected on
the status page when the carrier could not read it (then the booking is tried again)."""

from __future__ import annotations

from unittest import mock

import pytest
from django.test import Client
from django.urls import reverse

from returns import access
from returns.models import Customer, ReturnRequest
from returns.services import LineRequest, return_create
from returns.services.address import postcode_normalized
from tests.returns.test_service_points import confirm, say, swedish_order, to_the_how_step

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("country", "typed", "kept"),
    [
        ("SE", "11346", "113 46"),
        ("SE", " 113 46 ", "113 46"),
        ("SE", "1134", None),
        ("SE", "113-46", None),
        ("FI", "00100", "00100"),
        ("FI", "0010", None),
        ("NO", "0150", "0150"),
        ("NO", "01500", None),
        ("DK", "2100", "2100"),
        ("DK", "DK-2100", None),
        ("IE", "d02 x285", "D02 X285"),
    ],
)
def test_postcodes_are_checked_the_way_each_country_writes_them(country: str, typed: str, kept: str | None) -> None:
    assert postcode_normalized(country, typed) == kept


def test_an_order_without_an_address_asks_for_it_before_the_how_step(client: Client) -> None:
    order = swedish_order(street="", postcode="", city="")
    how = to_the_how_step(client, order)
    response = client.get(how)
    address = reverse("returns:address", args=[access.order_token(order)])
    assert response.status_code == 302 and response["Location"] == address
    page = client.get(address).content.decode()
    assert '<html lang="sv">' in page and 'autocomplete="postal-code"' in page

    refused = client.post(address, {"street": "Sveavägen 44", "postcode": "1134", "city": "Stockholm"})
    message = say("sv", "Enter a postcode of %(digits)d digits, for example %(example)s.")
    assert message % {"digits": 5, "example": "113 46"} in refused.content.decode()

    assert client.post(address, {"street": "Sveavägen 44", "postcode": "11346", "city": "Stockholm"})["Location"] == how
    assert "Sveavägen 44, 113 46 Stockholm" in client.get(how).content.decode()
    assert client.post(how, {"resolution": "refund", "method": "label"}).status_code == 302
    confirm(client, order)
    customer = Customer.objects.get(pk=order.customer_id)
    assert (customer.street, customer.postcode, customer.city) == ("Sveavägen 44", "113 46", "Stockholm")


def test_a_finnish_customer_is_told_in_finnish_about_a_finnish_postcode(client: Client) -> None:
    order = swedish_order(street="", postcode="", city="", country="FI")
    order.language = "fi"
    order.save(update_fields=["language"])
    to_the_how_step(client, order)
    address = reverse("returns:address", args=[access.order_token(order)])
    refused = client.post(address, {"street": "Mannerheimintie 12", "postcode": "001", "city": "Helsinki"})
    page = refused.content.decode()
    assert '<html lang="fi">' in page
    message = say("fi", "Enter a postcode of %(digits)d digits, for example %(example)s.")
    assert message % {"digits": 5, "example": "00100"} in page


def test_a_store_only_shop_does_not_ask_for_an_address(client: Client) -> None:
    from returns.models import ReturnPolicy

    for option in ReturnPolicy.current().methods.exclude(method="store"):
        option.offered = False
        option.save()  # through save(): the cached policy is forgotten
    order = swedish_order(street="", postcode="", city="")
    assert client.get(to_the_how_step(client, order)).status_code == 200


# --- The carrier could not read it: the status page asks, then books again ---------------------------


def refused_return(field: str = "postcode") -> ReturnRequest:
    order = swedish_order()
    return_request = return_create(
        order=order, lines=[LineRequest(order.lines.get().id, 1, "too_big")], resolution="refund", method="qr"
    )
    return_request.carrier_problem = "Invalid postal code for country SE (PostalCode)"
    return_request.carrier_problem_field = field
    return_request.save(update_fields=["carrier_problem", "carrier_problem_field"])
    return return_request


def status_url(return_request: ReturnRequest) -> str:
    return reverse("returns:status", args=[access.status_token(return_request)])


def test_the_status_page_says_in_plain_words_what_the_carrier_could_not_read(client: Client) -> None:
    return_request = refused_return("postcode")
    page = client.get(status_url(return_request)).content.decode()
    assert say("sv", "The carrier could not read your postcode. Please check it.") in page
    assert "Invalid postal code" not in page  # the carrier's own words are for staff
    assert 'name="postcode" value="11122"' in page
    assert 'href="/r/' not in page.split('id="carrier-problem"')[1].split("</section>")[0]  # no broken label link


def test_the_fixed_address_is_saved_and_the_booking_tried_again(client: Client) -> None:
    return_request = refused_return("address")
    with mock.patch(
        "returns.services.address.return_retry_booking", side_effect=lambda **kw: kw["return_request"]
    ) as retry:
        response = client.post(
            reverse("returns:fix_address", args=[access.status_token(return_request)]),
            {"street": "Sveavägen 44 B", "postcode": "113 46", "city": "Stockholm"},
        )
    assert response.status_code == 302 and response["Location"] == status_url(return_request)
    retry.assert_called_once()
    assert retry.call_args.kwargs["return_request"].pk == return_request.pk
    customer = Customer.objects.get(pk=return_request.order.customer_id)
    assert (customer.street, customer.postcode) == ("Sveavägen 44 B", "113 46")


def test_a_wrong_fix_is_refused_on_the_page_and_nothing_is_booked(client: Client) -> None:
    return_request = refused_return("postcode")
    with mock.patch("returns.services.address.return_retry_booking") as retry:
        response = client.post(
            reverse("returns:fix_address", args=[access.status_token(return_request)]),
            {"street": "Sveavägen 44", "postcode": "ABCDE", "city": "Stockholm"},
        )
    assert response.status_code == 400
    message = say("sv", "Enter a postcode of %(digits)d digits, for example %(example)s.")
    assert message % {"digits": 5, "example": "113 46"} in response.content.decode()
    retry.assert_not_called()
    assert Customer.objects.get(pk=return_request.order.customer_id).postcode == "11122"


def test_a_fix_without_a_refusal_changes_nothing(client: Client) -> None:
    order = swedish_order()
    return_request = return_create(
        order=order, lines=[LineRequest(order.lines.get().id, 1, "too_big")], resolution="refund", method="qr"
    )
    with mock.patch("returns.services.address.return_retry_booking") as retry:
        response = client.post(
            reverse("returns:fix_address", args=[access.status_token(return_request)]),
            {"street": "Elsewhere 1", "postcode": "113 46", "city": "Stockholm"},
        )
    assert response.status_code == 302
    retry.assert_not_called()
    assert Customer.objects.get(pk=order.customer_id).street == "Sveavägen 44"
