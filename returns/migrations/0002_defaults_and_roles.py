"""A fresh install's policy, reasons (in five languages) and the staff roles.

Staff edit all of it in the admin afterwards; nothing here is re-applied.
"""

from decimal import Decimal

from django.contrib.auth.management import create_permissions
from django.db import migrations

REASONS = [
    # code, en, sv, fi, nb, da, photo required, seller pays
    ("too_small", "Too small", "För liten", "Liian pieni", "For liten", "For lille", False, False),
    ("too_big", "Too big", "För stor", "Liian suuri", "For stor", "For stor", False, False),
    (
        "changed_mind",
        "Changed my mind",
        "Ångrat köpet",
        "Muutin mieleni",
        "Angret kjøpet",
        "Fortrudt købet",
        False,
        False,
    ),
    (
        "not_as_described",
        "Not as described",
        "Inte som beskriven",
        "Ei vastannut kuvausta",
        "Ikke som beskrevet",
        "Ikke som beskrevet",
        False,
        False,
    ),
    (
        "defective",
        "Defective or broken",
        "Trasig eller defekt",
        "Viallinen tai rikki",
        "Defekt eller ødelagt",
        "Defekt eller i stykker",
        True,
        True,
    ),
    (
        "damaged",
        "Damaged on arrival",
        "Skadad vid leverans",
        "Vaurioitunut kuljetuksessa",
        "Skadet ved levering",
        "Beskadiget ved levering",
        True,
        True,
    ),
    (
        "wrong_item",
        "Wrong item sent",
        "Fel vara skickad",
        "Väärä tuote lähetetty",
        "Feil vare sendt",
        "Forkert vare sendt",
        False,
        True,
    ),
    (
        "arrived_late",
        "Arrived too late",
        "Kom för sent",
        "Saapui liian myöhään",
        "Kom for sent",
        "Kom for sent",
        False,
        False,
    ),
    ("other", "Other reason", "Annat skäl", "Muu syy", "Annen grunn", "Anden årsag", False, False),
]

# method: fees in SEK, EUR, NOK, DKK
METHODS = {
    "label": ("49", "4.90", "49", "39"),
    "qr": ("49", "4.90", "49", "39"),
    "pickup": ("89", "8.90", "89", "69"),
    "store": ("0", "0", "0", "0"),
}

VIEW = [
    "category",
    "product",
    "variant",
    "customer",
    "order",
    "orderline",
    "returnpolicy",
    "seasonalextension",
    "returnmethodoption",
    "returnreason",
    "returnrequest",
    "returnline",
    "returnevent",
]
WAREHOUSE_CHANGE = ["returnrequest", "returnline", "variant"]


def defaults(apps, schema_editor):
    ReturnPolicy = apps.get_model("returns", "ReturnPolicy")
    if ReturnPolicy.objects.exists():
        return
    policy = ReturnPolicy.objects.create(name="Standard policy", is_active=True)
    policy.extensions.create(
        name="Christmas",
        bought_from_month=11,
        bought_from_day=15,
        bought_to_month=12,
        bought_to_day=24,
        returnable_until_month=1,
        returnable_until_day=31,
    )
    for method, (sek, eur, nok, dkk) in METHODS.items():
        policy.methods.create(
            method=method,
            offered=True,
            fee_sek=Decimal(sek),
            fee_eur=Decimal(eur),
            fee_nok=Decimal(nok),
            fee_dkk=Decimal(dkk),
        )
    ReturnReason = apps.get_model("returns", "ReturnReason")
    for position, (code, en, sv, fi, nb, da, photo, seller) in enumerate(REASONS):
        ReturnReason.objects.update_or_create(
            code=code,
            defaults={
                "label_en": en,
                "label_sv": sv,
                "label_fi": fi,
                "label_nb": nb,
                "label_da": da,
                "photo_required": photo,
                "seller_pays": seller,
                "position": position * 10,
            },
        )


def roles(apps, schema_editor):
    # Permissions are normally created after all migrations; roles need them now.
    for app_config in apps.get_app_configs():
        original, app_config.models_module = getattr(app_config, "models_module", None), True
        create_permissions(app_config, apps=apps, verbosity=0)
        app_config.models_module = original
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    returns_perms = Permission.objects.filter(content_type__app_label="returns")
    view = list(returns_perms.filter(codename__in=[f"view_{model}" for model in VIEW]))
    change = list(returns_perms.filter(codename__in=[f"change_{model}" for model in WAREHOUSE_CHANGE]))
    warehouse, _ = Group.objects.get_or_create(name="Warehouse")
    warehouse.permissions.add(*view, *change)
    support, _ = Group.objects.get_or_create(name="Support")
    support.permissions.add(*view)


class Migration(migrations.Migration):
    dependencies = [
        ("returns", "0001_initial"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [
        migrations.RunPython(defaults, migrations.RunPython.noop),
        migrations.RunPython(roles, migrations.RunPython.noop),
    ]
