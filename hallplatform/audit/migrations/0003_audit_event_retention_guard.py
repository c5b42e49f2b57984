from django.db import migrations

# The trail stays immutable: UPDATE, TRUNCATE and DELETE are refused, except the retention purge
# (hallplatform.audit.services.audit_purge_expired). The purge names its cutoff in a transaction-local
# setting; the guard lets a DELETE through only for a row older than that cutoff, and only if the
# cutoff itself is at least 183 days (six months: 网络安全法 art. 21) before the transaction began.
# Nothing else can set a cutoff that deletes younger rows.
GUARD = """
CREATE OR REPLACE FUNCTION bancheng_audit_guard() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    cutoff timestamptz := NULLIF(current_setting('bancheng.audit_purge_before', true), '')::timestamptz;
BEGIN
    IF TG_OP = 'DELETE'
       AND cutoff IS NOT NULL
       AND cutoff <= now() - interval '183 days'
       AND OLD.at < cutoff THEN
        RETURN OLD;
    END IF;
    RAISE EXCEPTION 'rows of % are immutable (% refused)', TG_TABLE_NAME, TG_OP
        USING ERRCODE = 'insufficient_privilege';
END;
$$;
DROP TRIGGER IF EXISTS audit_auditevent_immutable ON audit_auditevent;
CREATE TRIGGER audit_auditevent_immutable
    BEFORE UPDATE OR DELETE ON audit_auditevent
    FOR EACH ROW EXECUTE FUNCTION bancheng_audit_guard();
CREATE TRIGGER audit_auditevent_no_truncate
    BEFORE TRUNCATE ON audit_auditevent
    FOR EACH STATEMENT EXECUTE FUNCTION bancheng_forbid_change();
"""

BEFORE = """
DROP TRIGGER IF EXISTS audit_auditevent_no_truncate ON audit_auditevent;
DROP TRIGGER IF EXISTS audit_auditevent_immutable ON audit_auditevent;
CREATE TRIGGER audit_auditevent_immutable
    BEFORE UPDATE OR DELETE ON audit_auditevent
    FOR EACH ROW EXECUTE FUNCTION bancheng_forbid_change();
DROP FUNCTION IF EXISTS bancheng_audit_guard();
"""


class Migration(migrations.Migration):
    """The audit trail refuses UPDATE, DELETE and TRUNCATE, except the retention purge of rows older
    than at least six months."""

    dependencies = [("audit", "0002_audit_event_immutable")]

    operations = [migrations.RunSQL(GUARD, BEFORE)]
