"""The shop's orders, mirrored: products and variants, customers, orders and their lines."""

from __future__ import annotations

from decimal import Decimal

from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models.functions import Lower
from django.utils.translation import gettext_lazy as _

from returns_portal.core.money import MONEY_DIGITS, MONEY_PLACES, ZERO, Currency


class Language(models.TextChoices):
    EN = "en", "English"
    SV = "sv", "Svenska"
    FI = "fi", "Suomi"
    NB = "nb", "Norsk bokmål"
    DA = "da", "Dansk"


class PaymentMethod(models.TextChoices):
    CARD = "card", _("Card")
    INVOICE = "invoice", _("Invoice")
    SWISH = "swish", _("Swish")
    MOBILEPAY = "mobilepay", _("MobilePay")
    VIPPS = "vipps", _("Vipps")
    PAYPAL = "paypal", _("PayPal")
    BANK_TRANSFER = "bank_transfer", _("Bank transfer")


class PaymentProvider(models.TextChoices):
    """Who took the payment, so a refund goes back the same way (`refunds.providers`)."""

    KLARNA = "klarna", "Klarna"
    ADYEN = "adyen", "Adyen"
    STRIPE = "stripe", "Stripe"


def money_field(**kwargs: object) -> models.DecimalField:
    return models.DecimalField(max_digits=MONEY_DIGITS, decimal_places=MONEY_PLACES, **kwargs)  # type: ignore[arg-type]


class Category(models.Model):
    code = models.SlugField(max_length=64, unique=True)
    name = models.CharField(max_length=120)

    class Meta:
        verbose_name_plural = "categories"
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Product(models.Model):
    code = models.CharField(max_length=64, unique=True, help_text="The shop's product code; variants share it.")
    name = models.CharField(max_length=200)
    category = models.ForeignKey(Category, on_delete=models.PROTECT, related_name="products")
    returnable = models.BooleanField(default=True, help_text="Untick for final-sale items (hygiene, made to order).")

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class HelpGuide(models.Model):
    """Self-help shown before a defect claim ("have you tried charging it for an hour?")."""

    product = models.ForeignKey(Product, on_delete=models.CASCADE, related_name="help_guides")
    language = models.CharField(max_length=5, choices=Language.choices)
    title = models.CharField(max_length=200)
    body = models.TextField(help_text="Plain text; blank lines separate steps.")

    class Meta:
        constraints = [models.UniqueConstraint(fields=["product", "language"], name="one_guide_per_language")]

    def __str__(self) -> str:
        return self.title


class Variant(models.Model):
    product = models.ForeignKey(Product, on_delete=models.CASCADE, related_name="variants")
    sku = models.CharField("SKU", max_length=64, unique=True)
    option = models.CharField(max_length=120, blank=True, help_text="What sets it apart, e.g. 'M / Navy'.")
    stock = models.IntegerField(default=0)

    class Meta:
        ordering = ["product__name", "option", "sku"]

    def __str__(self) -> str:
        return f"{self.product.name} ({self.option})" if self.option else self.product.name


class ConsentSource(models.TextChoices):
    CHECKOUT = "checkout", _("Checkout")
    PORTAL = "portal", _("Returns portal")
    IMPORT = "import", _("Order import")
    STAFF = "staff", _("Staff")


class Customer(models.Model):
    email = models.EmailField(max_length=254)
    name = models.CharField(max_length=200)
    street = models.CharField(max_length=200, blank=True)
    postcode = models.CharField(max_length=16, blank=True)
    city = models.CharField(max_length=100, blank=True)
    country = models.CharField(max_length=2, help_text="ISO 3166 code, e.g. SE, FI, NO, DK.")
    language = models.CharField(max_length=5, choices=Language.choices, default=Language.EN)
    marketing_consent = models.BooleanField(default=False)
    consent_changed_at = models.DateTimeField(null=True, blank=True)
    consent_source = models.CharField(max_length=16, choices=ConsentSource.choices, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["email"]
        constraints = [models.UniqueConstraint(Lower("email"), name="customer_email_unique_ci")]

    def __str__(self) -> str:
        return f"{self.name} <{self.email}>"


class Order(models.Model):
    number = models.CharField(max_length=40, unique=True)
    customer = models.ForeignKey(Customer, on_delete=models.PROTECT, related_name="orders")
    placed_at = models.DateTimeField()
    delivered_at = models.DateTimeField(null=True, blank=True, help_text="Empty until the carrier delivers.")
    currency = models.CharField(max_length=3, choices=Currency.choices)
    language = models.CharField(max_length=5, choices=Language.choices, default=Language.EN)
    payment_method = models.CharField(max_length=16, choices=PaymentMethod.choices)
    payment_provider = models.CharField(
        max_length=16,
        choices=PaymentProvider.choices,
        blank=True,
        help_text="Who took the payment. Empty: refunds are paid by hand (bank transfer) or as store credit.",
    )
    payment_reference = models.CharField(
        max_length=80,
        blank=True,
        help_text="The provider's id of the payment: Klarna's order id, Adyen's PSP reference, "
        "Stripe's PaymentIntent id.",
    )
    shipping_amount = money_field(default=ZERO)
    discount_amount = money_field(default=ZERO, help_text="Order-level discount, shared over the lines by value.")
    # An exchange's replacement is an order the shop fulfils from the portal; orders from the shop leave these empty.
    replacement_for = models.OneToOneField(
        "returns.ReturnRequest",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="replacement_order",
        editable=False,
    )
    shipped_at = models.DateTimeField(null=True, blank=True, help_text="When the replacement left the warehouse.")
    shipment_tracking = models.CharField(max_length=40, blank=True, help_text="The replacement's tracking number.")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-placed_at"]
        indexes = [
            models.Index(fields=["customer", "placed_at"]),
            models.Index(fields=["-placed_at"], name="order_newest_first"),  # the admin's orders list
        ]
        constraints = [
            models.CheckConstraint(condition=models.Q(shipping_amount__gte=0), name="order_shipping_not_negative"),
            models.CheckConstraint(condition=models.Q(discount_amount__gte=0), name="order_discount_not_negative"),
            # A provider without its payment's id could not be asked for a refund, and an id alone names nobody.
            models.CheckConstraint(
                condition=models.Q(payment_provider="", payment_reference="")
                | (~models.Q(payment_provider="") & ~models.Q(payment_reference="")),
                name="order_payment_provider_with_reference",
            ),
        ]

    def __str__(self) -> str:
        return self.number


class OrderLine(models.Model):
    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="lines")
    variant = models.ForeignKey(Variant, on_delete=models.PROTECT, related_name="order_lines")
    quantity = models.PositiveIntegerField(validators=[MinValueValidator(1)])
    unit_price = money_field(help_text="Price paid per unit, VAT included, before the order discount.")
    vat_rate = models.DecimalField(
        max_digits=5, decimal_places=2, validators=[MinValueValidator(0), MaxValueValidator(100)], help_text="Percent."
    )

    class Meta:
        ordering = ["order", "id"]
        constraints = [
            models.UniqueConstraint(fields=["order", "variant"], name="orderline_one_per_variant"),
            models.CheckConstraint(condition=models.Q(quantity__gte=1), name="orderline_quantity_positive"),
            models.CheckConstraint(condition=models.Q(unit_price__gte=0), name="orderline_price_not_negative"),
            models.CheckConstraint(
                condition=models.Q(vat_rate__gte=0, vat_rate__lte=100), name="orderline_vat_rate_percent"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.quantity} x {self.variant.sku}"

    @property
    def line_total(self) -> Decimal:
        return self.unit_price * self.quantity
