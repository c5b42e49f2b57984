"""CaseIndex and SlipIndex now belong to the hallindex app: state only, the tables stay where they are.

hallindex's 0001 takes the two models over (same tables, same indexes and constraints); here
coordination lets go of them, and the supervision order's slip points at hallindex.SlipIndex (the
same table, so the database's foreign key is unchanged).
"""

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("coordination", "0005_portal_open_indexes"),
        ("hallindex", "0001_initial"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AlterField(
                    model_name="supervisionorder",
                    name="slip",
                    field=models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="+",
                        to="hallindex.slipindex",
                        verbose_name="transfer slip",
                    ),
                ),
                migrations.DeleteModel(name="CaseIndex"),
                migrations.DeleteModel(name="SlipIndex"),
            ],
            database_operations=[],
        ),
    ]
