"""API clients per role, each with a token made the way operators make them."""

from __future__ import annotations

import io
from collections.abc import Callable

import pytest
from django.core.management import call_command
from rest_framework.test import APIClient


@pytest.fixture
def api_as() -> Callable[[str], APIClient]:
    clients: dict[str, APIClient] = {}

    def make(role: str) -> APIClient:
        if role in clients:
            return clients[role]
        output = io.StringIO()
        call_command("api_token", f"test-{role}", role=role, stdout=output)
        key = output.getvalue().split(": ", 1)[1].split()[0]
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
        clients[role] = client
        return client

    return make
