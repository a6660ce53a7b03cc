"""What a customer gets back: pure arithmetic over plain data, one place for it.

The customer's preview, the refund proposal and the bookkeeping all read this
module. Rules:

- Each line is worth what was actually paid for it: its price minus its share
  of the order discount (shared by value, to the cent, with `money.allocate`).
- Part of a line is priced cumulatively (units already returned are priced
  first), so all the returns of a line add up to exactly what was paid for it.
- The return fee (the method's) is waived when returns are free, for an
  exchange when exchanges are free, and when any line's reason is the
  seller's fault (the parcel goes back at the seller's cost anyway).
- The restocking fee applies to the lines that are not the seller's fault.
- Fees never make the total negative; each one is its own line.
- Store credit adds the policy's bonus on what is left after fees.
- Original shipping comes back when the whole order has been returned.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum

from returns_portal.core.money import ZERO, allocate, round_money


@dataclass(frozen=True)
class PricedOrderLine:
    line_id: int
    quantity: int
    unit_price: Decimal
    vat_rate: Decimal
    already_returned: int = 0


@dataclass(frozen=True)
class Selection:
    line_id: int
    quantity: int
    seller_pays: bool = False


@dataclass(frozen=True)
class Terms:
    """The policy's money terms for one return."""

    return_fee: Decimal
    restocking_percent: Decimal
    free_returns: bool
    free_exchanges: bool
    store_credit_bonus_percent: Decimal


class Charge(StrEnum):
    RETURN_FEE = "return_fee"
    RESTOCKING_FEE = "restocking_fee"


@dataclass(frozen=True)
class QuoteLine:
    line_id: int
    quantity: int
    amount: Decimal
    vat_rate: Decimal
    vat_amount: Decimal


@dataclass(frozen=True)
class Quote:
    currency: str
    lines: tuple[QuoteLine, ...]
    deductions: tuple[tuple[Charge, Decimal], ...]
    shipping_refund: Decimal
    store_credit_bonus: Decimal

    @property
    def items_total(self) -> Decimal:
        return sum((line.amount for line in self.lines), ZERO)

    @property
    def total(self) -> Decimal:
        return (
            self.items_total
            - sum((amount for _, amount in self.deductions), ZERO)
            + self.shipping_refund
            + (self.store_credit_bonus)
        )


def paid_per_line(lines: Sequence[PricedOrderLine], discount: Decimal, currency: str) -> dict[int, Decimal]:
    """What was actually paid for each whole line: its total minus its share of the order discount."""
    totals = [line.unit_price * line.quantity for line in lines]
    shares = allocate(discount, totals, currency)
    return {
        line.line_id: round_money(total - share, currency)
        for line, total, share in zip(lines, totals, shares, strict=True)
    }


def units_amount(paid: Decimal, bought: int, already: int, quantity: int, currency: str) -> Decimal:
    """The value of `quantity` more units of a line of which `already` were returned before."""
    before = round_money(paid * already / bought, currency)
    after = round_money(paid * (already + quantity) / bought, currency)
    return after - before


def vat_included(amount: Decimal, rate: Decimal, currency: str) -> Decimal:
    return round_money(amount * rate / (100 + rate), currency)


def quote(
    *,
    order_lines: Sequence[PricedOrderLine],
    discount: Decimal,
    shipping: Decimal,
    currency: str,
    selections: Sequence[Selection],
    terms: Terms,
    exchange: bool = False,
    store_credit: bool = False,
) -> Quote:
    by_id = {line.line_id: line for line in order_lines}
    paid = paid_per_line(order_lines, discount, currency)
    lines = []
    for chosen in selections:
        line = by_id[chosen.line_id]
        amount = units_amount(paid[line.line_id], line.quantity, line.already_returned, chosen.quantity, currency)
        lines.append(
            QuoteLine(
                line.line_id, chosen.quantity, amount, line.vat_rate, vat_included(amount, line.vat_rate, currency)
            )
        )

    seller_fault = any(chosen.seller_pays for chosen in selections)
    fee_waived = terms.free_returns or seller_fault or (exchange and terms.free_exchanges)
    restockable = sum((ql.amount for ql, chosen in zip(lines, selections, strict=True) if not chosen.seller_pays), ZERO)
    wanted = [
        (Charge.RETURN_FEE, ZERO if fee_waived else round_money(terms.return_fee, currency)),
        (Charge.RESTOCKING_FEE, round_money(restockable * terms.restocking_percent / 100, currency)),
    ]
    items_total = sum((ql.amount for ql in lines), ZERO)
    deductions, room = [], items_total
    for charge, amount in wanted:
        taken = min(amount, room)  # fees never take the total below zero
        if taken > 0:
            deductions.append((charge, taken))
            room -= taken

    chosen_units = {chosen.line_id: chosen.quantity for chosen in selections}
    whole_order = all(
        line.already_returned + chosen_units.get(line.line_id, 0) >= line.quantity for line in order_lines
    )
    bonus = round_money(room * terms.store_credit_bonus_percent / 100, currency) if store_credit else ZERO
    return Quote(
        currency=currency,
        lines=tuple(lines),
        deductions=tuple(deductions),
        shipping_refund=round_money(shipping, currency) if whole_order else round_money(ZERO, currency),
        store_credit_bonus=bonus,
    )
