"""Prepare the test provider's state: its signing key, its tables, two accounts and the client
registration of Bancheng's city login (one redirect URI). Run with the provider's settings."""

from __future__ import annotations

import os
import sys
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

PASSWORD = "provider-pass"


def main() -> None:
    state = Path(os.environ["OIDC_TEST_PROVIDER_DIR"])
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    (state / "key.pem").write_bytes(pem)

    import django

    django.setup()
    from django.contrib.auth.models import User
    from django.core.management import call_command
    from oauth2_provider.models import Application

    call_command("migrate", verbosity=0)
    for username in sys.argv[2:]:
        User.objects.create_user(username=username, password=PASSWORD)
    Application.objects.create(
        name="bancheng",
        client_id="bancheng-city",
        client_secret=sys.argv[1],
        client_type=Application.CLIENT_CONFIDENTIAL,
        authorization_grant_type=Application.GRANT_AUTHORIZATION_CODE,
        redirect_uris="http://localhost/accounts/oidc/callback/",
        algorithm=Application.RS256_ALGORITHM,
        skip_authorization=True,
    )


if __name__ == "__main__":
    main()
