"""Order intake: one shape, one validation, one upsert, for `import_orders` and the REST API.

Validation is a DRF serializer so the API answers with the same field errors
the command prints. `orders_import` checks every order before it writes any,
then upserts them all in one transaction: a file (or a request) lands whole or
not at all.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.db.models import ProtectedError
from django.db.models.functions import Lower
from django.utils import timezone
from django.utils.text import slugify
from rest_framework import serializers

from returns import rollups
from returns.models import (
    Category,
    ConsentSource,
    Customer,
    Language,
    Order,
    OrderLine,
    PaymentMethod,
    PaymentProvider,
    Product,
    Variant,
)
from returns_portal.core.money import Currency

LANGUAGE_ALIASES = {"no": "nb", "nn": "nb"}


def money(**kwargs: Any) -> serializers.DecimalField:
    return serializers.DecimalField(max_digits=12, decimal_places=2, min_value=Decimal("0"), **kwargs)


class CustomerIn(serializers.Serializer[dict[str, Any]]):
    email = serializers.EmailField(max_length=254)
    name = serializers.CharField(max_length=200)
    street = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")
    postcode = serializers.CharField(max_length=16, required=False, allow_blank=True, default="")
    city = serializers.CharField(max_length=100, required=False, allow_blank=True, default="")
    country = serializers.RegexField(r"^[A-Za-z]{2}$", error_messages={"invalid": "Use a two-letter country code."})
    marketing_consent = serializers.BooleanField(required=False, default=False)

    def validate_email(self, value: str) -> str:
        return value.strip().lower()

    def validate_country(self, value: str) -> str:
        return value.upper()


class LineIn(serializers.Serializer[dict[str, Any]]):
    sku = serializers.CharField(max_length=64)
    product = serializers.CharField(max_length=64, required=False, allow_blank=True, default="")
    option = serializers.CharField(max_length=120, required=False, allow_blank=True, default="")
    name = serializers.CharField(max_length=200)
    category = serializers.CharField(max_length=120)
    quantity = serializers.IntegerField(min_value=1, max_value=100000)
    unit_price = money()
    vat_rate = serializers.DecimalField(
        max_digits=5, decimal_places=2, min_value=Decimal("0"), max_value=Decimal("100")
    )
    returnable = serializers.BooleanField(required=False, default=True)

    def validate_category(self, value: str) -> str:
        if not slugify(value):
            raise serializers.ValidationError("Give the category a name with letters or digits.")
        return value.strip()


class OrderIn(serializers.Serializer[dict[str, Any]]):
    number = serializers.CharField(max_length=40)
    placed_at = serializers.DateTimeField()
    delivered_at = serializers.DateTimeField(required=False, allow_null=True, default=None)
    currency = serializers.ChoiceField(choices=Currency.values)
    language = serializers.CharField(max_length=5)
    payment_method = serializers.ChoiceField(choices=PaymentMethod.values)
    payment_provider = serializers.ChoiceField(
        choices=PaymentProvider.values,
        required=False,
        allow_blank=True,
        default="",
        help_text="Who took the payment: refunds to it go back through this provider. Empty: paid by hand.",
    )
    payment_reference = serializers.CharField(
        max_length=80,
        required=False,
        allow_blank=True,
        default="",
        help_text="The provider's id of the payment: Klarna's order id, Adyen's PSP reference, Stripe's "
        "PaymentIntent id. Given with payment_provider, or not at all.",
    )
    shipping_amount = money(required=False, default=Decimal("0"))
    discount_amount = money(required=False, default=Decimal("0"))
    customer = CustomerIn()
    lines = LineIn(many=True, allow_empty=False)

    def validate_number(self, value: str) -> str:
        return value.strip()

    def validate_language(self, value: str) -> str:
        language = LANGUAGE_ALIASES.get(value.strip().lower(), value.strip().lower())
        if language not in Language.values:
            raise serializers.ValidationError(f"Use one of {', '.join(Language.values)}.")
        return language

    def validate(self, data: dict[str, Any]) -> dict[str, Any]:
        errors: dict[str, str] = {}
        delivered = data.get("delivered_at")
        if delivered and delivered < data["placed_at"]:
            errors["delivered_at"] = "The order cannot be delivered before it was placed."
        skus = Counter(line["sku"] for line in data["lines"])
        if repeated := sorted(sku for sku, count in skus.items() if count > 1):
            errors["lines"] = f"Each SKU may appear once per order; repeated: {', '.join(repeated)}."
        items = sum((line["unit_price"] * line["quantity"] for line in data["lines"]), Decimal("0"))
        if data["discount_amount"] > items:
            errors["discount_amount"] = "The discount cannot be larger than the items' total."
        errors.update(_payment_errors(data))
        if errors:
            raise serializers.ValidationError(errors)
        return data


def _payment_errors(data: dict[str, Any]) -> dict[str, str]:
    """The payment's provider and its reference come together: one without the other cannot be refunded."""
    data["payment_reference"] = data.get("payment_reference", "").strip()
    provider, reference = data.get("payment_provider", ""), data["payment_reference"]
    if provider and not reference:
        return {"payment_reference": f"Give the {PaymentProvider(provider).label} payment's id with its provider."}
    if reference and not provider:
        return {"payment_provider": f"Say which provider ({', '.join(PaymentProvider.values)}) the reference is from."}
    return {}


class IntakeRefused(Exception):
    """Some orders are invalid; nothing was written. `errors` maps an order's index to its field errors."""

    def __init__(self, errors: dict[int, list[tuple[str, str]]]) -> None:
        self.errors = errors
        super().__init__(f"{len(errors)} invalid order(s)")


@dataclass
class IntakeResult:
    created: int = 0
    updated: int = 0
    lines: int = 0
    numbers: list[str] = field(default_factory=list)

    def __str__(self) -> str:
        return f"{self.created + self.updated} orders ({self.created} new, {self.updated} updated), {self.lines} lines"


def flatten(errors: Any, path: str = "") -> list[tuple[str, str]]:
    """DRF's nested errors as (field path, message) pairs, e.g. ("lines[0].quantity", "...")."""
    if isinstance(errors, dict):  # a many=True field reports {index: errors}
        return [
            pair
            for key, value in errors.items()
            for pair in flatten(value, f"{path}[{key}]" if isinstance(key, int) else _join(path, key))
        ]
    if isinstance(errors, list) and errors and not isinstance(errors[0], str | serializers.ErrorDetail):
        return [pair for index, value in enumerate(errors) for pair in flatten(value, f"{path}[{index}]") if value]
    return [(path or "order", str(message)) for message in errors]


def _join(path: str, key: str) -> str:
    if key == "non_field_errors":
        return path
    return f"{path}.{key}" if path else key


def validate_orders(orders: list[Any]) -> list[dict[str, Any]]:
    """Every order validated, or IntakeRefused with every problem of every order."""
    errors: dict[int, list[tuple[str, str]]] = {}
    valid: list[dict[str, Any]] = []
    numbers: Counter[str] = Counter()
    for index, payload in enumerate(orders):
        serializer = OrderIn(data=payload)
        if not isinstance(payload, dict):
            errors[index] = [("order", "Each order must be a JSON object.")]
        elif not serializer.is_valid():
            errors[index] = flatten(serializer.errors)
        else:
            valid.append(serializer.validated_data)
            numbers[serializer.validated_data["number"]] += 1
            if numbers[serializer.validated_data["number"]] > 1:
                errors[index] = [("number", "This order number appears twice in the same import.")]
    if errors:
        raise IntakeRefused(errors)
    return valid


def orders_import(*, orders: list[Any], now: dt.datetime | None = None) -> IntakeResult:
    """Validate all, then upsert all by order number in one transaction; IntakeRefused writes nothing."""
    valid = validate_orders(orders)
    now = now or timezone.now()
    result = IntakeResult()
    with transaction.atomic():
        customers = _upsert_customers([order["customer"] for order in valid], now)
        variants = _upsert_catalogue([line for order in valid for line in order["lines"]])
        existing = Order.objects.in_bulk([order["number"] for order in valid], field_name="number")
        counted = rollups.orders_tally(order_ids=[order.pk for order in existing.values()])
        saved: list[int] = []
        refused: dict[int, list[tuple[str, str]]] = {}
        for index, data in enumerate(valid):
            order = existing.get(data["number"])
            result.created += order is None
            result.updated += order is not None
            order = _save_order(order, data, customers[data["customer"]["email"]])
            try:
                result.lines += _replace_lines(order, data["lines"], variants)
            except ProtectedError:
                refused[index] = [("lines", "A line that a return refers to cannot be removed from the order.")]
            result.numbers.append(order.number)
            saved.append(order.pk)
        if refused:
            transaction.set_rollback(True)
            raise IntakeRefused(refused)
        rollups.orders_recount(before=counted, order_ids=saved)
    return result


def _upsert_customers(payloads: list[dict[str, Any]], now: dt.datetime) -> dict[str, Customer]:
    latest = {payload["email"]: payload for payload in payloads}  # the last order's details win
    matching = Customer.objects.annotate(email_lower=Lower("email")).filter(email_lower__in=latest)
    found: dict[str, Customer] = {customer.email.lower(): customer for customer in matching}
    for email, payload in latest.items():
        customer = found.get(email) or Customer(email=email)
        consent_changed = (customer.pk is None and payload["marketing_consent"]) or (
            customer.pk is not None and customer.marketing_consent != payload["marketing_consent"]
        )
        for name in ("name", "street", "postcode", "city", "country", "marketing_consent"):
            setattr(customer, name, payload[name])
        if consent_changed:
            customer.consent_changed_at, customer.consent_source = now, ConsentSource.IMPORT
        customer.save()
        found[email] = customer
    return found


def _upsert_catalogue(lines: list[dict[str, Any]]) -> dict[str, Variant]:
    categories: dict[str, Category] = {}
    for line in lines:
        code = slugify(line["category"])
        if code not in categories:
            categories[code], _created = Category.objects.get_or_create(code=code, defaults={"name": line["category"]})
    products: dict[str, Product] = {}
    variants: dict[str, Variant] = {}
    for line in lines:
        code = line["product"] or line["sku"]
        if code not in products:
            products[code], _created = Product.objects.update_or_create(
                code=code,
                defaults={
                    "name": line["name"],
                    "category": categories[slugify(line["category"])],
                    "returnable": line["returnable"],
                },
            )
        variants[line["sku"]], _created = Variant.objects.update_or_create(
            sku=line["sku"], defaults={"product": products[code], "option": line["option"]}
        )
    return variants


def _save_order(order: Order | None, data: dict[str, Any], customer: Customer) -> Order:
    order = order or Order(number=data["number"])
    order.customer = customer
    for name in ("placed_at", "delivered_at", "currency", "language", "payment_method", "payment_provider",
                 "payment_reference"):  # fmt: skip
        setattr(order, name, data[name])
    order.shipping_amount, order.discount_amount = data["shipping_amount"], data["discount_amount"]
    order.save()
    return order


def _replace_lines(order: Order, lines: list[dict[str, Any]], variants: dict[str, Variant]) -> int:
    """Make the order's lines match the payload: update by variant, add new ones, delete the rest."""
    current = {line.variant_id: line for line in order.lines.all()}
    wanted = {variants[line["sku"]].pk: line for line in lines}
    order.lines.filter(variant_id__in=set(current) - set(wanted)).delete()  # ProtectedError if a return refers to one
    for variant_id, line in wanted.items():
        row = current.get(variant_id) or OrderLine(order=order, variant_id=variant_id)
        row.quantity, row.unit_price, row.vat_rate = line["quantity"], line["unit_price"], line["vat_rate"]
        row.save()
    return len(wanted)
