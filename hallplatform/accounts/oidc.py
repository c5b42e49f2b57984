"""Login through the province's identity provider (统一身份认证), by OpenID Connect (docs/security.md,
"The province's identity provider").

Only on the city login (the base domain, one registered redirect URI): the provider's login then
reaches every hall's host like a password login (hallplatform/accounts/sso.py). mozilla-django-oidc
does the code flow (state, nonce, PKCE, the token request, the ID token's signature against the
provider's published keys); this module adds the checks it leaves out (issuer, audience) and binds
a provider account to a staff login by its ``sub`` claim only: a ``sub`` seen for the first time is
linked by the person giving their password (``oidc_identity_link``) or by a security administrator in
the admin, never by matching a username or an e-mail address.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.exceptions import SuspiciousOperation
from django.db import transaction
from mozilla_django_oidc.auth import OIDCAuthenticationBackend

from hallplatform.accounts.models import OidcIdentity, User
from hallplatform.audit.services import audit_record

METHOD_OIDC = "oidc"


def claim_text(value: Any) -> str:
    """An acr or amr claim as stored (amr is a list of method names)."""
    if isinstance(value, list | tuple):
        return " ".join(str(item) for item in value)
    return str(value or "")


def oidc_second_factor(claims: dict[str, Any]) -> bool:
    """Whether the provider says it asked for a second factor: its ``acr`` is one of OIDC_MFA_ACR, or
    one of its ``amr`` methods is one of OIDC_MFA_AMR."""
    amr = claims.get("amr") or []
    methods = set(amr if isinstance(amr, list) else [amr])
    return claims.get("acr") in set(settings.OIDC_MFA_ACR) or bool(methods & set(settings.OIDC_MFA_AMR))


class ProvinceOidcBackend(OIDCAuthenticationBackend):
    """mozilla-django-oidc's code flow, finding staff by the ID token's ``sub`` (never creating any).
    Not in AUTHENTICATION_BACKENDS: only the identity provider's callback calls it. ``claims`` holds
    the verified ID token's claims afterwards, also when no staff login is bound to its ``sub``."""

    claims: dict[str, Any] | None = None

    def verify_token(self, token: str, **kwargs: Any) -> Any:
        payload = super().verify_token(token, **kwargs)
        audience = payload.get("aud")
        audiences = audience if isinstance(audience, list) else [audience]
        if payload.get("iss") != settings.OIDC_OP_ISSUER or settings.OIDC_RP_CLIENT_ID not in audiences:
            raise SuspiciousOperation("The ID token is not from the configured provider for this client.")
        if not payload.get("sub"):
            raise SuspiciousOperation("The ID token names no subject.")
        return payload

    def get_or_create_user(self, access_token: str, id_token: str, payload: dict[str, Any]) -> Any:
        self.claims = payload
        identity = (
            OidcIdentity.objects.select_related("user")
            .filter(issuer=settings.OIDC_OP_ISSUER, subject=str(payload["sub"]))
            .first()
        )
        return identity.user if identity is not None else None

    def store_tokens(self, access_token: str, id_token: str) -> None:
        """The provider's tokens are not kept: only the login they opened."""


@transaction.atomic
def oidc_identity_link(
    *, user: User, subject: str, actor: User, hall: Any = None, origin: dict[str, str] | None = None
) -> OidcIdentity:
    """Bind the provider account ``subject`` to ``user`` (audited ``oidc.link``)."""
    identity = OidcIdentity.objects.create(user=user, issuer=settings.OIDC_OP_ISSUER, subject=subject, linked_by=actor)
    audit_record(
        action="oidc.link",
        actor=actor,
        hall=hall,
        target=user,
        changes={"username": user.get_username(), "subject": subject[:255], **(origin or {})},
    )
    return identity


@transaction.atomic
def oidc_identity_unlink(*, identity: OidcIdentity, actor: User, origin: dict[str, str] | None = None) -> None:
    """Remove a binding (audited ``oidc.unlink``): that provider account logs in nobody any more."""
    audit_record(
        action="oidc.unlink",
        actor=actor,
        target=identity.user,
        changes={"username": identity.user.get_username(), "subject": identity.subject, **(origin or {})},
    )
    identity.delete()
