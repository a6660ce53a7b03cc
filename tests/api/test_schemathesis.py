"""Schemathesis generates requests for every endpoint from the OpenAPI document the portal serves
and checks each answer: never a server error, always a documented status and body shape."""

from __future__ import annotations

from collections.abc import Iterator

import hypothesis
import pytest
import schemathesis
from django.contrib.auth.models import User
from django.core.signals import request_finished, request_started
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from django.test import override_settings
from rest_framework.authtoken.models import Token
from schemathesis.checks import positive_data_acceptance

from returns.services import LineRequest, return_create
from tests.factories import OrderLineFactory

pytestmark = pytest.mark.django_db
EXAMPLES_PER_OPERATION = 40


@pytest.fixture
def connections_kept() -> Iterator[None]:
    """The WSGI app closes "old" database connections around each request; inside a test's
    transaction that would close the test's own connection (Django's test client does the same)."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@override_settings(API_RATE="1000000/min")
@pytest.mark.usefixtures("connections_kept")
def test_every_endpoint_answers_within_its_documented_contract() -> None:
    schema = schemathesis.openapi.from_wsgi("/api/schema/?format=json", get_wsgi_application())
    user = User.objects.create_superuser("fuzzer", "fuzzer@example.com", None)  # every operation reachable
    headers = {"Authorization": f"Token {Token.objects.create(user=user).key}"}
    line = OrderLineFactory(quantity=3)  # something to find, approve, receive and refund
    return_create(order=line.order, lines=[LineRequest(line.id, 1, "too_big")], resolution="refund", method="label")

    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 13
    failures = {}
    for operation in operations:

        @hypothesis.given(case=operation.as_strategy())
        @hypothesis.settings(
            max_examples=EXAMPLES_PER_OPERATION,
            deadline=None,
            suppress_health_check=list(hypothesis.HealthCheck),
            database=None,
        )
        def check(case: schemathesis.Case) -> None:
            # Every check but "schema-valid data is accepted": an order can match the schema and still be
            # refused for a business rule (delivered before it was placed, a repeated SKU), as it should.
            case.call_and_validate(headers=headers, excluded_checks=[positive_data_acceptance])

        try:
            check()
        except Exception as failure:  # collect every operation's failure, then report them together
            failures[operation.label] = f"{type(failure).__name__}: {failure}"[:1500]
    assert failures == {}
