"""The retention sweep anonymises returns that ended more than PERSONAL_DATA_RETENTION_MONTHS ago, and
customers with nothing newer; nothing younger, nothing open; and a second run changes nothing."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import pytest
import time_machine
from django.conf import settings as django_settings
from django.contrib.auth.models import User
from django.core.files.storage import default_storage
from django.utils import timezone

from followup.models import SurveyAnswer
from returns.models import Customer, ReturnLine, ReturnRequest, ReturnState
from returns.services import LineRequest, return_create, return_transition
from returns_portal.celery import app
from returns_portal.privacy.checks import privacy_settings
from returns_portal.privacy.retention import months_before, personal_data_sweep
from tests.factories import CustomerFactory, OrderFactory, OrderLineFactory
from tests.privacy.scenes import Person, everything_stored, person

pytestmark = pytest.mark.django_db
DAY = dt.timedelta(days=1)


@pytest.fixture(autouse=True)
def _a_year(settings: Any) -> None:
    settings.PERSONAL_DATA_RETENTION_MONTHS = 12


@pytest.fixture
def staff() -> User:
    return User.objects.create_user("lager", is_staff=True)


def settled_on(clock: time_machine.Traveller, moment: dt.datetime, staff: User, name: str) -> Person:
    """A person whose return was settled at `moment`; the clock comes back to now."""
    now = timezone.now()
    clock.move_to(moment)
    someone = person(
        staff,
        name=name,
        email=f"{name.lower().replace(' ', '.')}@example.se",
        street=f"{name} väg 1",
        city=f"{name.split()[0]}sjö",
        comment=f"{name}'s comment",
        survey=f"{name}'s answer",
    )
    clock.move_to(now)
    return someone


def test_months_are_calendar_months_and_a_short_month_ends_on_its_last_day() -> None:
    moment = dt.datetime(2026, 3, 31, 12, tzinfo=dt.UTC)
    assert timezone.localdate(months_before(moment, 1)) == dt.date(2026, 2, 28)
    assert timezone.localdate(months_before(moment, 36)) == dt.date(2023, 3, 31)


def test_only_returns_ended_more_than_the_retention_period_ago_are_anonymised_and_twice_changes_nothing(
    clock: time_machine.Traveller, staff: User, django_capture_on_commit_callbacks: Callable[..., Any]
) -> None:
    now = timezone.now()
    cutoff = months_before(now, 12)
    gone = settled_on(clock, cutoff - DAY, staff, "Olle Gammal")
    kept = settled_on(clock, cutoff + DAY, staff, "Nora Ny")
    # An old return of a customer who bought again since: the return loses its texts, the customer stays.
    still_buying = settled_on(clock, cutoff - 2 * DAY, staff, "Stina Stamkund")
    OrderFactory(customer=still_buying.customer, placed_at=timezone.now() - 30 * DAY)
    # Cancelled long ago: ended all the same.
    clock.move_to(cutoff - 3 * DAY)
    line = OrderLineFactory(order=OrderFactory(customer=CustomerFactory(name="Rut Avvisad")), unit_price=Decimal(500))
    cancelled = return_create(
        order=line.order, lines=[LineRequest(line.id, 1, "too_big", "Rut's words")], resolution="refund", method="label"
    )
    return_transition(return_request=cancelled, to=ReturnState.CANCELLED, actor="customer", note="Rut kept them")
    clock.move_to(now)

    with django_capture_on_commit_callbacks(execute=True):
        assert personal_data_sweep() == {"returns": 3, "customers": 2}

    stored = everything_stored()
    assert [word for word in [*gone.words, "Rut Avvisad", "Rut's words", "Rut kept them"] if word in stored] == []
    assert not default_storage.exists(gone.photo.image.name)
    assert all(word in stored for word in kept.words)
    assert default_storage.exists(kept.photo.image.name)
    assert [word for word in still_buying.words if word in stored] == [
        "Stina Stamkund",
        "stina.stamkund@example.se",
        "Stina Stamkund väg 1",
        "Stinasjö",
    ]
    assert not default_storage.exists(still_buying.photo.image.name)
    assert ReturnRequest.objects.get(pk=gone.return_request.pk).state == ReturnState.COMPLETED
    assert SurveyAnswer.objects.get(return_request=gone.return_request).score == 2

    with django_capture_on_commit_callbacks(execute=True):
        assert personal_data_sweep() == {"returns": 0, "customers": 0}
    assert everything_stored() == stored


def test_an_open_return_is_never_anonymised_however_old(clock: time_machine.Traveller) -> None:
    clock.move_to(timezone.now() - 800 * DAY)
    line = OrderLineFactory(order=OrderFactory(customer=CustomerFactory(name="Ivar Väntar")))
    waiting = return_create(
        order=line.order,
        lines=[LineRequest(line.id, 1, "too_big", "Still coming")],
        resolution="refund",
        method="label",
    )
    clock.move_to(timezone.now() + 800 * DAY)
    assert waiting.state in (ReturnState.REQUESTED, ReturnState.APPROVED)
    assert personal_data_sweep() == {"returns": 0, "customers": 0}
    assert ReturnLine.objects.get(return_request=waiting).comment == "Still coming"
    assert Customer.objects.get(pk=line.order.customer_id).name == "Ivar Väntar"


def test_celery_beat_runs_the_sweep_daily_under_a_stable_name() -> None:
    entry = django_settings.CELERY_BEAT_SCHEDULE["anonymise-expired-personal-data"]
    assert entry["task"] == "privacy.anonymise_expired_personal_data"
    app.loader.import_default_modules()  # what a worker and beat do when they start: find every tasks module
    assert app.tasks[entry["task"]].delay().get() == {"returns": 0, "customers": 0}


@pytest.mark.parametrize("months", [0, -3])
def test_a_retention_period_under_a_month_stops_start_up_with_a_clear_error(settings: Any, months: int) -> None:
    settings.PERSONAL_DATA_RETENTION_MONTHS = months
    [error] = privacy_settings()
    assert error.id == "privacy.E001"
    assert f"at least 1, not {months}" in error.msg
