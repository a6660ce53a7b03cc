"""Plug-ins and addresses are checked at start-up (`manage.py check`), not at a customer's first confirm."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.checks import Error, run_checks
from django.test import override_settings

from refunds.providers import PayoutRequest, PayoutResult


class HalfACarrier:
    def create_shipment(self, request: object) -> None: ...


class NamelessProvider:
    def refund(self, request: PayoutRequest) -> PayoutResult: ...


def not_a_class() -> None: ...


def errors(**overrides: Any) -> dict[str, Error]:
    with override_settings(**overrides):
        return {message.id: message for message in run_checks() if isinstance(message, Error)}


def test_the_embedded_default_and_the_test_settings_pass_every_check() -> None:
    assert errors() == {}


@pytest.mark.parametrize(
    ("carrier", "check_id", "says"),
    [
        ("returns.carriers.NoSuchCarrier", "returns.E001", "cannot be imported"),
        ("carriers.BuiltinCarrier", "returns.E001", "cannot be imported"),
        (f"{__name__}.not_a_class", "returns.E002", "is not a class"),
        (f"{__name__}.HalfACarrier", "returns.E003", "lacks name, book_pickup"),
    ],
)
def test_a_wrong_carrier_is_an_error_naming_the_setting(carrier: str, check_id: str, says: str) -> None:
    error = errors(RETURN_CARRIER=carrier)[check_id]
    assert "RETURN_CARRIER" in error.msg and says in error.msg
    assert "returns.carriers.BuiltinCarrier" in error.hint


def test_a_carrier_country_that_is_no_country_code_is_an_error() -> None:
    assert "returns.E004" in errors(RETURN_CARRIER_COUNTRY="Sweden")


def test_a_carrier_of_the_shops_own_passes() -> None:
    assert errors(RETURN_CARRIER="returns.carriers.BuiltinCarrier") == {}


@pytest.mark.parametrize(
    ("providers", "check_id", "says"),
    [
        (["refunds.providers.manual.ManualProvider"], "refunds.E001", "not a mapping"),
        ({"cash": "refunds.providers.manual.ManualProvider"}, "refunds.E002", "no refund method"),
        ({"original_payment": "refunds.providers.nope.Provider"}, "refunds.E003", "cannot be imported"),
        ({"bank_transfer": f"{__name__}.not_a_class"}, "refunds.E004", "is not a class"),
        ({"original_payment": f"{__name__}.NamelessProvider"}, "refunds.E005", "lacks name"),
    ],
)
def test_a_wrong_refund_provider_is_an_error_naming_the_entry(providers: object, check_id: str, says: str) -> None:
    error = errors(REFUND_PROVIDERS=providers)[check_id]
    assert "REFUND_PROVIDERS" in error.msg and says in error.msg
    assert error.hint


def test_the_fake_card_provider_of_the_tests_passes() -> None:
    assert errors(REFUND_PROVIDERS={"original_payment": "refunds.providers.fake.FakeCardProvider"}) == {}


@pytest.mark.parametrize("url", ["returns.shop.example", "/portal/", "ftp://returns.shop.example", "https://"])
def test_a_portal_url_that_is_not_an_absolute_http_address_is_an_error(url: str) -> None:
    assert "PORTAL_URL" in errors(PORTAL_URL=url)["followup.E002"].msg


def test_production_wants_the_portal_over_https() -> None:
    assert "followup.E003" in errors(PRODUCTION=True, PORTAL_URL="http://returns.shop.example")
    assert "followup.E003" not in errors(PRODUCTION=False, PORTAL_URL="http://127.0.0.1:8000")
    assert (
        errors(
            PRODUCTION=True,
            PORTAL_URL="https://returns.shop.example",
            EMAIL_BACKEND="django.core.mail.backends.smtp.EmailBackend",
        )
        == {}
    )


@pytest.mark.parametrize("backend", ["console", "filebased", "locmem", "dummy"])
def test_production_wants_mail_that_leaves_the_machine(backend: str) -> None:
    path = f"django.core.mail.backends.{backend}.EmailBackend"
    found = errors(PRODUCTION=True, PORTAL_URL="https://returns.shop.example", EMAIL_BACKEND=path)
    assert set(found) == {"followup.E004"}
    assert "followup.E004" not in errors(PRODUCTION=False, EMAIL_BACKEND=path)


@pytest.mark.parametrize("address", ["", "returns", "Shop <returns@shop.example>"])
def test_a_from_address_that_is_not_an_address_is_an_error(address: str) -> None:
    assert "DEFAULT_FROM_EMAIL" in errors(DEFAULT_FROM_EMAIL=address)["followup.E005"].msg


def test_the_outbox_send_task_is_registered_under_the_name_the_outbox_queues() -> None:
    from celery import current_app

    from followup.outbox import SEND_TASK

    assert current_app.tasks[SEND_TASK].name == "followup.send_messages"
    assert "followup.E001" not in errors()
