"""What the customer gets back: examples and properties, no database."""

from __future__ import annotations

from decimal import Decimal

from hypothesis import given
from hypothesis import strategies as st

from returns.pricing import Charge, PricedOrderLine, Selection, Terms, paid_per_line, quote, units_amount

TERMS = Terms(
    return_fee=Decimal("49"),
    restocking_percent=Decimal("0"),
    free_returns=False,
    free_exchanges=True,
    store_credit_bonus_percent=Decimal("10"),
)
JACKET = PricedOrderLine(1, 1, Decimal("1899.00"), Decimal("25"))
SOCKS = PricedOrderLine(2, 3, Decimal("100.00"), Decimal("25"))


def test_refund_is_what_was_paid_minus_the_return_fee_on_its_own_line() -> None:
    result = quote(
        order_lines=[JACKET, SOCKS],
        discount=Decimal("0"),
        shipping=Decimal("49"),
        currency="SEK",
        selections=[Selection(1, 1)],
        terms=TERMS,
    )
    assert result.items_total == Decimal("1899.00")
    assert result.deductions == ((Charge.RETURN_FEE, Decimal("49.00")),)
    assert result.total == Decimal("1850.00")
    assert result.lines[0].vat_amount == Decimal("379.80")


def test_order_discount_is_shared_by_value_and_shipping_comes_back_with_the_whole_order() -> None:
    result = quote(
        order_lines=[JACKET, SOCKS],
        discount=Decimal("219.90"),
        shipping=Decimal("49"),
        currency="SEK",
        selections=[Selection(1, 1), Selection(2, 3)],
        terms=TERMS,
    )
    assert [line.amount for line in result.lines] == [Decimal("1709.10"), Decimal("270.00")]
    assert result.shipping_refund == Decimal("49.00")
    assert result.total == Decimal("1979.10")  # 2199 - 219.90 discount - 49 fee + 49 shipping


def test_seller_pays_means_no_fees_at_all() -> None:
    terms = Terms(Decimal("49"), Decimal("10"), False, True, Decimal("0"))
    result = quote(
        order_lines=[JACKET],
        discount=Decimal("0"),
        shipping=Decimal("0"),
        currency="SEK",
        selections=[Selection(1, 1, seller_pays=True)],
        terms=terms,
    )
    assert result.deductions == ()
    assert result.total == Decimal("1899.00")


def test_store_credit_adds_the_bonus_after_fees_and_exchanges_are_free() -> None:
    credit = quote(
        order_lines=[JACKET],
        discount=Decimal("0"),
        shipping=Decimal("0"),
        currency="SEK",
        selections=[Selection(1, 1)],
        terms=TERMS,
        store_credit=True,
    )
    assert credit.store_credit_bonus == Decimal("185.00")
    exchange = quote(
        order_lines=[JACKET],
        discount=Decimal("0"),
        shipping=Decimal("0"),
        currency="SEK",
        selections=[Selection(1, 1)],
        terms=TERMS,
        exchange=True,
    )
    assert exchange.deductions == ()


def test_fees_never_make_the_refund_negative() -> None:
    cheap = PricedOrderLine(1, 1, Decimal("30.00"), Decimal("25"))
    result = quote(
        order_lines=[cheap],
        discount=Decimal("0"),
        shipping=Decimal("0"),
        currency="SEK",
        selections=[Selection(1, 1)],
        terms=TERMS,
    )
    assert result.deductions == ((Charge.RETURN_FEE, Decimal("30.00")),)
    assert result.total == Decimal("0.00")


money = st.decimals(min_value=0, max_value=20000, places=2)


@given(
    lines=st.lists(
        st.tuples(st.integers(1, 9), money, st.sampled_from(["0", "6", "12", "14", "25", "25.5"])),
        min_size=1,
        max_size=6,
    ),
    discount_share=st.floats(0, 1),
    currency=st.sampled_from(["SEK", "EUR", "NOK", "DKK"]),
)
def test_the_lines_paid_amounts_add_up_to_what_the_order_cost(lines, discount_share, currency) -> None:
    priced = [PricedOrderLine(i, qty, price, Decimal(vat)) for i, (qty, price, vat) in enumerate(lines)]
    items = sum((line.unit_price * line.quantity for line in priced), Decimal(0))
    discount = (items * Decimal(str(discount_share))).quantize(Decimal("0.01"))
    paid = paid_per_line(priced, discount, currency)
    assert sum(paid.values(), Decimal(0)) == items - discount
    assert all(amount >= 0 for amount in paid.values())


@given(paid=money, bought=st.integers(1, 12), data=st.data())
def test_returning_a_line_in_parts_never_loses_or_invents_a_cent(
    paid: Decimal, bought: int, data: st.DataObject
) -> None:
    parts, already = [], 0
    while already < bought:
        quantity = data.draw(st.integers(1, bought - already))
        parts.append(units_amount(paid, bought, already, quantity, "EUR"))
        already += quantity
    assert sum(parts, Decimal(0)) == paid
    assert all(part >= 0 for part in parts)


@given(
    price=money,
    quantity=st.integers(1, 5),
    fee=money,
    restocking=st.decimals(min_value=0, max_value=50, places=2),
    seller_pays=st.booleans(),
    store_credit=st.booleans(),
)
def test_a_quote_is_never_negative_and_never_more_than_paid_plus_shipping_and_bonus(
    price: Decimal, quantity: int, fee: Decimal, restocking: Decimal, seller_pays: bool, store_credit: bool
) -> None:
    terms = Terms(fee, restocking, False, True, Decimal("10"))
    line = PricedOrderLine(1, quantity, price, Decimal("25"))
    result = quote(
        order_lines=[line],
        discount=Decimal("0"),
        shipping=Decimal("0"),
        currency="NOK",
        selections=[Selection(1, quantity, seller_pays)],
        terms=terms,
        store_credit=store_credit,
    )
    assert Decimal(0) <= result.total <= result.items_total + result.store_credit_bonus
    assert result.items_total == price * quantity
