"""Support finds customers by part of their name: on PostgreSQL a trigram index makes that
`UPPER(name) LIKE '%...%'` an index lookup instead of a scan of every customer. SQLite (the
embedded demo) has no such index and does not need one."""

from django.db import migrations

CREATE = [
    "CREATE EXTENSION IF NOT EXISTS pg_trgm",
    "CREATE INDEX IF NOT EXISTS customer_name_trgm ON returns_customer USING gin ((UPPER(name::text)) gin_trgm_ops)",
]


def create(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        for statement in CREATE:
            schema_editor.execute(statement)


def drop(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("DROP INDEX IF EXISTS customer_name_trgm")


class Migration(migrations.Migration):
    dependencies = [("returns", "0004_exchange_and_store_credit")]

    operations = [migrations.RunPython(create, drop)]
