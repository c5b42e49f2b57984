# The city portal with 100 halls and 1,000,000 cases (benchmarks/city_portal.py): its per-hall
# figures and its proposals read only the open cases and slips, a few per cent of the rows.

from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('coordination', '0004_caseindex_matter_key'),
    ]

    operations = [
        migrations.AddIndex(
            model_name='caseindex',
            index=models.Index(condition=models.Q(('status__in', ['closed', 'not_accepted']), _negated=True), fields=['hall'], include=('id', 'flagged_for_supervision'), name='caseindex_open_by_hall'),
        ),
        migrations.AddIndex(
            model_name='caseindex',
            index=models.Index(condition=models.Q(('flagged_for_supervision', True), models.Q(('status__in', ['closed', 'not_accepted']), _negated=True)), fields=['registered_at'], name='caseindex_flagged_open'),
        ),
        migrations.AddIndex(
            model_name='slipindex',
            index=models.Index(condition=models.Q(('status__in', ['sent', 'received', 'awaiting_supplement'])), fields=['hall'], include=('id', 'deadline'), name='slipindex_open_by_hall'),
        ),
    ]
