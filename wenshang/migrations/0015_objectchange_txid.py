"""The change feed's order on PostgreSQL: each change log row carries the id of the transaction that
wrote it (``txid``, set by the database), so that ``/api/v1/changes/`` lists changes in an order in
which no committed change can appear behind a reader's cursor (see ``wenshang.api.changes``).
SQLite has one writer at a time: its rows are in the order of their ids, and need no column."""
from django.db import migrations

ADD = """
ALTER TABLE wenshang_objectchange ADD COLUMN txid bigint NOT NULL DEFAULT (pg_current_xact_id()::text::bigint);
CREATE INDEX wenshang_objectchange_txid_id ON wenshang_objectchange (txid, id);
"""
DROP = """
DROP INDEX IF EXISTS wenshang_objectchange_txid_id;
ALTER TABLE wenshang_objectchange DROP COLUMN IF EXISTS txid;
"""


def add(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(ADD)


def drop(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(DROP)


class Migration(migrations.Migration):
    dependencies = [("wenshang", "0014_idempotent_request")]
    operations = [migrations.RunPython(add, drop)]
