"""The CAPTCHA asked before a one-time code is sent, after an address's first requests (issue 16:
"a per-phone daily cap and a per-address limit, and a CAPTCHA after the first tries").

django-simple-captcha draws the picture (Pillow) and keeps the challenges in its ``CaptchaStore``
table, in the **public schema** (a shared app): a row holds only a random key, the four letters and
an expiry — no personal data, nothing of a hall — so one table serves every hall's host. The count of
code requests per address (``CodeRequest``) is in the public schema too, so that the CAPTCHA follows
an address across halls.

Using it on a page or an API that sends codes:

1. ``captcha_required(address)`` — must this address solve a picture before its next code?
2. if so, show ``captcha_new()``'s picture (``{% include "hallplatform/captcha/_field.html" %}`` with
   ``captcha`` in the context; a form based on ``CaptchaFormMixin`` does both) and check the answer
   with ``captcha_check(key=..., value=...)`` (a key is good for one check, right or wrong);
3. ``code_request_record(address=..., scope=...)`` for each code request let through (before sending,
   whatever the NO: nobody learns whether it exists).

The picture and the spoken letters are served on every hall's host at ``/captcha/image/<key>/`` and
``/captcha/audio/<key>.wav`` (public endpoints, throttled per address). The audio alternative speaks
through the ``flite`` program (Debian's ``flite``); without it (``CAPTCHA_FLITE_PATH`` empty or not
executable) the audio link is simply not offered. People who cannot solve either are told of the
alternatives that need no code (docs/progress-page.md).
"""

from __future__ import annotations

import os
import secrets
import subprocess
import tempfile
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from captcha.models import CaptchaStore
from captcha.views import captcha_image as library_captcha_image
from django import forms
from django.conf import settings
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_GET

from hallplatform.accounts.access import public_endpoint
from hallplatform.models import CodeRequest
from hallplatform.throttling import page_address_throttle

# The library's key is a SHA-1 hex digest; its answer at most 32 characters (its columns).
KEY_MAX_LENGTH = 40
VALUE_MAX_LENGTH = 32
FLITE_TIMEOUT_SECONDS = 10


LETTERS = "ABCDEFGHJKMNPRSTUVWXYZ"


def letters_challenge() -> tuple[str, str]:
    """A challenge of ``CAPTCHA_LENGTH`` capital letters (``CAPTCHA_CHALLENGE_FUNCT``), without I, L,
    O and Q; the answer is the same letters in any case."""
    text = "".join(secrets.choice(LETTERS) for _ in range(int(settings.CAPTCHA_LENGTH)))
    return text, text.lower()


@dataclass(frozen=True)
class Captcha:
    """A new picture to show: its key (sent back with the answer) and where to fetch it."""

    key: str
    image_url: str
    audio_url: str | None


def captcha_audio_available() -> bool:
    """Whether the spoken alternative can be offered: ``CAPTCHA_FLITE_PATH`` names an executable."""
    path = str(settings.CAPTCHA_FLITE_PATH or "")
    return bool(path) and os.path.isfile(path) and os.access(path, os.X_OK)


def captcha_required(address: str, *, now: Any = None) -> bool:
    """Whether ``address`` asked for ``CAPTCHA_AFTER_CODE_REQUESTS`` codes or more within the last
    ``CAPTCHA_WINDOW_MINUTES`` (0: always required)."""
    after = int(settings.CAPTCHA_AFTER_CODE_REQUESTS)
    if after <= 0:
        return True
    since = (now or timezone.now()) - timedelta(minutes=settings.CAPTCHA_WINDOW_MINUTES)
    return CodeRequest.objects.filter(address=address, at__gte=since).count() >= after


def code_request_record(*, address: str, scope: str) -> None:
    """Count a code request of ``address`` (``scope``: which page or API, e.g. "progress")."""
    CodeRequest.objects.create(scope=scope[:32], address=address[:45], at=timezone.now())


def captcha_new() -> Captcha:
    """A new challenge (a row of the public ``CaptchaStore``, valid ``CAPTCHA_TIMEOUT`` minutes)."""
    key = CaptchaStore.generate_key()
    audio = reverse("captcha-audio", kwargs={"key": key}) if captcha_audio_available() else None
    return Captcha(key=key, image_url=reverse("captcha-image", kwargs={"key": key}), audio_url=audio)


def captcha_check(*, key: str, value: str) -> bool:
    """Whether ``value`` answers the challenge ``key`` (case does not matter). The challenge is used
    up by the check, right or wrong: each picture gets one try."""
    key = (key or "")[:KEY_MAX_LENGTH]
    value = (value or "").strip().lower()[:VALUE_MAX_LENGTH]
    if not key:
        return False
    store = CaptchaStore.objects.filter(hashkey=key, expiration__gt=timezone.now()).first()
    CaptchaStore.objects.filter(hashkey=key).delete()
    return store is not None and bool(value) and store.response == value


def captcha_purge_expired() -> int:
    """Delete expired challenges (the library's cleanup); returns how many."""
    deleted, _ = CaptchaStore.objects.filter(expiration__lte=timezone.now()).delete()
    return deleted


def code_requests_purge(*, now: Any = None) -> int:
    """Delete code requests older than the CAPTCHA's window (never read after it); returns how many."""
    since = (now or timezone.now()) - timedelta(minutes=settings.CAPTCHA_WINDOW_MINUTES)
    deleted, _ = CodeRequest.objects.filter(at__lt=since).delete()
    return deleted


# --- A form field for pages -------------------------------------------------------------------------

CAPTCHA_WRONG = _("The characters do not match the picture. Try the new picture.")


class CaptchaFormMixin(forms.Form):
    """Adds the CAPTCHA to a form when ``captcha=True`` is given: two fields, ``captcha_key``
    (hidden) and ``captcha_value``, checked in ``clean()``; a wrong answer is an error of
    ``captcha_value``. ``form.captcha`` is a new picture for the template (drawn when first asked
    for), None when the form asks for none."""

    def __init__(self, *args: Any, captcha: bool = False, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.captcha_asked = captcha
        self._captcha: Captcha | None = None
        if captcha:
            self.fields["captcha_key"] = forms.CharField(max_length=KEY_MAX_LENGTH, widget=forms.HiddenInput)
            self.fields["captcha_value"] = forms.CharField(
                max_length=VALUE_MAX_LENGTH, label=_("Characters in the picture")
            )

    @property
    def captcha(self) -> Captcha | None:
        if self.captcha_asked and self._captcha is None:
            self._captcha = captcha_new()
        return self._captcha

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        if self.captcha_asked and "captcha_value" not in self.errors:
            key, value = self.data.get("captcha_key", ""), self.data.get("captcha_value", "")
            if not captcha_check(key=str(key), value=str(value)):
                self.add_error("captcha_value", CAPTCHA_WRONG)
        return cleaned


# --- The picture and the audio, on every hall's host -----------------------------------------------


def _throttled(request: HttpRequest) -> HttpResponse | None:
    wait = page_address_throttle(request, scope="captcha", rate_setting="CAPTCHA_THROTTLE_RATE")
    if not wait:
        return None
    response = HttpResponse(status=429)
    response["Retry-After"] = str(wait)
    return response


def _private(response: HttpResponseBase) -> HttpResponseBase:
    response["Cache-Control"] = "no-store"
    return response


@public_endpoint
@require_GET
def captcha_image(request: HttpRequest, key: str) -> HttpResponseBase:
    """The challenge's picture (PNG, drawn by the library); an unknown or expired key: 404."""
    if (refused := _throttled(request)) is not None:
        return refused
    key = key[:KEY_MAX_LENGTH]
    if not CaptchaStore.objects.filter(hashkey=key, expiration__gt=timezone.now()).exists():
        raise Http404  # the library answers 410; unknown and expired look alike here, as elsewhere
    return _private(library_captcha_image(request, key, scale=1))


@public_endpoint
@require_GET
def captcha_audio(request: HttpRequest, key: str) -> HttpResponseBase:
    """The challenge's letters spoken by flite (WAV); 404 when flite is not installed or the key is
    unknown or expired."""
    if (refused := _throttled(request)) is not None:
        return refused
    if not captcha_audio_available():
        raise Http404
    store = CaptchaStore.objects.filter(hashkey=key[:KEY_MAX_LENGTH], expiration__gt=timezone.now()).first()
    if store is None:
        raise Http404
    spoken = ", ".join(store.challenge)
    with tempfile.TemporaryDirectory() as directory:
        path = os.path.join(directory, "captcha.wav")
        subprocess.run(  # noqa: S603 (a configured program, the letters as one argument, no shell)
            [str(settings.CAPTCHA_FLITE_PATH), "-t", spoken, "-o", path],
            check=False,
            timeout=FLITE_TIMEOUT_SECONDS,
            capture_output=True,
        )
        if not os.path.isfile(path):
            raise Http404
        audio = open(path, "rb")  # noqa: SIM115 (FileResponse closes it; the directory's entry goes now)
    return _private(FileResponse(audio, content_type="audio/wav"))
