from django.db import migrations, models


class Migration(migrations.Migration):
    """The discipline inspection role (纪检监察): given in a city hall, read-only in every hall of it."""

    dependencies = [
        ("accounts", "0007_oidc_identity"),
        ("tenants", "0001_initial"),
    ]

    operations = [
        migrations.RemoveConstraint(model_name="roleassignment", name="role_scope_matches_kind"),
        migrations.AlterField(
            model_name="roleassignment",
            name="kind",
            field=models.CharField(
                choices=[
                    ("window_staff", "Window staff"),
                    ("hall_lead", "Hall lead"),
                    ("department_handler", "Department handler"),
                    ("department_lead", "Department lead"),
                    ("city_supervisor", "City supervisor"),
                    ("discipline_inspector", "Discipline inspection"),
                    ("platform_operator", "Platform operator"),
                    ("system_admin", "System administrator"),
                    ("security_admin", "Security administrator"),
                    ("audit_admin", "Audit administrator"),
                ],
                max_length=30,
                verbose_name="role",
            ),
        ),
        migrations.AddConstraint(
            model_name="roleassignment",
            constraint=models.CheckConstraint(
                condition=models.Q(
                    models.Q(
                        ("department__isnull", True),
                        ("hall__isnull", False),
                        ("kind__in", ["window_staff", "hall_lead", "city_supervisor", "discipline_inspector"]),
                    ),
                    models.Q(
                        ("department__isnull", False),
                        ("hall__isnull", True),
                        ("kind__in", ["department_handler", "department_lead"]),
                    ),
                    models.Q(
                        ("department__isnull", True),
                        ("hall__isnull", True),
                        ("kind__in", ["platform_operator", "system_admin", "security_admin", "audit_admin"]),
                    ),
                    _connector="OR",
                ),
                name="role_scope_matches_kind",
            ),
        ),
    ]
