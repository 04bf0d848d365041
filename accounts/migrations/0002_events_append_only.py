"""Make the status event log append-only in the database itself (PostgreSQL).

The model already refuses updates and deletes; the trigger also stops any
other client (a shell, a raw query, a future bug) from rewriting history.
"""

from django.db import migrations

CREATE = """
CREATE OR REPLACE FUNCTION accounts_statusevent_refuse_change() RETURNS trigger AS $$
BEGIN
  RAISE EXCEPTION 'accounts_statusevent is append-only (%% refused)', TG_OP
    USING ERRCODE = 'insufficient_privilege';
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER accounts_statusevent_append_only
  BEFORE UPDATE OR DELETE ON accounts_statusevent
  FOR EACH ROW EXECUTE FUNCTION accounts_statusevent_refuse_change();
"""
DROP = """
DROP TRIGGER IF EXISTS accounts_statusevent_append_only ON accounts_statusevent;
DROP FUNCTION IF EXISTS accounts_statusevent_refuse_change();
"""


def create_trigger(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(CREATE)


def drop_trigger(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(DROP)


class Migration(migrations.Migration):
    dependencies = [("accounts", "0001_initial")]
    operations = [migrations.RunPython(create_trigger, drop_trigger)]
