from django.db import migrations, models

import hallplatform.limits

# The timeline stays immutable (migration 0002), with one sanctioned exception: the retention
# erasure (casework.retention.case_personal_data_erase) may UPDATE the ``changes`` of the events of
# the one case it names in a transaction-local setting, and nothing else of them. DELETE stays
# refused; every other UPDATE too.
GUARD = """
CREATE OR REPLACE FUNCTION casework_caseevent_guard() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    erasing text := NULLIF(current_setting('bancheng.case_erase', true), '');
BEGIN
    IF TG_OP = 'UPDATE'
       AND erasing IS NOT NULL
       AND OLD.case_id::text = erasing
       AND NEW.id = OLD.id AND NEW.case_id = OLD.case_id AND NEW.at = OLD.at
       AND NEW.actor_id IS NOT DISTINCT FROM OLD.actor_id AND NEW.kind = OLD.kind
       AND NEW.slip_id IS NOT DISTINCT FROM OLD.slip_id
       AND NEW.from_status = OLD.from_status AND NEW.to_status = OLD.to_status THEN
        RETURN NEW;
    END IF;
    RAISE EXCEPTION 'rows of % are immutable (% refused)', TG_TABLE_NAME, TG_OP
        USING ERRCODE = 'insufficient_privilege';
END;
$$;
DROP TRIGGER IF EXISTS casework_caseevent_immutable ON casework_caseevent;
CREATE TRIGGER casework_caseevent_immutable
    BEFORE UPDATE OR DELETE ON casework_caseevent
    FOR EACH ROW EXECUTE FUNCTION casework_caseevent_guard();
"""

BEFORE = """
DROP TRIGGER IF EXISTS casework_caseevent_immutable ON casework_caseevent;
CREATE TRIGGER casework_caseevent_immutable
    BEFORE UPDATE OR DELETE ON casework_caseevent
    FOR EACH ROW EXECUTE FUNCTION public.bancheng_forbid_change();
DROP FUNCTION IF EXISTS casework_caseevent_guard();
"""


class Migration(migrations.Migration):
    """The 补正通知书's due date, the retention hold and erasure marks, and the timeline's one
    sanctioned change (the erasure of a case's personal values)."""

    dependencies = [("casework", "0008_case_progress_access")]

    operations = [
        migrations.AddField(
            model_name="case",
            name="supplement_due",
            field=models.DateField(blank=True, null=True, verbose_name="materials due by"),
        ),
        migrations.AddField(
            model_name="case",
            name="retention_hold",
            field=models.BooleanField(default=False, verbose_name="retention hold"),
        ),
        migrations.AddField(
            model_name="case",
            name="retention_hold_reason",
            field=models.TextField(
                blank=True, max_length=hallplatform.limits.NOTE_MAX_LENGTH, verbose_name="reason for the hold"
            ),
        ),
        migrations.AddField(
            model_name="case",
            name="erased_at",
            field=models.DateTimeField(blank=True, null=True, verbose_name="personal data erased at"),
        ),
        migrations.RunSQL(GUARD, BEFORE),
    ]
