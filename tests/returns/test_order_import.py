"""Order intake: `import_orders` for JSON and CSV, all or nothing, bad rows named by line."""

from __future__ import annotations

import contextlib
import json
import subprocess
import sys
from decimal import Decimal
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from returns.models import Customer, Order, OrderLine, Product
from returns.order_intake import IntakeRefused, orders_import
from returns.services import LineRequest, return_create

pytestmark = pytest.mark.django_db
DATA = Path(__file__).parent / "data"
ROOT = Path(__file__).resolve().parents[2]
CSV_HEADER = (
    "number,placed_at,delivered_at,currency,language,payment_method,shipping_amount,discount_amount,email,name,"
    "postcode,country,marketing_consent,sku,product,option,product_name,category,quantity,unit_price,vat_rate,returnable"
)


def order_json(**changes: object) -> dict:
    order = json.loads((DATA / "orders.json").read_text())[0]
    order.update(changes)
    return order


def import_file(tmp_path: Path, name: str, content: str) -> tuple[str, str]:
    path = tmp_path / name
    path.write_text(content, encoding="utf-8")
    from io import StringIO

    out, err = StringIO(), StringIO()
    with contextlib.suppress(CommandError):  # the messages are what the tests read
        call_command("import_orders", str(path), stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def test_json_file_is_imported_with_customers_products_and_variants(tmp_path: Path) -> None:
    out, err = import_file(tmp_path, "orders.json", (DATA / "orders.json").read_text())
    assert err == ""
    assert out.strip() == "orders.json: 2 orders (2 new, 0 updated), 3 lines"
    anna = Customer.objects.get(email="anna@example.se")
    assert (anna.country, anna.marketing_consent, anna.consent_source) == ("SE", True, "import")
    norwegian = Order.objects.get(number="T-1002")
    assert (norwegian.language, norwegian.delivered_at) == ("nb", None)
    assert Product.objects.get(code="TEE").variants.count() == 2
    assert Product.objects.get(code="SOAP").returnable is False


def test_importing_again_updates_and_never_duplicates(tmp_path: Path) -> None:
    orders_import(orders=[order_json()])
    result = orders_import(
        orders=[order_json(shipping_amount="0", lines=[{**order_json()["lines"][0], "quantity": 3}])]
    )
    assert (result.created, result.updated) == (0, 1)
    order = Order.objects.get(number="T-1001")
    assert order.shipping_amount == Decimal("0")
    assert list(order.lines.values_list("quantity", flat=True)) == [3]
    assert OrderLine.objects.count() == 1


def test_a_changed_consent_is_recorded_with_when_and_how() -> None:
    orders_import(orders=[order_json()])
    withdrawn = order_json(customer={**order_json()["customer"], "marketing_consent": False})
    orders_import(orders=[withdrawn])
    anna = Customer.objects.get(email="anna@example.se")
    assert anna.marketing_consent is False
    assert anna.consent_changed_at is not None


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"currency": "USD"}, "currency", '"USD" is not a valid choice.'),
        ({"language": "de"}, "language", "Use one of en, sv, fi, nb, da."),
        ({"placed_at": "yesterday"}, "placed_at", "Datetime has wrong format."),
        ({"delivered_at": "2026-11-01T10:00:00+01:00"}, "delivered_at", "cannot be delivered before it was placed"),
        ({"shipping_amount": "-1"}, "shipping_amount", "greater than or equal to 0"),
        ({"shipping_amount": "1.999"}, "shipping_amount", "no more than 2 decimal places"),
        ({"discount_amount": "999"}, "discount_amount", "cannot be larger than the items' total"),
        ({"lines": []}, "lines", "This list may not be empty."),
        ({"customer": {"email": "nope", "name": "X", "country": "SWE"}}, "customer.email", "valid email"),
    ],
)
def test_each_rule_names_the_field(changes: dict, field: str, message: str) -> None:
    with pytest.raises(IntakeRefused) as refusal:
        orders_import(orders=[order_json(**changes)])
    problems = dict(refusal.value.errors[0])
    assert field in problems, problems
    assert message in problems[field]


def test_line_rules_name_the_line() -> None:
    line = order_json()["lines"][0]
    with pytest.raises(IntakeRefused) as refusal:
        orders_import(orders=[order_json(lines=[line | {"quantity": 0}, line | {"sku": "X", "vat_rate": "101"}])])
    problems = dict(refusal.value.errors[0])
    assert "greater than or equal to 1" in problems["lines[0].quantity"]
    assert "less than or equal to 100" in problems["lines[1].vat_rate"]
    with pytest.raises(IntakeRefused) as twice:
        orders_import(orders=[order_json(lines=[line, line])])
    assert "repeated: TEE-M" in dict(twice.value.errors[0])["lines"]


def test_one_bad_order_in_a_json_file_imports_nothing_and_names_its_line(tmp_path: Path) -> None:
    orders = json.loads((DATA / "orders.json").read_text())
    orders[1]["currency"] = "GBP"
    text = json.dumps(orders, indent=2)
    _out, err = import_file(tmp_path, "bad.json", text)
    second_order_line = [number for number, line in enumerate(text.splitlines(), start=1) if line == "  {"][1]
    assert f"bad.json:{second_order_line}: currency: " in err
    assert "nothing imported (1 bad order(s))" in err
    assert Order.objects.count() == 0


def test_csv_rows_are_grouped_into_orders_and_bad_rows_named_by_line(tmp_path: Path) -> None:
    good = (
        f"{CSV_HEADER}\n"
        "C-1,2026-11-10T10:00:00+01:00,,DKK,da,mobilepay,39,0,lars@example.dk,Lars,8000,DK,false,MUG,,,Mug,Kitchen,1,99,25,true\n"
        "C-1,2026-11-10T10:00:00+01:00,,DKK,da,mobilepay,39,0,lars@example.dk,Lars,8000,DK,false,CUP,,,Cup,Kitchen,2,49,25,\n"
    )
    out, err = import_file(tmp_path, "orders.csv", good)
    assert (err, out.strip()) == ("", "orders.csv: 1 orders (1 new, 0 updated), 2 lines")
    bad = good + (
        'C-2,2026-11-10T10:00:00+01:00,,DKK,da,mobilepay,39,0,"eva@example.dk",Eva,2100,DK,false,MUG,,,"Mug\n'
        'large",Kitchen,0,99,25,true\n'
    )
    _out, err = import_file(tmp_path, "bad.csv", bad)
    assert "bad.csv:4: lines[0].quantity: Ensure this value is greater than or equal to 1." in err
    assert Order.objects.filter(number="C-2").count() == 0


def test_csv_rows_of_one_order_must_agree(tmp_path: Path) -> None:
    rows = (
        f"{CSV_HEADER}\n"
        "C-1,2026-11-10T10:00:00+01:00,,DKK,da,card,39,0,lars@example.dk,Lars,8000,DK,false,MUG,,,Mug,Kitchen,1,99,25,true\n"
        "C-1,2026-11-10T10:00:00+01:00,,EUR,da,card,39,0,lars@example.dk,Lars,8000,DK,false,CUP,,,Cup,Kitchen,1,9,25,true\n"
    )
    _out, err = import_file(tmp_path, "mixed.csv", rows)
    assert "line 3: order C-1 has other order or customer details than on line 2" in err
    assert Order.objects.count() == 0


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("broken.json", '[{"number": "A"', "not valid JSON"),
        ("columns.csv", "number,email\nA,b@c.d\n", "missing column(s): category, country"),
        ("orders.txt", "hello", "use a .json or .csv file"),
    ],
)
def test_unreadable_files_get_one_clear_line(tmp_path: Path, name: str, content: str, message: str) -> None:
    _out, err = import_file(tmp_path, name, content)
    assert message in err


def test_removing_a_line_that_a_return_refers_to_fails_and_changes_nothing() -> None:
    orders_import(orders=[order_json()])
    order = Order.objects.get(number="T-1001")
    return_create(
        order=order, lines=[LineRequest(order.lines.get().id, 1, "too_big")], resolution="refund", method="label"
    )
    other = {**order_json()["lines"][0], "sku": "TEE-S", "option": "S"}
    with pytest.raises(IntakeRefused) as refusal:
        orders_import(orders=[order_json(shipping_amount="0", lines=[other])])
    assert "cannot be removed" in dict(refusal.value.errors[0])["lines"]
    order.refresh_from_db()
    assert order.shipping_amount == Decimal("49.00")
    assert order.lines.get().variant.sku == "TEE-M"


def test_the_command_exits_non_zero_without_a_traceback(tmp_path: Path) -> None:
    path = tmp_path / "bad.json"
    path.write_text(json.dumps([order_json(currency="XXX")]))
    result = subprocess.run(
        [sys.executable, "manage.py", "import_orders", str(path)], cwd=ROOT, capture_output=True, text=True, timeout=60
    )
    assert result.returncode != 0
    assert "Traceback" not in result.stderr
    assert "bad.json:1: currency:" in result.stderr


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"payment_provider": "klarna"}, "payment_reference", "Give the Klarna payment's id with its provider."),
        ({"payment_provider": "adyen", "payment_reference": "  "}, "payment_reference", "Give the Adyen payment's id"),
        ({"payment_reference": "pi_3MtwBw"}, "payment_provider", "Say which provider (klarna, adyen, stripe)"),
        (
            {"payment_provider": "paypal", "payment_reference": "X"},
            "payment_provider",
            '"paypal" is not a valid choice.',
        ),
        ({"payment_provider": "stripe", "payment_reference": "pi_" + "x" * 80}, "payment_reference", "no more than 80"),
    ],
)
def test_the_payment_provider_comes_with_its_reference_or_not_at_all(changes: dict, field: str, message: str) -> None:
    with pytest.raises(IntakeRefused) as refusal:
        orders_import(orders=[order_json(), order_json(number="T-1002", **changes)])
    problems = dict(refusal.value.errors[1])
    assert message in problems[field], problems
    assert not Order.objects.exists()  # one bad order: nothing saved


def test_an_order_paid_through_a_provider_keeps_it_and_without_one_keeps_todays_behaviour() -> None:
    orders_import(orders=[order_json(payment_provider="klarna", payment_reference=" 0b1d9815-165e "), order_json(
        number="T-1002")])  # fmt: skip
    klarna, plain = Order.objects.get(number="T-1001"), Order.objects.get(number="T-1002")
    assert (klarna.payment_provider, klarna.payment_reference) == ("klarna", "0b1d9815-165e")
    assert (plain.payment_provider, plain.payment_reference) == ("", "")


def test_the_api_takes_and_shows_the_payment_provider_and_answers_bad_input_with_400() -> None:
    from io import StringIO

    from rest_framework.test import APIClient

    output = StringIO()
    call_command("api_token", "test-shop", role="shop", stdout=output)
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Token {output.getvalue().split(': ', 1)[1].split()[0]}")
    bad = api.post("/api/v1/orders/", order_json(payment_provider="stripe"), format="json")
    assert bad.status_code == 400
    assert bad.json() == {"errors": {"0": {"payment_reference": ["Give the Stripe payment's id with its provider."]}}}
    good = api.post(
        "/api/v1/orders/", order_json(payment_provider="stripe", payment_reference="pi_3Mtw"), format="json"
    )
    assert good.status_code == 201
    shown = api.get("/api/v1/orders/T-1001/").json()
    assert (shown["payment_provider"], shown["payment_reference"]) == ("stripe", "pi_3Mtw")
