"""`manage.py provider_check` tells a merchant whether the configured payment providers answer: the
missing variables by name (never a value), the provider's own check, OK or FAIL, and the exit code."""

from __future__ import annotations

import io

import pytest
from django.core.checks import run_checks
from django.core.management import CommandError, call_command
from django.test import override_settings

from refunds.providers.fake import FakeConnectedProvider
from tests.refunds.paid_through import PROVIDERS, order_paid_through

pytestmark = pytest.mark.django_db
FAKE = "refunds.providers.fake.FakeConnectedProvider"
SECRETS = {
    "KLARNA_USERNAME": "PK0001_klarna-user", "KLARNA_PASSWORD": "klarna-secret-password",
    "ADYEN_API_KEY": "AQE-adyen-secret", "ADYEN_MERCHANT_ACCOUNT": "NordvastECOM", "ADYEN_HMAC_KEY": "44782DEF",
    "STRIPE_SECRET_KEY": "sk_test_stripe-secret", "STRIPE_WEBHOOK_SECRET": "whsec_stripe-secret",
}  # fmt: skip


@pytest.fixture
def unconfigured(settings, connected: type[FakeConnectedProvider]) -> type[FakeConnectedProvider]:
    for name in SECRETS:
        setattr(settings, name, "")
    return connected


def provider_check() -> tuple[str, int]:
    out = io.StringIO()
    try:
        call_command("provider_check", stdout=out)
    except CommandError as failure:
        return out.getvalue() + str(failure), failure.returncode
    return out.getvalue(), 0


def test_a_shop_without_providers_is_told_so_and_passes(unconfigured: type[FakeConnectedProvider]) -> None:
    out, code = provider_check()
    assert code == 0
    assert "klarna: not configured, no orders: skipped" in out and "stripe: not configured" in out


def test_a_provider_that_orders_use_names_its_missing_variables_and_fails(
    unconfigured: type[FakeConnectedProvider], settings
) -> None:
    order_paid_through("adyen")
    order_paid_through("adyen")
    settings.ADYEN_API_KEY = SECRETS["ADYEN_API_KEY"]
    out, code = provider_check()
    assert code == 1
    assert "FAIL adyen: 2 orders; missing ADYEN_MERCHANT_ACCOUNT, ADYEN_HMAC_KEY" in out
    assert "1 payment provider(s) failed: adyen" in out
    assert SECRETS["ADYEN_API_KEY"] not in out


def test_configured_providers_are_asked_and_answer_ok(unconfigured: type[FakeConnectedProvider], settings) -> None:
    for name, value in SECRETS.items():
        setattr(settings, name, value)
    order_paid_through("klarna")
    out, code = provider_check()
    assert code == 0, out
    assert "OK   klarna: credentials accepted" in out and "OK   stripe: webhook secret set" in out
    assert "Every payment provider in use answers." in out
    assert not any(secret in out for secret in SECRETS.values())


def test_a_provider_that_refuses_the_credentials_fails(unconfigured: type[FakeConnectedProvider], settings) -> None:
    settings.STRIPE_SECRET_KEY, settings.STRIPE_WEBHOOK_SECRET = SECRETS["STRIPE_SECRET_KEY"], "whsec_x"
    unconfigured.down = True
    out, code = provider_check()
    assert code == 1
    assert "FAIL stripe: no orders; 401 Unauthorized: the credentials were refused" in out


def test_orders_naming_a_provider_that_is_not_set_up_fail(unconfigured: type[FakeConnectedProvider], settings) -> None:
    order_paid_through("klarna")
    settings.PAYMENT_PROVIDERS = {"adyen": "refunds.providers.fake.FakeConnectedProvider"}
    out, code = provider_check()
    assert code == 1 and "FAIL klarna: orders name it (1 order), but PAYMENT_PROVIDERS has no 'klarna'" in out


@pytest.mark.parametrize(
    ("providers", "check_id", "says"),
    [
        ([], "refunds.E006", "not a mapping"),
        ({"klarna": "refunds.providers.klarna.KlarnaProvider"}, "refunds.E006", "has no 'adyen', which orders"),
        ({**dict.fromkeys(PROVIDERS, FAKE), "adyen": "refunds.providers.nope.Adyen"}, "refunds.E007", "cannot be"),
        ({**dict.fromkeys(PROVIDERS, FAKE), "stripe": "refunds.providers.fake.FakeCardProvider"}, "refunds.E009",
         "lacks refund_status, parse_webhook, webhook_answer, check"),
    ],
)  # fmt: skip
def test_payment_providers_that_cannot_work_stop_the_start_up_checks(
    providers: object, check_id: str, says: str
) -> None:
    with override_settings(PAYMENT_PROVIDERS=providers):
        found = [(message.id, message.msg) for message in run_checks() if message.id.startswith("refunds.")]
    assert any(found_id == check_id and says in msg for found_id, msg in found), found
