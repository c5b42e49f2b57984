from django.db import migrations, models


class Migration(migrations.Migration):
    """A city's retention period for the personal data of closed cases (PIPL art. 19)."""

    dependencies = [("tenants", "0002_hall_phone_address")]

    operations = [
        migrations.AddField(
            model_name="hall",
            name="case_retention_days",
            field=models.PositiveIntegerField(default=1095, verbose_name="days personal data is kept after closing"),
        ),
    ]
