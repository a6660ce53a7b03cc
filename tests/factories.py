"""factory_boy factories for the returns domain."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import factory
from django.db import connection
from django.utils import timezone

from returns import models, rollups
from returns.models import ReturnRequest
from returns.services import return_book_carrier


class CategoryFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = models.Category
        django_get_or_create = ("code",)

    code = factory.Sequence(lambda n: f"category-{n}")
    name = factory.LazyAttribute(lambda o: o.code.replace("-", " ").title())


class ProductFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = models.Product

    code = factory.Sequence(lambda n: f"P{n:05d}")
    name = factory.Sequence(lambda n: f"Product {n}")
    category = factory.SubFactory(CategoryFactory)
    returnable = True


class VariantFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = models.Variant

    product = factory.SubFactory(ProductFactory)
    sku = factory.Sequence(lambda n: f"SKU-{n:06d}")
    option = "M"
    stock = 10


class CustomerFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = models.Customer

    email = factory.Sequence(lambda n: f"customer{n}@example.com")
    name = factory.Sequence(lambda n: f"Customer {n}")
    street = "Sveavägen 44"
    postcode = "11122"
    city = "Stockholm"
    country = "SE"
    language = "sv"


class OrderFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = models.Order

    number = factory.Sequence(lambda n: f"{100000 + n}")
    customer = factory.SubFactory(CustomerFactory)
    placed_at = factory.LazyFunction(lambda: timezone.now() - dt.timedelta(days=5))
    delivered_at = factory.LazyFunction(lambda: timezone.now() - dt.timedelta(days=3))
    currency = "SEK"
    language = "sv"
    payment_method = "card"
    shipping_amount = Decimal("49.00")


class OrderLineFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = models.OrderLine

    order = factory.SubFactory(OrderFactory)
    variant = factory.SubFactory(VariantFactory)
    quantity = 1
    unit_price = Decimal("499.00")
    vat_rate = Decimal("25.00")

    @classmethod
    def _create(cls, model_class: type[models.OrderLine], *args: object, **kwargs: object) -> models.OrderLine:
        """Counted in the insight's rollups, as order intake counts the lines it writes."""
        order_id = kwargs["order"].pk  # type: ignore[attr-defined]
        counted = rollups.orders_tally(order_ids=[order_id])
        line = super()._create(model_class, *args, **kwargs)
        rollups.orders_recount(before=counted, order_ids=[order_id])
        return line


def carrier_booked(return_request: ReturnRequest) -> ReturnRequest:
    """What the commit of `return_create` does first: book the carrier. A test that runs inside a
    transaction never commits, so it books here, as the web's commit would."""
    if not connection.in_atomic_block:
        return return_request  # committed: return_create has booked it already
    return return_book_carrier(return_request=return_request)
