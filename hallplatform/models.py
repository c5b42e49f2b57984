"""Models of the platform app itself (public schema)."""

from __future__ import annotations

from django.db import models


class CodeRequest(models.Model):
    """One request for a one-time code from a client address (any hall, any page or API that sends
    codes), counted by the CAPTCHA's rule (hallplatform/captcha.py): after the first
    ``CAPTCHA_AFTER_CODE_REQUESTS`` within ``CAPTCHA_WINDOW_MINUTES`` the address must solve a picture.
    Only the address and the time: no NO, no phone. Purged by beat after the window."""

    scope = models.CharField(max_length=32)
    address = models.CharField(max_length=45)
    at = models.DateTimeField()

    class Meta:
        indexes = [models.Index(fields=["address", "at"], name="code_request_address")]

    def __str__(self) -> str:
        return f"{self.scope} {self.address} {self.at}"
