"""Why a line cannot be returned, in the customer's words, in templates."""

from __future__ import annotations

from django import template

from returns.policy import LineEligibility, ineligibility_text

register = template.Library()


@register.filter
def ineligibility(result: LineEligibility) -> str:
    return ineligibility_text(result)
