"""The insight's rollups of units sold and returned: after every change that counts (order intake, a new
return, an inspection, a cancelled, rejected or expired return) they answer exactly what the raw order
and return lines answer, the rebuild command recounts them from history, and two returns created at
the same moment both count."""

from __future__ import annotations

import datetime as dt
import io
import threading
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.core.management import call_command
from django.db import connection
from django.db.models import Count, Sum
from django.db.models.functions import TruncWeek
from django.utils import timezone

from returns import rollups
from returns.insight import product_rates, weekly_trend
from returns.models import (
    OrderLine,
    ReturnLine,
    ReturnPolicy,
    ReturnRequest,
    ReturnsRequested,
    ReturnState,
    UnitsReturned,
    UnitsSold,
    Variant,
)
from returns.order_intake import orders_import
from returns.services import (
    LineRequest,
    ReceivedLine,
    return_create,
    return_receive,
    return_reject,
    return_transition,
    returns_expire_unsent,
)
from returns_portal.core.periods import Period
from tests.factories import CustomerFactory, OrderFactory, OrderLineFactory, ProductFactory, VariantFactory

pytestmark = pytest.mark.django_db
DAY = dt.timedelta(days=1)


def year() -> Period:
    """A year up to an hour from now (returns made now are in it), part-days at both ends."""
    return Period(timezone.now() - 365 * DAY, timezone.now() + dt.timedelta(hours=1))


def raw_sold(period: Period) -> dict[int, int]:
    """Units sold per variant, straight from the order lines (the computation the rollups replace)."""
    rows = (
        OrderLine.objects.filter(order__placed_at__gte=period.start, order__placed_at__lt=period.end)
        .filter(order__replacement_for__isnull=True)
        .values_list("variant_id")
        .annotate(units=Sum("quantity"))
        .order_by()
    )
    return dict(rows)


def raw_returned(period: Period) -> dict[tuple[int, str], int]:
    rows = (
        ReturnLine.objects.filter(
            order_line__order__placed_at__gte=period.start,
            order_line__order__placed_at__lt=period.end,
            order_line__order__replacement_for__isnull=True,
        )
        .exclude(return_request__state__in=[ReturnState.REJECTED, ReturnState.CANCELLED, ReturnState.EXPIRED])
        .values_list("order_line__variant_id", "reason__code")
        .annotate(units=Sum("quantity"))
        .order_by()
    )
    return {(variant, reason): units for variant, reason, units in rows}


def raw_weekly(period: Period) -> list[tuple[dt.date, int, int]]:
    rows = (
        ReturnRequest.objects.filter(created_at__gte=period.start, created_at__lt=period.end)
        .exclude(state__in=[ReturnState.REJECTED, ReturnState.CANCELLED, ReturnState.EXPIRED])
        .annotate(week=TruncWeek("created_at"))
        .values("week")
        .annotate(returns=Count("id", distinct=True), units=Sum("lines__quantity"))
        .order_by("week")
    )
    return [(row["week"].date(), row["returns"], row["units"] or 0) for row in rows]


def rollup_rows() -> tuple[list[Any], ...]:
    sold = UnitsSold.objects.exclude(units=0).values_list("day", "variant_id", "units")
    returned = UnitsReturned.objects.exclude(units=0).values_list("day", "variant_id", "reason_id", "units")
    requested = ReturnsRequested.objects.exclude(returns=0).values_list("day", "returns", "units")
    return sorted(sold), sorted(returned), sorted(requested)


def assert_rollups_answer_as_raw_rows(*periods: Period) -> None:
    """Equal to the raw lines for each period, and row for row equal to a rebuild from history."""
    for period in periods or (year(),):
        assert rollups.units_sold(period) == raw_sold(period)
        assert rollups.units_returned(period) == raw_returned(period)
        assert weekly_trend(period) == raw_weekly(period)
    kept = rollup_rows()
    call_command("rebuild_insight", stdout=io.StringIO())
    assert rollup_rows() == kept


def order_payload(number: str, placed_at: dt.datetime, lines: dict[str, int]) -> dict[str, Any]:
    return {
        "number": number, "placed_at": placed_at.isoformat(), "currency": "SEK", "language": "sv",
        "payment_method": "card", "customer": {"email": "anna@example.se", "name": "Anna Berg", "country": "SE"},
        "lines": [
            {"sku": sku, "product": "TEE", "option": sku, "name": "T-shirt", "category": "Clothing",
             "quantity": quantity, "unit_price": "199.00", "vat_rate": "25"}
            for sku, quantity in lines.items()
        ],
    }  # fmt: skip


def sold_by_sku(period: Period) -> dict[str, int]:
    skus = dict(Variant.objects.values_list("pk", "sku"))
    return {skus[variant]: units for variant, units in rollups.units_sold(period).items()}


def test_imported_orders_count_on_their_day_and_a_reimport_moves_and_changes_them() -> None:
    ten_days_ago, two_years_ago = timezone.now() - 10 * DAY, timezone.now() - 730 * DAY
    orders_import(orders=[order_payload("T-1", ten_days_ago, {"TEE-M": 2, "TEE-L": 1}),
                          order_payload("T-2", ten_days_ago, {"TEE-M": 3})])  # fmt: skip
    assert sold_by_sku(year()) == {"TEE-M": 5, "TEE-L": 1}
    assert_rollups_answer_as_raw_rows()

    orders_import(orders=[order_payload("T-1", ten_days_ago, {"TEE-M": 4}),  # L removed, M from 2 to 4
                          order_payload("T-2", two_years_ago, {"TEE-M": 3})])  # fmt: skip  # placed long ago after all
    assert sold_by_sku(year()) == {"TEE-M": 4}
    assert sold_by_sku(Period(two_years_ago - DAY, two_years_ago + DAY)) == {"TEE-M": 3}
    assert_rollups_answer_as_raw_rows(year(), Period(two_years_ago - DAY, two_years_ago + DAY))


def test_a_period_reads_whole_days_from_the_rollups_and_its_ends_from_the_order_lines() -> None:
    variant = VariantFactory()
    three_days_ago = timezone.localtime() - 3 * DAY  # noon, three days ago
    for placed_at, quantity in [
        (three_days_ago.replace(hour=14), 1),  # before the period
        (three_days_ago.replace(hour=16), 2),  # in its first part-day
        (three_days_ago + DAY, 4),  # a whole day
        (timezone.localtime().replace(hour=9), 8),  # in its last part-day
        (timezone.localtime().replace(hour=13), 16),  # after it
    ]:
        OrderLineFactory(order=OrderFactory(placed_at=placed_at), variant=variant, quantity=quantity)
    period = Period(three_days_ago.replace(hour=15), timezone.localtime().replace(hour=12))
    assert rollups.units_sold(period) == {variant.pk: 2 + 4 + 8}
    one_afternoon = Period(three_days_ago.replace(hour=15), three_days_ago.replace(hour=20))
    assert rollups.units_sold(one_afternoon) == {variant.pk: 2}
    whole_days = Period(timezone.localtime().replace(hour=0) - 3 * DAY, timezone.localtime().replace(hour=0))
    assert rollups.units_sold(whole_days) == {variant.pk: 1 + 2 + 4}
    assert_rollups_answer_as_raw_rows(period, one_afternoon, whole_days, year())


def sell_and_return(variant: Variant, reasons: list[str]) -> list[ReturnRequest]:
    """One order of one unit per reason, 20 days ago, each unit returned for its reason."""
    returns = []
    for reason in reasons:
        order = OrderFactory(customer=CustomerFactory(), placed_at=timezone.now() - 20 * DAY,
                             delivered_at=timezone.now() - 18 * DAY)  # fmt: skip
        line = OrderLineFactory(order=order, variant=variant)
        returns.append(return_create(order=line.order, lines=[LineRequest(line.id, 1, reason)], resolution="refund",
                                     method="label"))  # fmt: skip
    return returns


def test_returns_count_when_created_and_inspected_and_stop_counting_when_cancelled_rejected_or_expired() -> None:
    staff = User.objects.create_user("lager", is_staff=True)
    variant = VariantFactory(product=ProductFactory(name="Trail runner"))
    inspected, cancelled, expired, kept = sell_and_return(variant, ["too_small", "too_small", "too_big", "too_big"])
    policy = ReturnPolicy.current()
    policy.auto_approve = False  # so that staff can still reject the next one
    policy.save()
    [rejected] = sell_and_return(variant, ["changed_mind"])
    assert rollups.units_returned(year()) == {(variant.pk, "too_small"): 2, (variant.pk, "too_big"): 2,
                                              (variant.pk, "changed_mind"): 1}  # fmt: skip
    monday = timezone.localdate() - dt.timedelta(days=timezone.localdate().weekday())
    assert weekly_trend(year()) == [(monday, 5, 5)]
    assert_rollups_answer_as_raw_rows()

    line = inspected.lines.get()
    return_receive(return_request=inspected, by=staff, lines=[ReceivedLine(line.id, 1, "resellable", accept=True)])
    return_transition(return_request=cancelled, to=ReturnState.CANCELLED, actor="customer")
    return_reject(return_request=rejected, by=staff, reason="Bought in another shop.")
    return_transition(return_request=kept, to=ReturnState.IN_TRANSIT)  # sent: never expires
    assert returns_expire_unsent(now=timezone.now() + 60 * DAY) == 1
    expired.refresh_from_db()
    assert expired.state == ReturnState.EXPIRED
    assert rollups.units_returned(year()) == {(variant.pk, "too_small"): 1, (variant.pk, "too_big"): 1}
    [rate] = product_rates(year())
    assert (rate.name, rate.sold, rate.returned) == ("Trail runner", 5, 2)
    assert weekly_trend(year()) == [(monday, 2, 2)]
    assert_rollups_answer_as_raw_rows()


def test_the_rebuild_command_recounts_what_was_written_around_the_services() -> None:
    variant = VariantFactory()
    sell_and_return(variant, ["too_small", "changed_mind"])
    OrderLine.objects.create(order=OrderFactory(), variant=variant, quantity=7, unit_price=1, vat_rate=25)  # plain ORM
    UnitsReturned.objects.update(units=99)
    out = io.StringIO()
    call_command("rebuild_insight", stdout=out)
    assert out.getvalue().startswith("Rebuilt the insight rollups in ")
    assert out.getvalue().endswith(" s: rows 2 sold, 2 returned, 1 requested.\n")
    assert rollups.units_sold(year()) == {variant.pk: 2 + 7}
    assert rollups.units_returned(year()) == {(variant.pk, "too_small"): 1, (variant.pk, "changed_mind"): 1}
    assert_rollups_answer_as_raw_rows()


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("migration_data")
def test_two_returns_created_at_the_same_moment_both_count() -> None:
    variant = VariantFactory()
    placed_at = timezone.now() - 20 * DAY  # both orders on the same day: the same rollup row
    lines = [OrderLineFactory(order=OrderFactory(placed_at=placed_at), variant=variant) for _ in range(2)]
    barrier = threading.Barrier(2)
    errors: list[BaseException] = []

    def create(line: OrderLine) -> None:
        try:
            barrier.wait()
            return_create(order=line.order, lines=[LineRequest(line.id, 1, "too_small")], resolution="refund",
                          method="label")  # fmt: skip
        except BaseException as error:  # reported by the assertion below
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=create, args=(line,)) for line in lines]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert list(UnitsReturned.objects.values_list("units", flat=True)) == [2]
    assert rollups.units_returned(year()) == {(variant.pk, "too_small"): 2}
    assert list(ReturnsRequested.objects.values_list("returns", "units")) == [(2, 2)]
