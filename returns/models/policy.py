"""The merchant's return policy and the coded return reasons, both edited in the admin."""

from __future__ import annotations

from decimal import Decimal

from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils import translation
from django.utils.translation import gettext_lazy as _

from returns.models.catalog import Category, Product, money_field
from returns.policy import ExtensionRule
from returns_portal.core.money import ZERO, Currency

CURRENT_POLICY_KEY = "returns:current-policy"
POLICY_CACHE_SECONDS = 300  # changes are forgotten at once; this only bounds edits made behind Django's back


def forget_current_policy(**kwargs: object) -> None:
    """Signal receiver: any change to the policy or its parts makes the next request reload it."""
    from returns.cached_pages import forget_policy_pages

    cache.delete(CURRENT_POLICY_KEY)
    forget_policy_pages()


EU_WITHDRAWAL_DAYS = 14  # Directive 2011/83/EU, art. 9 and 13: the floor for the window and the refund deadline.


class ReturnMethod(models.TextChoices):
    LABEL = "label", _("Printable label")
    QR_DROPOFF = "qr", _("QR code at a drop-off point")
    PICKUP = "pickup", _("Home pickup")
    STORE = "store", _("Return in a store")


# The customer hands the parcel to a carrier under our label (printed, or a QR code the parcel shop
# turns into one): the carrier is booked and a tracking number issued for these methods only.
LABELLED_METHODS = frozenset({ReturnMethod.LABEL, ReturnMethod.QR_DROPOFF})


class Resolution(models.TextChoices):
    REFUND = "refund", _("Refund to the original payment")
    STORE_CREDIT = "store_credit", _("Store credit")
    EXCHANGE = "exchange", _("Exchange for another size or colour")
    REPAIR = "repair", _("Repair or replacement")


# What the customer chose decides whether money is spoken of (and paid) at all.
MONEY_RESOLUTIONS = frozenset({Resolution.REFUND, Resolution.STORE_CREDIT})


class ReturnPolicy(models.Model):
    """One policy is active at a time; the portal reads it on every request."""

    name = models.CharField(max_length=120, default="Standard policy")
    is_active = models.BooleanField(default=True)
    window_days = models.PositiveSmallIntegerField(
        default=30,
        validators=[MinValueValidator(EU_WITHDRAWAL_DAYS)],
        help_text="Days after delivery a customer may start a return (EU law: at least 14).",
    )
    send_within_days = models.PositiveSmallIntegerField(
        default=14, validators=[MinValueValidator(1)], help_text="Days to send an approved return before it expires."
    )
    refund_within_days = models.PositiveSmallIntegerField(
        default=EU_WITHDRAWAL_DAYS,
        validators=[MinValueValidator(1), MaxValueValidator(EU_WITHDRAWAL_DAYS)],
        help_text="Refund promise, in days after the return request (EU law: at most 14).",
    )
    non_returnable_categories = models.ManyToManyField(Category, blank=True, related_name="+")
    non_returnable_products = models.ManyToManyField(Product, blank=True, related_name="+")
    restocking_fee_percent = models.DecimalField(
        max_digits=5, decimal_places=2, default=ZERO, validators=[MinValueValidator(0), MaxValueValidator(50)]
    )
    free_returns = models.BooleanField(default=False, help_text="No return fee for any return.")
    free_exchanges = models.BooleanField(default=True, help_text="No return fee when the customer exchanges.")
    store_credit_bonus_percent = models.DecimalField(
        max_digits=5,
        decimal_places=2,
        default=Decimal("10"),
        validators=[MinValueValidator(0), MaxValueValidator(100)],
        help_text="Extra value for choosing store credit over a refund.",
    )
    store_credit_valid_days = models.PositiveSmallIntegerField(
        default=365, validators=[MinValueValidator(30)], help_text="How long a store credit code can be used."
    )
    abuse_period_days = models.PositiveSmallIntegerField(
        default=365, validators=[MinValueValidator(30)], help_text="The period the flags for staff look at."
    )
    abuse_max_returns = models.PositiveSmallIntegerField(
        default=6, validators=[MinValueValidator(2)], help_text="Flag a customer with this many returns in the period."
    )
    abuse_max_rate_percent = models.PositiveSmallIntegerField(
        default=80,
        validators=[MinValueValidator(10), MaxValueValidator(100)],
        help_text="Flag a customer who sent back this share of the units they bought in the period.",
    )
    auto_approve = models.BooleanField(default=True, help_text="Approve at once when every line is within policy.")
    auto_refund = models.BooleanField(
        default=False,
        help_text="Pay refunds through the order's payment provider as soon as the inspection is saved, "
        "up to the ceiling below; larger refunds wait for a person.",
    )
    auto_refund_ceiling_sek = money_field(default=Decimal(3000), verbose_name="auto-refund ceiling (SEK)")
    auto_refund_ceiling_eur = money_field(default=Decimal(300), verbose_name="auto-refund ceiling (EUR)")
    auto_refund_ceiling_nok = money_field(default=Decimal(3000), verbose_name="auto-refund ceiling (NOK)")
    auto_refund_ceiling_dkk = money_field(default=Decimal(2000), verbose_name="auto-refund ceiling (DKK)")
    return_address = models.TextField(
        default="Nordväst Outfitters Returns\nLagervägen 12\n136 50 Haninge\nSweden",
        help_text="Where parcels go: one line per address line, printed on every label.",
    )
    store_address = models.TextField(
        blank=True, default="Nordväst Outfitters, Drottninggatan 45, Stockholm", help_text="For in-store returns."
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name_plural = "return policies"
        constraints = [
            models.UniqueConstraint(fields=["is_active"], condition=models.Q(is_active=True), name="one_active_policy")
        ]

    def __str__(self) -> str:
        return self.name

    def auto_refund_ceiling(self, currency: str) -> Decimal:
        """The largest refund paid without a person's approval, in the order's currency."""
        return {
            Currency.SEK: self.auto_refund_ceiling_sek,
            Currency.EUR: self.auto_refund_ceiling_eur,
            Currency.NOK: self.auto_refund_ceiling_nok,
            Currency.DKK: self.auto_refund_ceiling_dkk,
        }[Currency(currency)]

    @classmethod
    def current(cls) -> ReturnPolicy:
        """The active policy, with its extensions, methods and final-sale lists.

        Every customer page reads it and staff change it rarely, so it is kept
        in the cache (shared by all web machines) and forgotten whenever any
        part of it is saved. A fresh install gets the defaults until staff edit them.
        """
        policy: ReturnPolicy | None = cache.get(CURRENT_POLICY_KEY)
        if policy is None:
            policy = cls._load_active()
            if policy is None:
                cls.objects.get_or_create(is_active=True)
                policy = cls._load_active()
            cache.set(CURRENT_POLICY_KEY, policy, timeout=POLICY_CACHE_SECONDS)
        assert policy is not None
        return policy

    @classmethod
    def _load_active(cls) -> ReturnPolicy | None:
        return (
            cls.objects.filter(is_active=True)
            .prefetch_related("extensions", "methods", "non_returnable_categories", "non_returnable_products")
            .first()
        )


class SeasonalExtension(models.Model):
    """A yearly window, e.g. bought 15 Nov - 24 Dec: returnable until 31 Jan."""

    policy = models.ForeignKey(ReturnPolicy, on_delete=models.CASCADE, related_name="extensions")
    name = models.CharField(max_length=80, default="Christmas")
    bought_from_month = models.PositiveSmallIntegerField(validators=[MinValueValidator(1), MaxValueValidator(12)])
    bought_from_day = models.PositiveSmallIntegerField(validators=[MinValueValidator(1), MaxValueValidator(31)])
    bought_to_month = models.PositiveSmallIntegerField(validators=[MinValueValidator(1), MaxValueValidator(12)])
    bought_to_day = models.PositiveSmallIntegerField(validators=[MinValueValidator(1), MaxValueValidator(31)])
    returnable_until_month = models.PositiveSmallIntegerField(validators=[MinValueValidator(1), MaxValueValidator(12)])
    returnable_until_day = models.PositiveSmallIntegerField(validators=[MinValueValidator(1), MaxValueValidator(31)])

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        try:
            self.as_rule()
        except ValueError as exc:
            raise ValidationError(str(exc)) from exc

    def as_rule(self) -> ExtensionRule:
        return ExtensionRule(
            bought_from=(self.bought_from_month, self.bought_from_day),
            bought_to=(self.bought_to_month, self.bought_to_day),
            returnable_until=(self.returnable_until_month, self.returnable_until_day),
        )


class ReturnMethodOption(models.Model):
    """A return method the policy offers, with its fee in each of the shop's currencies."""

    policy = models.ForeignKey(ReturnPolicy, on_delete=models.CASCADE, related_name="methods")
    method = models.CharField(max_length=16, choices=ReturnMethod.choices)
    offered = models.BooleanField(default=True)
    fee_sek = money_field(default=ZERO, verbose_name="fee (SEK)")
    fee_eur = money_field(default=ZERO, verbose_name="fee (EUR)")
    fee_nok = money_field(default=ZERO, verbose_name="fee (NOK)")
    fee_dkk = money_field(default=ZERO, verbose_name="fee (DKK)")

    class Meta:
        ordering = ["policy", "method"]
        constraints = [models.UniqueConstraint(fields=["policy", "method"], name="one_option_per_method")]

    def __str__(self) -> str:
        return self.get_method_display()

    def fee(self, currency: str) -> Decimal:
        return {
            Currency.SEK: self.fee_sek,
            Currency.EUR: self.fee_eur,
            Currency.NOK: self.fee_nok,
            Currency.DKK: self.fee_dkk,
        }[Currency(currency)]


class CarrierRoute(models.Model):
    """Which carrier takes a country's returns sent a given way; without a route, settings.RETURN_CARRIER does.

    `carrier` is a key of settings.CARRIERS ("builtin", "postnord", "nshift"); the credentials stay in
    the environment.
    """

    country = models.CharField(max_length=2, help_text="The customer's country, ISO code, e.g. SE.")
    method = models.CharField(max_length=16, choices=ReturnMethod.choices)
    carrier = models.CharField(max_length=20)

    class Meta:
        ordering = ["country", "method"]
        constraints = [models.UniqueConstraint(fields=["country", "method"], name="one_carrier_per_country_method")]

    def __str__(self) -> str:
        return f"{self.country} {self.get_method_display()}: {self.carrier}"


class ReturnReason(models.Model):
    """A coded reason with its label in the five languages and its own rules."""

    code = models.SlugField(max_length=40, unique=True)
    label_en = models.CharField("label (English)", max_length=120)
    label_sv = models.CharField("label (Swedish)", max_length=120)
    label_fi = models.CharField("label (Finnish)", max_length=120)
    label_nb = models.CharField("label (Norwegian)", max_length=120)
    label_da = models.CharField("label (Danish)", max_length=120)
    photo_required = models.BooleanField(default=False)
    allows_repair = models.BooleanField(default=False, help_text="A defect claim: repair or replacement is offered.")
    seller_pays = models.BooleanField(
        default=False, help_text="The shop's fault (defect, wrong item, damaged in transit): no fees for the customer."
    )
    active = models.BooleanField(default=True)
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["position", "code"]

    def __str__(self) -> str:
        return self.label()

    def label(self, language: str | None = None) -> str:
        language = (language or translation.get_language() or "en")[:2]
        if language == "no":
            language = "nb"
        return str(getattr(self, f"label_{language}", "") or self.label_en)
