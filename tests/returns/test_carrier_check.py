"""`manage.py carrier_check` tells a merchant whether the configured carriers work, line by line, with
an exit code a deploy script can stop on; variables by name only, never their values. The admin's
routes name only configured carriers, and the settings' carriers are checked at start-up."""

from __future__ import annotations

import io
from typing import Any

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.test import Client
from django.urls import reverse

from returns.carriers import CarrierUnavailable
from returns.checks import carriers_setting
from returns.models import CarrierRoute
from tests.returns.carrier_doubles import KEY, ScriptedCarrier, scripted_fixture, warehouse_fixture  # noqa: F401

pytestmark = pytest.mark.django_db


def carrier_check() -> tuple[int, str]:
    out = io.StringIO()
    try:
        call_command("carrier_check", stdout=out, no_color=True)
    except CommandError as error:
        return error.returncode, out.getvalue()
    return 0, out.getvalue()


def test_every_carrier_works_and_the_merchant_is_told_where_events_go(
    scripted: type[ScriptedCarrier], settings: Any
) -> None:
    settings.SCRIPTED_API_KEY = "sk-very-secret"
    code, output = carrier_check()
    assert code == 0, output
    assert output.splitlines() == [
        "default (returns.carriers.BuiltinCarrier): where no route names a carrier",
        "  OK    Portal Post: built in, needs no account.",
        f"{KEY} (tests.returns.carrier_doubles.ScriptedCarrier): SE label, SE pickup, SE qr",
        "  OK    Scripted Post: API key accepted.",
        f"  info  Webhook URL to give the carrier: {settings.PORTAL_URL.rstrip('/')}/carriers/{KEY}/events/",
        "All carriers work.",
    ]


def test_missing_variables_are_named_never_shown_and_fail(scripted: type[ScriptedCarrier], settings: Any) -> None:
    settings.SCRIPTED_API_KEY, settings.SCRIPTED_CUSTOMER_NUMBER = "", "12345"
    code, output = carrier_check()
    assert code == 1
    assert "  FAIL  SCRIPTED_API_KEY is not set." in output
    assert "SCRIPTED_CUSTOMER_NUMBER" not in output and "12345" not in output


def test_a_carrier_that_refuses_the_credentials_fails_in_its_words_with_secrets_blanked(
    scripted: type[ScriptedCarrier], settings: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings.SCRIPTED_API_KEY = "sk-very-secret"

    def refuse(self: ScriptedCarrier) -> list[str]:
        raise CarrierUnavailable("401 for https://api.example/?apikey=sk-very-secret: key not accepted")

    monkeypatch.setattr(ScriptedCarrier, "check", refuse)
    code, output = carrier_check()
    assert code == 1
    assert "  FAIL  401 for https://api.example/?apikey=***: key not accepted" in output
    assert "sk-very-secret" not in output


def test_a_route_naming_a_carrier_the_settings_no_longer_have_fails() -> None:
    CarrierRoute.objects.create(country="NO", method="label", carrier="gone")
    code, output = carrier_check()
    assert code == 1
    assert "gone (not in CARRIERS): NO label" in output
    assert "  FAIL  A route names 'gone', which settings.CARRIERS does not have." in output


def test_the_admin_routes_offer_only_configured_carriers_and_want_a_country_code(
    scripted: type[ScriptedCarrier], client: Client, django_user_model: Any
) -> None:
    client.force_login(django_user_model.objects.create_superuser("owner", password="x"))
    url = reverse("admin:returns_carrierroute_add")
    page = client.get(url).content.decode()
    assert "PostNord — postnord" in page and "nShift Delivery — nshift" in page
    refused = client.post(url, {"country": "Sweden", "method": "label", "carrier": "gone"})
    assert refused.status_code == 200
    form = refused.context["adminform"].form
    assert set(form.errors) == {"country", "carrier"}
    assert client.post(url, {"country": "no", "method": "label", "carrier": KEY}).status_code == 302
    assert CarrierRoute.objects.get(country="NO").carrier == KEY


def test_a_carriers_entry_that_is_no_carrier_stops_the_start(settings: Any) -> None:
    settings.CARRIERS = {"builtin": "returns.carriers.BuiltinCarrier", "Bad Key": "returns.carriers.BuiltinCarrier"}
    assert [error.id for error in carriers_setting(None)] == ["returns.E005"]
    settings.CARRIERS = {"mine": "returns.carriers.nowhere.Carrier"}
    assert [error.id for error in carriers_setting(None)] == ["returns.E006"]
    settings.CARRIERS = {"mine": "returns.carriers.Address"}
    assert [error.id for error in carriers_setting(None)] == ["returns.E008"]
