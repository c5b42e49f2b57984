# Indexes for the dashboards' period filters (analytics/selectors.py), on tables of other apps:
# transfer slips by the time they were sent (department_figures) and deadlines by the time they
# started (stage_figures, hall_figures). Without them each dashboard query read every slip or
# deadline of the city (a sequential scan of 475,000 slips, a bitmap scan of 830,000 deadlines in
# benchmarks/statistics_dashboard.py); with them, only the period's rows, from the index alone.
#
# They belong to the statistics, their only reader, so they live here as SQL rather than in the
# models of coordination and deadlines (Django's model state does not know them; makemigrations
# leaves them alone). Shared app: run on the public schema only, like the tables.

from django.db import migrations

SLIPS = (
    "CREATE INDEX IF NOT EXISTS stats_slipindex_sent ON coordination_slipindex (sent_at) "
    "INCLUDE (hall_id, department_id, status, flagged_for_supervision, deadline_id)"
)
DEADLINES = (
    "CREATE INDEX IF NOT EXISTS stats_deadline_start ON deadlines_deadline (start_at) "
    "INCLUDE (hall_id, kind, rule_amount, state, met_at, due_at, worked_seconds)"
)


class Migration(migrations.Migration):
    dependencies = [
        ("analytics", "0001_initial"),
        ("coordination", "0005_portal_open_indexes"),
        ("deadlines", "0003_deadline_worked_seconds"),
    ]

    operations = [
        migrations.RunSQL(SLIPS, "DROP INDEX IF EXISTS stats_slipindex_sent"),
        migrations.RunSQL(DEADLINES, "DROP INDEX IF EXISTS stats_deadline_start"),
    ]
