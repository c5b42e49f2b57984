from django.db import migrations

FORBID = """
CREATE OR REPLACE FUNCTION bancheng_forbid_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'rows of % are immutable (% refused)', TG_TABLE_NAME, TG_OP
        USING ERRCODE = 'insufficient_privilege';
END;
$$;
CREATE TRIGGER audit_auditevent_immutable
    BEFORE UPDATE OR DELETE ON audit_auditevent
    FOR EACH ROW EXECUTE FUNCTION bancheng_forbid_change();
"""

ALLOW = """
DROP TRIGGER IF EXISTS audit_auditevent_immutable ON audit_auditevent;
"""


class Migration(migrations.Migration):
    """The audit trail refuses UPDATE and DELETE at the database level."""

    dependencies = [("audit", "0001_audit_event")]

    operations = [migrations.RunSQL(FORBID, ALLOW)]
