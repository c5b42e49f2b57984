"""Two-factor login (docs/security.md, "Two-factor login").

The password is step one (the login form); step two is a 6-digit code from an authenticator app
(django-otp's TOTP device) or one of ten recovery codes (its static device), after which django-otp
marks the session verified (``user.is_verified()``, ``OTPMiddleware``). The second factor is *due*
for a person who enrolled one, and for every hall lead, city supervisor and platform operator when
``TWO_FACTOR_REQUIRED`` is on (the default with ``DJANGO_ENV=production``); ``TwoFactorMiddleware``
(hallplatform/middleware.py) keeps a person whose second factor is due and not given away from every
page and session-authenticated API call, on every host. Other staff may enrol on their own.

API tokens are not asked for a second factor: with ``TWO_FACTOR_REQUIRED`` only a verified session
may make one (``may_make_api_tokens``), so a token stands for a login that gave both factors.
"""

from __future__ import annotations

import time
from base64 import b32encode
from binascii import unhexlify
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

import qrcode
import qrcode.image.svg
from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Exists, OuterRef, Q, QuerySet
from django.http import Http404
from django.urls import reverse
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django_otp import verify_token
from django_otp.oath import TOTP
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice
from django_otp.util import random_hex

from hallplatform.accounts.models import DEPARTMENT_ROLES, HALL_ROLES, RoleAssignment, RoleKind, User
from hallplatform.audit.services import audit_record

if TYPE_CHECKING:
    from tenants.routing import HallRoute

# Roles that must give a second factor when TWO_FACTOR_REQUIRED is on (wherever the role is held).
SECOND_FACTOR_ROLES = (
    RoleKind.HALL_LEAD,
    RoleKind.CITY_SUPERVISOR,
    RoleKind.DISCIPLINE_INSPECTOR,
    RoleKind.PLATFORM_OPERATOR,
)
RECOVERY_CODE_COUNT = 10
TOTP_DIGITS = 6
TOTP_DEVICE_NAME = "authenticator"
RECOVERY_DEVICE_NAME = "recovery codes"


# Set in a session whose second factor was given at the identity provider (its acr/amr, judged by
# OIDC_MFA_ACR / OIDC_MFA_AMR: hallplatform/accounts/oidc.py), or carried by a ticket of such a login:
# TwoFactorMiddleware then counts the session as verified, as django-otp does for its own devices.
SESSION_EXTERNAL_SECOND_FACTOR_KEY = "_bancheng_external_second_factor"


def two_factor_step(view: Any) -> Any:
    """Mark a view as part of the second step (verify, enrol): reachable before the second factor is given."""
    view.two_factor_step = True
    return view


# --- Policy ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class SecondFactorState:
    enrolled: bool  # has an authenticator app (a confirmed TOTP device)
    required: bool  # their role requires one and TWO_FACTOR_REQUIRED is on

    @property
    def due(self) -> bool:
        """Whether the second factor must be given before the session counts."""
        return self.enrolled or self.required


def second_factor_state(user: Any) -> SecondFactorState:
    """Whether ``user`` has a second factor and whether their role requires one (one query)."""
    if user is None or not getattr(user, "is_authenticated", False):
        return SecondFactorState(enrolled=False, required=False)
    enforced = bool(settings.TWO_FACTOR_REQUIRED)
    row = (
        User.objects.filter(pk=user.pk)
        .annotate(
            enrolled=Exists(TOTPDevice.objects.filter(user_id=OuterRef("pk"), confirmed=True)),
            role_requires=Exists(RoleAssignment.objects.filter(user_id=OuterRef("pk"), kind__in=SECOND_FACTOR_ROLES)),
        )
        .values_list("enrolled", "role_requires")
        .first()
    )
    if row is None:
        return SecondFactorState(enrolled=False, required=False)
    return SecondFactorState(enrolled=bool(row[0]), required=enforced and bool(row[1]))


def is_verified(user: Any) -> bool:
    """Whether the session gave its second factor (django-otp's OTPMiddleware). A user found by an API
    token is never "verified": tokens are not sessions."""
    check = getattr(user, "is_verified", None)
    return bool(check()) if callable(check) else False


def may_make_api_tokens(user: Any) -> bool:
    """With TWO_FACTOR_REQUIRED, API tokens are made only from a session that gave a second factor
    (a token is not asked for one later); without it, by anyone logged in."""
    return not settings.TWO_FACTOR_REQUIRED or is_verified(user)


# --- Enrolment -------------------------------------------------------------------------------------


def totp_key_new() -> str:
    """A new secret for an authenticator app (hex, 20 random bytes, as django-otp stores it)."""
    return str(random_hex(20))


def totp_key_text(key: str) -> str:
    """The secret as people type it into an app: base32, in groups of four."""
    text = b32encode(unhexlify(key)).decode()
    return " ".join(text[i : i + 4] for i in range(0, len(text), 4))


def totp_config_url(*, user: User, key: str) -> str:
    """The otpauth:// address the QR code carries (issuer OTP_TOTP_ISSUER, the username as label)."""
    return str(TOTPDevice(user=user, key=key).config_url)


def qr_svg(text: str) -> str:
    """``text`` as a QR code in SVG (no script, no image file: the page carries it inline)."""
    image = qrcode.make(text, image_factory=qrcode.image.svg.SvgPathImage, box_size=12)
    return str(image.to_string(encoding="unicode"))


def totp_match(*, key: str, code: str) -> int | None:
    """The time step at which ``code`` is the key's code, looking at this step and the ones before and
    after (a phone's clock may be a little off, the code may change while typed); None if it is not."""
    code = normalise_code(code)
    if len(code) != TOTP_DIGITS or not code.isdigit():
        return None
    totp = TOTP(unhexlify(key), digits=TOTP_DIGITS)
    totp.time = time.time()
    return totp.t() if totp.verify(int(code), tolerance=1) else None


def normalise_code(code: str) -> str:
    """A code as typed, without spaces and hyphens, in lower case (recovery codes are lower case)."""
    return "".join((code or "").split()).replace("-", "").lower()


def recovery_codes_new(*, device: StaticDevice) -> list[str]:
    """Replace the device's recovery codes with RECOVERY_CODE_COUNT new ones; returns them (shown once)."""
    device.token_set.all().delete()
    codes = [StaticToken.random_token() for _ in range(RECOVERY_CODE_COUNT)]
    StaticToken.objects.bulk_create([StaticToken(device=device, token=code) for code in codes])
    return codes


@transaction.atomic
def two_factor_enrol(
    *, user: User, key: str, code: str, hall: Any = None, origin: dict[str, str] | None = None
) -> tuple[TOTPDevice, list[str]]:
    """Confirm an authenticator app with a code it shows, and give ten new recovery codes (returned:
    shown once). Refused when the code does not match, or when the person already has one."""
    if TOTPDevice.objects.filter(user_id=user.pk, confirmed=True).exists():
        raise ValidationError({"code": [_("You already use two-factor login.")]})
    match = totp_match(key=key, code=code)
    if match is None:
        raise ValidationError({"code": [_("The code is wrong. Enter the 6 digits your app shows now.")]})
    TOTPDevice.objects.filter(user_id=user.pk).delete()
    StaticDevice.objects.filter(user_id=user.pk).delete()
    # last_t: this code (and older ones) cannot be used again to log in.
    device = TOTPDevice.objects.create(
        user=user, name=TOTP_DEVICE_NAME, key=key, confirmed=True, digits=TOTP_DIGITS, last_t=match
    )
    recovery = StaticDevice.objects.create(user=user, name=RECOVERY_DEVICE_NAME, confirmed=True)
    codes = recovery_codes_new(device=recovery)
    audit_record(
        action="two_factor.enrol",
        actor=user,
        hall=hall,
        target=user,
        changes={"username": user.get_username(), **(origin or {})},
    )
    return device, codes


# --- The second step --------------------------------------------------------------------------------


@dataclass
class VerifyResult:
    device: Any = None  # the device that accepted the code, or None
    method: str = ""  # "totp" or "recovery_code"
    wait_until: datetime | None = None  # refused without looking: too soon after wrong codes
    recovery_codes_left: int = 0

    @property
    def ok(self) -> bool:
        return self.device is not None


def two_factor_verify(*, user: User, code: str) -> VerifyResult:
    """Check a code: 6 digits against the person's authenticator app, anything else against their
    recovery codes (a recovery code works once). django-otp's devices also slow down repeated wrong
    codes (1, 2, 4, … seconds); a code that comes too soon is refused unlooked (``wait_until``)."""
    text = normalise_code(code)
    if len(text) == TOTP_DIGITS and text.isdigit():
        device: Any = TOTPDevice.objects.filter(user_id=user.pk, confirmed=True).first()
        method = "totp"
    else:
        device = StaticDevice.objects.filter(user_id=user.pk, confirmed=True).first()
        method = "recovery_code"
    if device is None or not text:
        return VerifyResult(method=method)
    allowed, details = device.verify_is_allowed()
    if not allowed:
        return VerifyResult(method=method, wait_until=(details or {}).get("locked_until"))
    with transaction.atomic():
        accepted = verify_token(user, device.persistent_id, text)
        if accepted is None:
            return VerifyResult(method=method)
        result = VerifyResult(device=accepted, method=method)
        if method == "recovery_code":
            result.recovery_codes_left = StaticToken.objects.filter(device_id=accepted.pk).count()
    return result


def recovery_codes_left(*, user: Any) -> int:
    return StaticToken.objects.filter(device__user_id=user.pk).count()


def current_code_check(*, user: User, code: str) -> None:
    """Raise ValidationError on ``code`` unless it is the person's current authenticator code."""
    text = normalise_code(code)
    device = TOTPDevice.objects.filter(user_id=user.pk, confirmed=True).first()
    if device is None:
        raise ValidationError({"code": [_("You do not use two-factor login.")]})
    if not (len(text) == TOTP_DIGITS and text.isdigit()) or not device.verify_is_allowed()[0]:
        raise ValidationError({"code": [_("The code is wrong. Enter the 6 digits your app shows now.")]})
    with transaction.atomic():
        if verify_token(user, device.persistent_id, text) is None:
            raise ValidationError({"code": [_("The code is wrong. Enter the 6 digits your app shows now.")]})


# --- The person's own second factor ------------------------------------------------------------------


@transaction.atomic
def recovery_codes_regenerate(
    *, user: User, code: str, hall: Any = None, origin: dict[str, str] | None = None
) -> list[str]:
    """New recovery codes for a person who gives a current code; the old ones stop working."""
    current_code_check(user=user, code=code)
    device, _created = StaticDevice.objects.get_or_create(
        user=user, name=RECOVERY_DEVICE_NAME, defaults={"confirmed": True}
    )
    codes = recovery_codes_new(device=device)
    audit_record(
        action="two_factor.recovery_codes",
        actor=user,
        hall=hall,
        target=user,
        changes={"username": user.get_username(), **(origin or {})},
    )
    return codes


@transaction.atomic
def two_factor_disable(*, user: User, code: str, hall: Any = None, origin: dict[str, str] | None = None) -> None:
    """Stop using two-factor login (with a current code). Refused while the person's role requires it."""
    if second_factor_state(user).required:
        raise ValidationError({"code": [_("Your role requires two-factor login; it cannot be turned off.")]})
    current_code_check(user=user, code=code)
    devices_remove(user=user)
    audit_record(
        action="two_factor.disable",
        actor=user,
        hall=hall,
        target=user,
        changes={"username": user.get_username(), **(origin or {})},
    )


def devices_remove(*, user: Any) -> int:
    """Remove the person's authenticator app and recovery codes; sessions verified with them are no
    longer verified (django-otp finds the device gone). Returns how many devices went."""
    removed = TOTPDevice.objects.filter(user_id=user.pk).delete()[1].get(TOTPDevice._meta.label, 0)
    removed += StaticDevice.objects.filter(user_id=user.pk).delete()[1].get(StaticDevice._meta.label, 0)
    return int(removed)


# --- Hall leads and operators: resetting someone's second factor ----------------------------------------


def two_factor_people_for_staff(*, actor: Any, route: HallRoute | None, operator: bool) -> QuerySet[User]:
    """The people whose second factor ``actor`` may reset, among those who have one: on a hall's host
    (its hall lead) the window staff, hall leads and department staff of that hall whose every role is
    in that hall (logins are global: someone who also works elsewhere, a city supervisor or a platform
    operator is not the hall's to reset); on the city portal (a platform operator) everyone. Never oneself."""
    people = User.objects.filter(Exists(TOTPDevice.objects.filter(user_id=OuterRef("pk")))).exclude(pk=actor.pk)
    if route is not None:
        here = Q(kind__in=HALL_ROLES, hall_id=route.hall_id) | Q(
            kind__in=DEPARTMENT_ROLES, department__hall_id=route.hall_id
        )
        in_hall = RoleAssignment.objects.filter(here, user_id=OuterRef("pk"))
        elsewhere = RoleAssignment.objects.filter(user_id=OuterRef("pk")).exclude(here)
        people = people.filter(Exists(in_hall)).exclude(Exists(elsewhere)).exclude(is_superuser=True)
    elif not operator:
        return User.objects.none()
    return people.order_by("username")


@transaction.atomic
def two_factor_reset(
    *,
    target_id: int,
    actor: Any,
    route: HallRoute | None,
    operator: bool,
    hall: Any = None,
    origin: dict[str, str] | None = None,
) -> User:
    """A hall lead (their hall's staff) or a platform operator (anyone) removes a person's second factor,
    e.g. after a lost phone: the person logs in with the password and enrols again (at once, if their
    role requires it). Anyone out of reach is told it does not exist (404)."""
    target = two_factor_people_for_staff(actor=actor, route=route, operator=operator).filter(pk=target_id).first()
    if target is None:
        raise Http404
    removed = devices_remove(user=target)
    audit_record(
        action="two_factor.reset",
        actor=actor,
        hall=hall,
        target=target,
        changes={"username": target.get_username(), "devices": removed, **(origin or {})},
    )
    return target


def second_step_url(*, enrolled: bool, next_url: str) -> str:
    """Where a person who owes the second factor goes: the code form, or enrolment if they have no app yet."""
    target = reverse("accounts:two_factor_verify" if enrolled else "accounts:two_factor_enrol")
    return f"{target}?{urlencode({'next': next_url})}"
