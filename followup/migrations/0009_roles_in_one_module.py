"""The roles, from their one definition (`followup.roles`): each group gets exactly its list.

Here, in the top app, after the apps' own migrations, so every permission a role names exists;
`roles_apply` makes the permissions first, as Django makes them only after all migrations. The seven
earlier role migrations stay as they were: they ran on every existing database, and on a fresh one
this sets each group to the same permissions they gave. A later change to a role is a new migration
that applies the table again.
"""

from django.db import migrations

from followup.roles import ROLES
from returns_portal.core.roles import roles_apply


def apply_roles(apps, schema_editor):
    roles_apply(apps, ROLES, using=schema_editor.connection.alias, strict=False)


class Migration(migrations.Migration):
    dependencies = [
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
        ("returns", "0010_pickup_day_index"),
        ("refunds", "0006_refund_line_units"),
        ("followup", "0008_objection_kept_as_hash"),
    ]

    operations = [migrations.RunPython(apply_roles, migrations.RunPython.noop)]
