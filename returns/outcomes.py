"""What the customer is told about a return's items: what each line is, what came of it and why,
and what an exchange sends instead. One place for the words the status page, the support page
and the e-mails share; it reads the lines with their products already loaded.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from django.utils.translation import gettext as _

from returns.models import INSPECTED_STATES, Outcome, Resolution, ReturnLine, ReturnRequest, Variant


def variant_text(variant: Variant) -> str:
    """``Merino base layer · S``: the product, and the size or colour when there is one."""
    return f"{variant.product.name} · {variant.option}" if variant.option else variant.product.name


def item_text(variant: Variant, quantity: int) -> str:
    """``2 × Merino base layer · S``."""
    return f"{quantity} × {variant_text(variant)}"


@dataclass(frozen=True)
class LineOutcome:
    item: str  # what was sent back
    outcome: str  # an `Outcome` value: pending until the parcel is checked
    verdict: str  # "Accepted", "Accepted: 1 of 2 arrived", "Rejected"; empty while pending
    reason: str  # staff's words for a rejection, shown as they wrote them
    replacement: str  # for an exchange: what is (or was to be) sent instead; empty when nothing is

    @property
    def accepted(self) -> bool:
        return self.outcome == Outcome.ACCEPTED

    @property
    def rejected(self) -> bool:
        return self.outcome == Outcome.REJECTED


def line_outcome(line: ReturnLine) -> LineOutcome:
    outcome = Outcome(line.outcome)
    received = line.received_quantity or 0
    if outcome == Outcome.ACCEPTED and received < line.quantity:
        verdict = _("Accepted: %(received)s of %(quantity)s arrived") % {
            "received": received,
            "quantity": line.quantity,
        }
    elif outcome == Outcome.PENDING:
        verdict = ""
    else:
        verdict = str(outcome.label)
    replacement = ""
    if line.exchange_variant is not None and outcome != Outcome.REJECTED:
        units = line.quantity if outcome == Outcome.PENDING else received
        replacement = item_text(line.exchange_variant, units) if units else ""
    return LineOutcome(
        item=item_text(line.order_line.variant, line.quantity),
        outcome=outcome,
        verdict=verdict,
        reason=line.outcome_reason if outcome == Outcome.REJECTED else "",
        replacement=replacement,
    )


def line_outcomes(lines: Iterable[ReturnLine]) -> list[LineOutcome]:
    return [line_outcome(line) for line in lines]


def replacements_text(outcomes: Iterable[LineOutcome]) -> str:
    """What an exchange sends: ``1 × Winter boot · 40, 2 × Wool socks · 43–46``; empty when nothing."""
    return ", ".join(outcome.replacement for outcome in outcomes if outcome.replacement)


def inspected(return_request: ReturnRequest) -> bool:
    return return_request.state in INSPECTED_STATES


def nothing_accepted(return_request: ReturnRequest, outcomes: Iterable[LineOutcome]) -> bool:
    """The parcel was checked and not one line was accepted."""
    return inspected(return_request) and not any(outcome.accepted for outcome in outcomes)


def nothing_comes_text(resolution: str) -> str:
    """Why nothing is coming when no item was accepted, in the words of what the customer chose."""
    return {
        Resolution.REFUND: _("We could not accept any of the items, so nothing is paid back."),
        Resolution.STORE_CREDIT: _("We could not accept any of the items, so no store credit is issued."),
        Resolution.EXCHANGE: _("We could not accept any of the items, so no new item is sent."),
        Resolution.REPAIR: _("We could not accept any of the items, so nothing is repaired or replaced."),
    }[Resolution(resolution)]


def promise_text(resolution: str) -> str:
    """What happens once the parcel has arrived, for the resolutions that are not an amount of money."""
    if resolution == Resolution.EXCHANGE:
        return _("We keep your new size for you and send it as soon as your parcel has arrived.")
    if resolution == Resolution.REPAIR:
        return _("We check the item when it arrives and repair it or send you a new one, at no cost to you.")
    return ""
