"""The two commands with wrong input: an unknown or malformed address, a person with a return still
under way, a question answered "no". A clear line and an exit code each; nothing changed; no traceback."""

from __future__ import annotations

import io
from collections.abc import Callable
from typing import Any

import pytest
from django.core.management import CommandError, call_command, load_command_class

from followup.models import MarketingObjection
from returns.models import Customer, ReturnLine
from returns.services import LineRequest, return_create
from tests.factories import CustomerFactory, OrderFactory, OrderLineFactory

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("command", ["export_customer", "forget_customer"])
def test_an_unknown_address_is_a_clear_message_and_exit_code_3(command: str) -> None:
    CustomerFactory(email="someone.else@example.se")
    with pytest.raises(CommandError, match=r"nobody@example\.se") as refused:
        call_command(command, "nobody@example.se", *(["--yes"] if command == "forget_customer" else []))
    assert refused.value.returncode == 3


@pytest.mark.parametrize("command", ["export_customer", "forget_customer"])
def test_a_malformed_address_is_exit_code_2_and_said_so(command: str) -> None:
    with pytest.raises(CommandError, match="'anna at example' is not an e-mail address") as refused:
        call_command(command, "anna at example")
    assert refused.value.returncode == 2


def test_from_the_command_line_the_operator_sees_one_line_and_the_exit_code_not_a_traceback(
    capsys: pytest.CaptureFixture[str],
) -> None:
    command = load_command_class("returns_portal.privacy", "export_customer")
    with pytest.raises(SystemExit) as exited:
        command.run_from_argv(["manage.py", "export_customer", "nobody@example.se"])
    assert exited.value.code == 3
    assert capsys.readouterr().err == "CommandError: Nothing is held about nobody@example.se.\n"


def test_a_person_with_a_return_under_way_is_not_forgotten_and_nothing_changes() -> None:
    line = OrderLineFactory(order=OrderFactory(customer=CustomerFactory(email="eva@example.fi", name="Eva")))
    waiting = return_create(
        order=line.order,
        lines=[LineRequest(line.id, 1, "too_big", "Too big, sorry")],
        resolution="refund",
        method="label",
    )
    with pytest.raises(CommandError, match=f"return {waiting.number} is approved") as refused:
        call_command("forget_customer", "eva@example.fi", "--yes")
    assert refused.value.returncode == 4
    assert Customer.objects.get(email="eva@example.fi").name == "Eva"
    assert ReturnLine.objects.get(return_request=waiting).comment == "Too big, sorry"


def test_forgetting_asks_first_and_a_no_changes_nothing(
    monkeypatch: pytest.MonkeyPatch, django_capture_on_commit_callbacks: Callable[..., Any]
) -> None:
    CustomerFactory(email="eva@example.fi", name="Eva")
    monkeypatch.setattr("builtins.input", lambda question: "no")
    with pytest.raises(CommandError, match="Cancelled: nothing was changed"):
        call_command("forget_customer", "eva@example.fi")
    assert Customer.objects.get(email="eva@example.fi").name == "Eva"
    monkeypatch.setattr("builtins.input", lambda question: "yes")
    out = io.StringIO()
    with django_capture_on_commit_callbacks(execute=True):
        call_command("forget_customer", "eva@example.fi", stdout=out)
    assert "customers: 1" in out.getvalue()
    assert not Customer.objects.filter(name="Eva").exists()


def test_someone_who_only_unsubscribed_has_their_objection_exported_and_then_kept_as_a_hash() -> None:
    MarketingObjection.objects.create(email="ulla@example.no")
    out = io.StringIO()
    call_command("export_customer", "Ulla@Example.no", stdout=out)
    assert '"kept_as": "e-mail address"' in out.getvalue()
    call_command("forget_customer", "ulla@example.no", "--noinput", stdout=io.StringIO())
    objection = MarketingObjection.objects.get()
    assert objection.email != "ulla@example.no" and objection.email_hash
