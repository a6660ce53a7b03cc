"""`manage.py seed_demo`: a believable Nordic shop to try the portal with. Safe to run again."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from django.apps import apps
from django.contrib.auth.models import Group, User
from django.core.management.base import BaseCommand, CommandParser
from django.db import transaction
from django.utils import timezone
from django.utils.text import slugify

from followup.roles import ROLES, SUPPORT, WAREHOUSE
from returns.models import Category, HelpGuide, Order, Product, ReturnPolicy, Variant
from returns.order_intake import orders_import
from returns_portal.core.roles import roles_apply
from returns_portal.demo.scenarios import DEMO_RETURNS, DemoReturn, demo_return

# product code: name, category, returnable, price in SEK, {sku: option}
CATALOGUE: dict[str, tuple[str, str, bool, int, dict[str, str]]] = {
    "MBL": ("Merino base layer", "Clothing", True, 599, {"MBL-S": "S", "MBL-M": "M", "MBL-L": "L"}),
    "RJF": ("Rain jacket Fjäll", "Clothing", True, 1899, {"RJF-M-NVY": "M / Navy", "RJF-L-NVY": "L / Navy"}),
    "WSK": ("Wool socks, 3-pack", "Clothing", True, 249, {"WSK-3942": "39–42", "WSK-4346": "43–46"}),
    "DVS": ("Down vest Polar", "Clothing", True, 1299, {"DVS-M": "M", "DVS-L": "L"}),
    "TRG": ("Trail runner GTX", "Shoes", True, 1599, {"TRG-42": "42", "TRG-43": "43", "TRG-44": "44"}),
    "WBN": ("Winter boot Norrsken", "Shoes", True, 1999, {"WBN-39": "39", "WBN-40": "40"}),
    "HLP": ("Headlamp 900 lm", "Electronics", True, 799, {"HLP-900": ""}),
    "EBA": ("Wireless earbuds Aurora", "Electronics", True, 1290, {"EBA-BLK": "Black"}),
    "PBK": ("Power bank 20 000 mAh", "Electronics", True, 449, {"PBK-20K": ""}),
    "LIP": ("Lip balm, cloudberry", "Hygiene", True, 79, {"LIP-CB": ""}),
    "TBH": ("Toothbrush heads, 4-pack", "Hygiene", True, 199, {"TBH-4": ""}),
    "CAP": ("Cap with your initials", "Accessories", False, 349, {"CAP-CUSTOM": "Made to order"}),
}

# Self-help shown before a defect claim on the earbuds, in each language: (title, steps)
EARBUDS_GUIDE = {
    "en": ("Earbuds not working? Try this first",
           "Put both earbuds in the case and charge it for 30 minutes.\n\nHold the case button for 10 seconds "
           "until the light blinks white: this resets the pairing.\n\nRemove 'Aurora' from your phone's "
           "Bluetooth list and pair again."),
    "sv": ("Fungerar inte hörlurarna? Prova detta först",
           "Lägg båda hörlurarna i fodralet och ladda i 30 minuter.\n\nHåll in knappen på fodralet i 10 sekunder "
           "tills lampan blinkar vitt: då nollställs parkopplingen.\n\nTa bort ”Aurora” från telefonens "
           "Bluetooth-lista och parkoppla igen."),
    "fi": ("Eivätkö kuulokkeet toimi? Kokeile ensin tätä",
           "Laita molemmat kuulokkeet koteloon ja lataa 30 minuuttia.\n\nPidä kotelon painiketta pohjassa "
           "10 sekuntia, kunnes valo vilkkuu valkoisena: pariliitos nollautuu.\n\nPoista ”Aurora” puhelimen "
           "Bluetooth-luettelosta ja muodosta pariliitos uudelleen."),
    "nb": ("Virker ikke ørepluggene? Prøv dette først",
           "Legg begge ørepluggene i etuiet og lad i 30 minutter.\n\nHold inne knappen på etuiet i 10 sekunder "
           "til lyset blinker hvitt: da nullstilles sammenkoblingen.\n\nFjern «Aurora» fra Bluetooth-listen "
           "på telefonen og koble til på nytt."),
    "da": ("Virker høretelefonerne ikke? Prøv dette først",
           "Læg begge høretelefoner i etuiet og oplad i 30 minutter.\n\nHold knappen på etuiet inde i 10 sekunder, "
           "til lyset blinker hvidt: så nulstilles parringen.\n\nFjern »Aurora« fra telefonens Bluetooth-liste "
           "og par igen."),
}  # fmt: skip

# currency: (price factor from SEK, VAT rate, how prices end)
CURRENCIES = {
    "SEK": (Decimal("1"), Decimal("25"), Decimal("0")),
    "EUR": (Decimal("0.087"), Decimal("25.5"), Decimal("0.05")),
    "NOK": (Decimal("1"), Decimal("25"), Decimal("0")),
    "DKK": (Decimal("0.66"), Decimal("25"), Decimal("0")),
}
DEMO_CURRENCY = {"SE": "SEK", "FI": "EUR", "NO": "NOK", "DK": "DKK", "IE": "EUR"}
SHIPPING = {"SEK": Decimal("49"), "EUR": Decimal("4.90"), "NOK": Decimal("69"), "DKK": Decimal("39")}

# email: name, street, postcode, city, country, language, marketing consent
CUSTOMERS = {
    "astrid.lindqvist@example.se": ("Astrid Lindqvist", "Sveavägen 44", "11346", "Stockholm", "SE", "sv", True),
    "oskar.berg@example.se": ("Oskar Berg", "Vasagatan 7", "41319", "Göteborg", "SE", "sv", False),
    "sofia.nystrom@example.se": ("Sofia Nyström", "Dragarbrunnsgatan 3", "75236", "Uppsala", "SE", "en", True),
    "mikko.virtanen@example.fi": ("Mikko Virtanen", "Mannerheimintie 12", "00100", "Helsinki", "FI", "fi", True),
    "aino.korhonen@example.fi": ("Aino Korhonen", "Linnankatu 20", "20100", "Åbo", "FI", "sv", False),
    "ingrid.haugen@example.no": ("Ingrid Haugen", "Karl Johans gate 5", "0150", "Oslo", "NO", "nb", True),
    "lars.nielsen@example.dk": ("Lars Nielsen", "Søndergade 18", "8000", "Aarhus C", "DK", "da", False),
    "emma.jensen@example.dk": ("Emma Jensen", "Østerbrogade 101", "2100", "København Ø", "DK", "da", True),
    "james.murphy@example.ie": ("James Murphy", "12 Grafton Street", "D02 X285", "Dublin", "IE", "en", False),
}

# number, email, currency, payment, placed (days ago), delivered (days ago or None), lines [(sku, qty)], discount, try
ORDERS: list[tuple[str, str, str, str, int, int | None, list[tuple[str, int]], int, str]] = [
    ("NV-10001", "astrid.lindqvist@example.se", "SEK", "card", 7, 5,
     [("RJF-M-NVY", 1), ("MBL-S", 2), ("LIP-CB", 1)], 0, "a full return; lip balm is hygiene (refused)"),
    ("NV-10002", "mikko.virtanen@example.fi", "EUR", "card", 10, 8,
     [("TRG-43", 1), ("HLP-900", 1)], 0, "return in Finnish; exchange shoes for size 44"),
    ("NV-10003", "ingrid.haugen@example.no", "NOK", "vipps", 4, 2,
     [("WBN-39", 1), ("WSK-3942", 2)], 100, "order discount pro-rated in the refund"),
    ("NV-10004", "lars.nielsen@example.dk", "DKK", "invoice", 14, 12,
     [("EBA-BLK", 1), ("PBK-20K", 1)], 0, "invoice order: refund by bank transfer"),
    ("NV-10005", "james.murphy@example.ie", "EUR", "paypal", 75, 72,
     [("DVS-L", 1)], 0, "return window closed"),
    ("NV-10006", "oskar.berg@example.se", "SEK", "swish", 0, 0,
     [("DVS-M", 1), ("WSK-4346", 1)], 0, "Christmas purchase: returnable until 31 January"),
    ("NV-10007", "emma.jensen@example.dk", "DKK", "mobilepay", 25, 22,
     [("MBL-M", 2), ("TBH-4", 1)], 0, "one unit already returned and refunded"),
    ("NV-10008", "aino.korhonen@example.fi", "EUR", "card", 2, None,
     [("MBL-L", 1)], 0, "not delivered yet; paid through Adyen"),
    ("NV-10009", "sofia.nystrom@example.se", "SEK", "invoice", 9, 6,
     [("CAP-CUSTOM", 1), ("DVS-M", 1)], 0, "made-to-order cap cannot be returned; a Klarna invoice"),
    ("NV-10010", "ingrid.haugen@example.no", "NOK", "card", 20, 18,
     [("TRG-42", 1)], 0, "a return on its way back (in transit)"),
    # Returns further along, for staff and support to look at (admin, /support/, the status page):
    ("NV-10011", "astrid.lindqvist@example.se", "SEK", "card", 21, 19,
     [("MBL-M", 1), ("WBN-40", 1)], 0, "staff: refund paid, the worn boots rejected with a reason"),
    ("NV-10012", "sofia.nystrom@example.se", "SEK", "card", 6, 4,
     [("DVS-L", 1)], 0, "staff: home pickup booked with the carrier; paid through Stripe"),
    ("NV-10013", "mikko.virtanen@example.fi", "EUR", "card", 12, 10,
     [("EBA-BLK", 1)], 0, "staff: a defect claim with the customer's photos, in transit"),
    ("NV-10014", "emma.jensen@example.dk", "DKK", "mobilepay", 18, 16,
     [("TRG-43", 1)], 0, "staff: an exchange for size 44, replacement shipped"),
    ("NV-10015", "ingrid.haugen@example.no", "NOK", "card", 15, 13,
     [("MBL-S", 1), ("WSK-4346", 1)], 0, "staff: store credit with the bonus, code issued"),
]  # fmt: skip


# Orders paid through a payment provider, with the payment's id there: a refund of theirs goes back through
# it. The demo has no provider accounts, so none of their returns is paid in the seed; paying one in the
# admin leaves it processing with the provider's "not configured" reason until KLARNA_*, ADYEN_* or STRIPE_*
# are set (`manage.py provider_check` says which), the way a shop sees it before connecting its accounts.
PAYMENTS = {
    "NV-10008": ("adyen", "QFQTPCQ8HXSKGK82"),  # Adyen's PSP reference
    "NV-10009": ("klarna", "6dd5c3d8-2b1e-4b7a-9f0e-0c5f2a7e4b19"),  # Klarna's order id
    "NV-10012": ("stripe", "pi_3QdemoNordvast10012"),  # Stripe's PaymentIntent id
}

# Two months of sales for the insight dashboard: (product code, orders, returned, reason). The trail
# runner comes back far more than the other shoes, mostly as too small: the dashboard flags it.
HISTORY = [
    ("TRG", 20, 10, "too_small"),
    ("WBN", 16, 0, ""),
    ("MBL", 14, 2, "too_big"),
    ("RJF", 10, 1, "not_as_described"),
    ("HLP", 8, 1, "changed_mind"),
]


def history_orders(now: dt.datetime) -> list[tuple[Any, ...]]:
    """ORDERS-shaped rows, one unit each, placed 15 to 75 days ago by the demo customers."""
    emails = sorted(CUSTOMERS)
    rows = []
    for code, count, _returned, _reason in HISTORY:
        sku = next(iter(CATALOGUE[code][4]))
        for index in range(count):
            number = f"NV-2{code}{index:03d}"
            email = emails[(index * 7 + len(code)) % len(emails)]
            placed = 15 + (index * 13) % 60
            rows.append((number, email, "SEK", "card", placed, placed - 2, [(sku, 1)], 0, ""))
    return rows


def history_returns() -> list[DemoReturn]:
    """The returned units of the two months of sales: received, inspected and refunded."""
    return [
        DemoReturn(f"NV-2{code}{index:03d}", (next(iter(CATALOGUE[code][4])),), reason, until="paid")
        for code, _count, returned, reason in HISTORY
        for index in range(returned)
    ]


class Command(BaseCommand):
    help = "Create or refresh the demo shop: products, customers, orders, returns, and the staff users."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--password", default="demo", help="Password for the demo users (default: demo).")

    def handle(self, *args: Any, password: str, **options: Any) -> None:
        now = timezone.now()
        with transaction.atomic():
            rows = ORDERS + history_orders(now)
            result = orders_import(orders=[self.order_payload(row, now) for row in rows])
            self.configure_policy()
            self.stock_catalogue()
            self.create_users(password)
        self.create_returns(now)  # each step in its own transactions, as in the shop: carriers are remote
        self.stdout.write(self.style.SUCCESS(f"Demo shop ready: {result}."))
        self.print_table(password)

    def order_payload(self, row: tuple[Any, ...], now: dt.datetime) -> dict[str, Any]:
        number, email, currency, payment, placed_days, delivered_days, lines, discount, _try = row
        name, street, postcode, city, country, language, consent = CUSTOMERS[email]
        currency = currency if number.startswith("NV-1") else DEMO_CURRENCY[country]  # history: the customer's own
        placed = christmas_purchase(now) if number == "NV-10006" else now - dt.timedelta(days=placed_days)
        delivered = None if delivered_days is None else placed + dt.timedelta(days=placed_days - delivered_days or 2)
        return {
            "number": number,
            "placed_at": placed.isoformat(),
            "delivered_at": delivered.isoformat() if delivered else None,
            "currency": currency,
            "language": language,
            "payment_method": payment,
            "payment_provider": PAYMENTS.get(number, ("", ""))[0],
            "payment_reference": PAYMENTS.get(number, ("", ""))[1],
            "shipping_amount": str(SHIPPING[currency]),
            "discount_amount": str(discount),
            "customer": {
                "email": email,
                "name": name,
                "street": street,
                "postcode": postcode,
                "city": city,
                "country": country,
                "marketing_consent": consent,
            },
            "lines": [self.line_payload(sku, quantity, currency) for sku, quantity in lines],
        }

    @staticmethod
    def line_payload(sku: str, quantity: int, currency: str) -> dict[str, Any]:
        code = sku.split("-")[0]
        name, category, returnable, sek, options = CATALOGUE[code]
        factor, vat, ending = CURRENCIES[currency]
        price = (Decimal(sek) * factor).quantize(Decimal(1)) - ending
        return {
            "sku": sku,
            "product": code,
            "option": options[sku],
            "name": name,
            "category": category,
            "quantity": quantity,
            "unit_price": str(price),
            "vat_rate": str(vat),
            "returnable": returnable,
        }

    @staticmethod
    def stock_catalogue() -> None:
        """Every size and colour exists, in stock, so exchanges have something to offer."""
        for code, (name, category, returnable, _price, options) in CATALOGUE.items():
            category_row, _created = Category.objects.get_or_create(code=slugify(category), defaults={"name": category})
            product, _created = Product.objects.get_or_create(
                code=code, defaults={"name": name, "category": category_row, "returnable": returnable}
            )
            for sku, option in options.items():
                variant, _created = Variant.objects.get_or_create(
                    sku=sku, defaults={"product": product, "option": option}
                )
                if variant.stock == 0:
                    variant.stock = 12
                    variant.save(update_fields=["stock"])
        earbuds = Product.objects.get(code="EBA")
        for language, (title, body) in EARBUDS_GUIDE.items():
            HelpGuide.objects.update_or_create(
                product=earbuds, language=language, defaults={"title": title, "body": body}
            )

    @staticmethod
    def configure_policy() -> None:
        policy = ReturnPolicy.current()
        policy.non_returnable_categories.add(*Category.objects.filter(code="hygiene"))

    def create_returns(self, now: dt.datetime) -> None:
        staff = User.objects.get(username="warehouse")
        for demo in DEMO_RETURNS + history_returns():
            order = Order.objects.get(number=demo.order)
            if order.returns.exists():
                continue  # seeded before: leave it (and anything staff did with it) alone
            demo_return(demo, order, staff, now)

    @staticmethod
    def create_users(password: str) -> None:
        """One user per role, in the role's group as `followup.roles` defines it (made here if the
        database lacks it, e.g. after a test emptied the tables)."""
        roles_apply(apps, ROLES)
        roles = {"admin": None, "warehouse": WAREHOUSE, "support": SUPPORT}
        for username, group in roles.items():
            user, _created = User.objects.get_or_create(
                username=username, defaults={"email": f"{username}@shop.example"}
            )
            user.is_staff = True
            user.is_superuser = group is None
            user.set_password(password)
            user.save()
            if group:
                user.groups.set([Group.objects.get(name=group)])

    def print_table(self, password: str) -> None:
        self.stdout.write("\nOrders to try at http://127.0.0.1:8000/ (order number + e-mail or postcode):\n")
        self.stdout.write(f"  {'order':<9} {'e-mail':<29} {'postcode':<9} {'lang':<4} {'cur':<4} try")
        for number, email, currency, *_rest, what in ORDERS:
            _name, _street, postcode, _city, _country, language, _consent = CUSTOMERS[email]
            self.stdout.write(f"  {number:<9} {email:<29} {postcode:<9} {language:<4} {currency:<4} {what}")
        self.stdout.write(
            f"\nAdmin at http://127.0.0.1:8000/admin/ — users admin, warehouse, support; password '{password}'.\n"
        )


def christmas_purchase(now: dt.datetime) -> dt.datetime:
    """The latest day in a Christmas season (15 Nov – 24 Dec) at least three days ago."""
    today = timezone.localdate(now)
    day = today - dt.timedelta(days=3)
    season_start, season_end = dt.date(day.year, 11, 15), dt.date(day.year, 12, 24)
    if day < season_start:
        day = season_end.replace(year=day.year - 1)
    day = min(day, season_end)
    return now - dt.timedelta(days=(today - day).days)
