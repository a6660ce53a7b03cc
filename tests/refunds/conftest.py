"""Refund tests' fixtures: the connected fake in place of Klarna, Adyen and Stripe."""

from __future__ import annotations

import pytest

from refunds.providers.fake import FakeConnectedProvider
from returns.models import ReturnPolicy
from tests.refunds.paid_through import PROVIDERS


@pytest.fixture
def connected(settings) -> type[FakeConnectedProvider]:
    """Every payment provider is the connected fake, fresh."""
    settings.PAYMENT_PROVIDERS = dict.fromkeys(PROVIDERS, "refunds.providers.fake.FakeConnectedProvider")
    FakeConnectedProvider.reset()
    return FakeConnectedProvider


@pytest.fixture
def free_returns() -> None:
    """No return fee: the refund is what was paid, so the amounts in the tests stay round."""
    policy = ReturnPolicy.current()
    policy.free_returns = True
    policy.save()
