# The city portal with 100 halls and 1,000,000 cases (benchmarks/city_portal.py): its yellow, red and
# escalated figures per hall read the open and breached deadlines only.

from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('deadlines', '0003_deadline_worked_seconds'),
    ]

    operations = [
        migrations.AddIndex(
            model_name='deadline',
            index=models.Index(condition=models.Q(('state__in', ['open', 'breached'])), fields=['hall'], include=('id', 'state', 'warn_at', 'due_at', 'escalation_level'), name='deadline_open_by_hall'),
        ),
    ]
