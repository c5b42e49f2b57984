"""Existing DRF tokens (rest_framework.authtoken, keys kept in clear) become hashed API tokens.

Each key is stored as its SHA-256 digest with its first 8 characters as the prefix, so that the
`Authorization: Token <key>` an integrator already uses keeps working; the clear keys are then
removed. Such tokens have no expiry (their integrators were never told of one): operators see them in
the admin as "never" and revoke or replace them. The old table is left in place, empty.

Reversing keeps the hashed tokens (the clear keys cannot be recovered) and does nothing else.
"""

import hashlib

from django.db import migrations

OLD_TABLE = "authtoken_token"


def hash_existing_tokens(apps, schema_editor):
    connection = schema_editor.connection
    if OLD_TABLE not in connection.introspection.table_names():
        return
    ApiToken = apps.get_model("accounts", "ApiToken")
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT key, user_id, created FROM {OLD_TABLE}")  # noqa: S608 (constant name)
        rows = cursor.fetchall()
    for key, user_id, created in rows:
        token = ApiToken.objects.create(
            user_id=user_id,
            name="API token (before hashing)",
            prefix=key[:8],
            digest=hashlib.sha256(key.encode()).hexdigest(),
            expires_at=None,
        )
        ApiToken.objects.filter(pk=token.pk).update(created_at=created)
    with connection.cursor() as cursor:
        cursor.execute(f"DELETE FROM {OLD_TABLE}")  # noqa: S608 (constant name)


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0003_api_token"),
    ]

    operations = [
        migrations.RunPython(hash_existing_tokens, migrations.RunPython.noop, elidable=False),
    ]
