"""The test provider's ID tokens say how the person logged in: people whose username ends in ``_mfa``
gave a second factor there (amr ["pwd", "otp"], acr "loa3"), the others a password (["pwd"], "loa1")."""

from __future__ import annotations

from typing import Any

from oauth2_provider.oauth2_validators import OAuth2Validator


class ProvinceValidator(OAuth2Validator):
    oidc_claim_scope = None  # every claim below goes into the ID token

    def get_additional_claims(self, request: Any) -> dict[str, Any]:
        mfa = request.user.username.endswith("_mfa")
        return {"amr": ["pwd", "otp"] if mfa else ["pwd"], "acr": "loa3" if mfa else "loa1"}
