"""The home pickup in templates: what the customer is told, and staff's one line (see `returns.pickup_text`)."""

from __future__ import annotations

from django import template

from returns import pickup_text
from returns.models import ReturnRequest

register = template.Library()


@register.filter
def pickup_lines(return_request: ReturnRequest) -> list[str]:
    return pickup_text.pickup_lines(return_request)


@register.filter
def pickup_for_staff(return_request: ReturnRequest) -> str:
    return pickup_text.pickup_for_staff(return_request)
