"""`manage.py import_orders FILE...`: orders from the shop, as JSON or CSV, each file all or nothing."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from returns.order_intake import IntakeRefused, orders_import

ORDER_COLUMNS = [
    "number", "placed_at", "delivered_at", "currency", "language", "payment_method", "payment_provider",
    "payment_reference", "shipping_amount", "discount_amount",
]  # fmt: skip
CUSTOMER_COLUMNS = ["email", "name", "street", "postcode", "city", "country", "marketing_consent"]
LINE_COLUMNS = [
    "sku",
    "product",
    "option",
    "product_name",
    "category",
    "quantity",
    "unit_price",
    "vat_rate",
    "returnable",
]
REQUIRED_COLUMNS = {"number", "placed_at", "currency", "language", "payment_method", "email", "name", "country",
                    "sku", "product_name", "category", "quantity", "unit_price", "vat_rate"}  # fmt: skip
OPTIONAL_BLANK_IS_MISSING = {"delivered_at", "shipping_amount", "discount_amount", "marketing_consent", "returnable"}


class Command(BaseCommand):
    help = "Import orders from JSON (a list of orders) or CSV (one row per order line). Upserts by order number."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("files", nargs="+", type=Path)

    def handle(self, *args: Any, files: list[Path], **options: Any) -> None:
        failed = False
        for path in files:
            try:
                orders, lines = read_orders(path)
                result = orders_import(orders=orders)
            except IntakeRefused as refusal:
                failed = True
                for index, problems in sorted(refusal.errors.items()):
                    for field, message in problems:
                        self.stderr.write(f"{path.name}:{lines[index]}: {field}: {message}")
                self.stderr.write(f"{path.name}: nothing imported ({len(refusal.errors)} bad order(s)).")
            except FileProblem as problem:
                failed = True
                self.stderr.write(f"{path.name}: {problem}")
            else:
                self.stdout.write(f"{path.name}: {result}")
        if failed:
            raise CommandError("Some files were not imported; see above.")


class FileProblem(Exception):
    pass


def read_orders(path: Path) -> tuple[list[Any], list[int]]:
    """The orders in the file and, for each, the line where it starts."""
    try:
        text = path.read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        raise FileProblem("no such file") from None
    except UnicodeDecodeError:
        raise FileProblem("is not UTF-8 text") from None
    except OSError as error:
        raise FileProblem(error.strerror or "cannot be read") from None
    if path.suffix.lower() == ".csv":
        return read_csv(text)
    if path.suffix.lower() == ".json":
        return read_json(text)
    raise FileProblem("use a .json or .csv file")


def read_json(text: str) -> tuple[list[Any], list[int]]:
    """Walk the array one value at a time, so each order's starting line is known."""
    decoder = json.JSONDecoder()
    position = _skip_space(text, 0)
    try:
        if text[position : position + 1] != "[":
            value, _end = decoder.raw_decode(text, position)
            return [value], [_line_of(text, position)]
        orders, lines = [], []
        position = _skip_space(text, position + 1)
        while text[position : position + 1] != "]":
            value, end = decoder.raw_decode(text, position)
            orders.append(value)
            lines.append(_line_of(text, position))
            position = _skip_space(text, end)
            if text[position : position + 1] == ",":
                position = _skip_space(text, position + 1)
            elif text[position : position + 1] != "]":
                raise json.JSONDecodeError("Expecting ',' or ']'", text, position)
    except json.JSONDecodeError as error:
        raise FileProblem(f"line {error.lineno}: not valid JSON ({error.msg})") from None
    return orders, lines


def _skip_space(text: str, position: int) -> int:
    while position < len(text) and text[position].isspace():
        position += 1
    return position


def _line_of(text: str, position: int) -> int:
    return text.count("\n", 0, position) + 1


def read_csv(text: str) -> tuple[list[Any], list[int]]:
    """Rows grouped into orders of the JSON shape; order columns must agree on every row of an order."""
    reader = csv.DictReader(io.StringIO(text, newline=""))
    missing = REQUIRED_COLUMNS - set(reader.fieldnames or [])
    if missing:
        raise FileProblem(f"missing column(s): {', '.join(sorted(missing))}")
    orders: dict[str, dict[str, Any]] = {}
    lines: dict[str, int] = {}
    conflicts: list[str] = []
    start = 2
    for row in reader:
        row_line, start = start, reader.line_num + 1
        values = {key: (value or "").strip() for key, value in row.items() if key}
        order = _csv_order(values)
        number = order["number"]
        if number not in orders:
            orders[number], lines[number] = order, row_line
        elif {k: v for k, v in orders[number].items() if k != "lines"} != {
            k: v for k, v in order.items() if k != "lines"
        }:
            conflicts.append(
                f"line {row_line}: order {number} has other order or customer details than on line {lines[number]}"
            )
        orders[number]["lines"].append(_csv_line(values))
    if conflicts:
        raise FileProblem("; ".join(conflicts))
    return list(orders.values()), list(lines.values())


def _present(values: dict[str, str], names: list[str]) -> dict[str, str]:
    return {name: values[name] for name in names if values.get(name) or name not in OPTIONAL_BLANK_IS_MISSING}


def _csv_order(values: dict[str, str]) -> dict[str, Any]:
    order: dict[str, Any] = _present(values, [column for column in ORDER_COLUMNS if column in values])
    order["customer"] = _present(values, [column for column in CUSTOMER_COLUMNS if column in values])
    order["lines"] = []
    return order


def _csv_line(values: dict[str, str]) -> dict[str, Any]:
    line = _present(values, [column for column in LINE_COLUMNS if column in values])
    line["name"] = line.pop("product_name", "")
    return line
