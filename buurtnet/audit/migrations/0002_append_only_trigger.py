"""On PostgreSQL, the database itself refuses to change or delete audit entries.

Allowed through: an UPDATE that only sets actor_id, zone_id or network_id to NULL (the
ON DELETE SET NULL of a deleted person, BIN or zone) and a DELETE while the transaction
has set `buurtnet.audit_purge` to 'on' (only `audit.services.purge` does). TRUNCATE is
not guarded (row triggers do not fire on it): the test database is flushed with it, and
the application never truncates. SQLite has no such trigger; the model's guards apply.
"""

from django.db import migrations

FORWARD = """
CREATE OR REPLACE FUNCTION audit_auditevent_append_only() RETURNS trigger AS $$
BEGIN
    IF TG_OP = 'DELETE' THEN
        IF current_setting('buurtnet.audit_purge', true) = 'on' THEN
            RETURN OLD;
        END IF;
    ELSIF (NEW.actor_id IS NOT DISTINCT FROM OLD.actor_id OR NEW.actor_id IS NULL)
        AND (NEW.zone_id IS NOT DISTINCT FROM OLD.zone_id OR NEW.zone_id IS NULL)
        AND (NEW.network_id IS NOT DISTINCT FROM OLD.network_id OR NEW.network_id IS NULL)
        AND (to_jsonb(NEW) - 'actor_id' - 'zone_id' - 'network_id')
            = (to_jsonb(OLD) - 'actor_id' - 'zone_id' - 'network_id')
    THEN
        RETURN NEW;
    END IF;
    RAISE EXCEPTION 'audit entries are append-only: % refused', TG_OP
        USING ERRCODE = 'insufficient_privilege';
END;
$$ LANGUAGE plpgsql;

CREATE TRIGGER audit_auditevent_append_only
    BEFORE UPDATE OR DELETE ON audit_auditevent
    FOR EACH ROW EXECUTE FUNCTION audit_auditevent_append_only();
"""

REVERSE = """
DROP TRIGGER IF EXISTS audit_auditevent_append_only ON audit_auditevent;
DROP FUNCTION IF EXISTS audit_auditevent_append_only();
"""


def _on_postgresql(sql):
    def run(apps, schema_editor):
        if schema_editor.connection.vendor == "postgresql":
            schema_editor.execute(sql, params=None)

    return run


class Migration(migrations.Migration):
    dependencies = [("audit", "0001_initial")]

    operations = [
        migrations.RunPython(_on_postgresql(FORWARD), _on_postgresql(REVERSE), elidable=False),
    ]
