from django.db import migrations

# public.bancheng_forbid_change() is created by the audit app's migration in the public schema;
# the hall's search path reaches it.
FORBID = """
CREATE TRIGGER casework_caseevent_immutable
    BEFORE UPDATE OR DELETE ON casework_caseevent
    FOR EACH ROW EXECUTE FUNCTION public.bancheng_forbid_change();
"""
ALLOW = "DROP TRIGGER IF EXISTS casework_caseevent_immutable ON casework_caseevent;"


class Migration(migrations.Migration):
    """A case's timeline refuses UPDATE and DELETE at the database level."""

    dependencies = [("casework", "0001_cases_registration_form"), ("audit", "0002_audit_event_immutable")]

    operations = [migrations.RunSQL(FORBID, ALLOW)]
