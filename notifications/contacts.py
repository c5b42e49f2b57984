"""Staff contacts and the halls' channel policies: reads and writes (docs/notifications.md,
"Channels to staff").

A person sets their own channels and addresses; a hall lead sets them for the staff of the hall
(window staff and hall leads of that hall). Every refusal is a ValidationError naming the field, and
nothing is saved.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.db.models import QuerySet
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from hallplatform.accounts.models import HALL_ROLES, RoleAssignment, User
from hallplatform.audit.services import audit_record
from hallplatform.personal import normalise_mobile, normalise_phone
from notifications.channels import channels_configured
from notifications.models import (
    CHANNEL_USER_ID_MAX_LENGTH,
    STAFF_EXTERNAL_CHANNELS,
    HallChannelPolicy,
    NoticeChannel,
    StaffContact,
)

# WeCom's UserID and DingTalk's userid: letters, digits and these signs.
_USER_ID = re.compile(rf"[A-Za-z0-9_.@\-]{{1,{CHANNEL_USER_ID_MAX_LENGTH}}}")
EMAIL_MAX_LENGTH = 254
PHONE_MAX_LENGTH = 30


def staff_contact_of(user: Any) -> StaffContact | None:
    return StaffContact.objects.filter(user=user).first()


def hall_staff(*, hall_id: int) -> QuerySet[User]:
    """The people a hall lead may set channels for: the window staff and hall leads of the hall."""
    ids = RoleAssignment.objects.filter(hall_id=hall_id, kind__in=HALL_ROLES).values("user_id")
    return User.objects.filter(pk__in=ids, is_active=True).order_by("display_name", "username")


def _address_errors(
    *, work_phone: str, email: str, wecom_user_id: str, dingtalk_user_id: str, office_phone: str | None = None
) -> tuple[dict[str, str], dict[str, list[str]]]:
    """The addresses cleaned, and the errors by field."""
    cleaned: dict[str, str] = {}
    errors: dict[str, list[str]] = {}
    work_phone, email = work_phone.strip(), email.strip()
    if not work_phone:
        cleaned["work_phone"] = ""
    elif len(work_phone) > PHONE_MAX_LENGTH:
        errors["work_phone"] = [_("Work mobile: at most 30 characters.")]
    else:
        try:
            cleaned["work_phone"] = normalise_mobile(work_phone)
        except ValidationError:
            errors["work_phone"] = [_("Work mobile: enter a mainland mobile number, 11 digits starting with 13 to 19.")]
    if office_phone is not None:
        office_phone = office_phone.strip()
        if len(office_phone) > PHONE_MAX_LENGTH:
            errors["office_phone"] = [_("Office phone: at most 30 characters.")]
        elif office_phone:
            try:
                cleaned["office_phone"] = normalise_phone(office_phone)
            except ValidationError:
                errors["office_phone"] = [
                    _(
                        "Office phone: enter a landline with its area code (0751-8888888, extension "
                        "0751-8888888-123) or a mobile."
                    )
                ]
        else:
            cleaned["office_phone"] = ""
    if len(email) > EMAIL_MAX_LENGTH:
        errors["email"] = [_("E-mail: at most 254 characters.")]
    elif email:
        try:
            validate_email(email)
        except ValidationError:
            errors["email"] = [_("E-mail: enter a valid e-mail address.")]
    cleaned["email"] = email
    for field, value, message in (
        ("wecom_user_id", wecom_user_id.strip(), _("WeCom user id: 1 to 64 letters, digits or the signs _ - . @.")),
        (
            "dingtalk_user_id",
            dingtalk_user_id.strip(),
            _("DingTalk user id: 1 to 64 letters, digits or the signs _ - . @."),
        ),
    ):
        if value and not _USER_ID.fullmatch(value):
            errors[field] = [message]
        cleaned[field] = value
    return cleaned, errors


_NEEDS = {
    NoticeChannel.SMS: ("work_phone", gettext_noop("Work mobile: needed for SMS.")),
    NoticeChannel.EMAIL: ("email", gettext_noop("E-mail: needed for notices by e-mail.")),
    NoticeChannel.WECOM: ("wecom_user_id", gettext_noop("WeCom user id: needed for WeCom messages.")),
    NoticeChannel.DINGTALK: ("dingtalk_user_id", gettext_noop("DingTalk user id: needed for DingTalk messages.")),
}


def _channel_errors(channels: Iterable[str], cleaned: dict[str, str], digest: bool) -> dict[str, list[str]]:
    errors: dict[str, list[str]] = {}
    offered = channels_configured()
    for channel in channels:
        if channel not in offered:
            errors.setdefault("channels", []).append(
                _("Channels: %(value)s is not available.") % {"value": _channel_label(channel)}
            )
            continue
        field, message = _NEEDS[NoticeChannel(channel)]
        if not cleaned.get(field):
            errors.setdefault(field, []).append(_(message))
    if digest and not any(channel in offered for channel in channels):
        errors["digest"] = [_("Daily digest: choose a channel besides the in-app list.")]
    return errors


def _channel_label(channel: str) -> str:
    try:
        return str(NoticeChannel(channel).label)
    except ValueError:
        return channel


@transaction.atomic
def staff_contact_set(
    *,
    user: User,
    actor: Any,
    hall: Any = None,
    work_phone: str,
    email: str,
    wecom_user_id: str,
    dingtalk_user_id: str,
    channels: Iterable[str],
    digest: bool,
    office_phone: str | None = None,
) -> StaffContact:
    """Set how ``user`` is reached outside the app: addresses, chosen channels, daily digest.

    Refused (ValidationError by field, in the reader's language, nothing saved): an address that
    fails validation, a channel that is not configured, a channel without its address, a digest
    without a channel to carry it. Audited (which fields changed, not their values).
    ``office_phone`` (None: left as it is) is the phone printed as the 经办人's on the 登记表 and the
    转办单: a landline with area code and extension, or a mobile.
    """
    wanted = list(dict.fromkeys(channels))
    chosen: list[str] = [str(channel) for channel in STAFF_EXTERNAL_CHANNELS if channel in wanted]
    chosen += [channel for channel in wanted if channel not in STAFF_EXTERNAL_CHANNELS]  # refused below
    cleaned, errors = _address_errors(
        work_phone=work_phone,
        email=email,
        wecom_user_id=wecom_user_id,
        dingtalk_user_id=dingtalk_user_id,
        office_phone=office_phone,
    )
    if not errors:
        errors = _channel_errors(chosen, cleaned, digest)
    if errors:
        raise ValidationError(errors)
    locked = User.objects.select_for_update().get(pk=user.pk)
    contact, _created = StaffContact.objects.select_for_update().get_or_create(user=locked)
    before = {
        "office_phone": locked.office_phone,
        "work_phone": locked.work_phone,
        "email": locked.email,
        "wecom_user_id": contact.wecom_user_id,
        "dingtalk_user_id": contact.dingtalk_user_id,
        "channels": list(contact.channels),
        "digest": contact.digest,
    }
    locked.work_phone, locked.email = cleaned["work_phone"], cleaned["email"]
    locked.office_phone = cleaned.get("office_phone", locked.office_phone)
    locked.save(update_fields=["work_phone", "email", "office_phone"])
    contact.wecom_user_id, contact.dingtalk_user_id = cleaned["wecom_user_id"], cleaned["dingtalk_user_id"]
    contact.channels, contact.digest = chosen, digest
    contact.updated_by = actor if getattr(actor, "is_authenticated", False) else None
    contact.save()
    after = {"office_phone": locked.office_phone, **cleaned, "channels": chosen, "digest": digest}
    changed = sorted(field for field, value in after.items() if before[field] != value)
    audit_record(
        action="staff_contact.set", actor=actor, hall=hall, target=contact, changes={"user": user.pk, "fields": changed}
    )
    user.work_phone, user.email, user.office_phone = locked.work_phone, locked.email, locked.office_phone
    return contact


def hall_channels_policy(*, hall_id: int) -> list[str] | None:
    """The hall's allowed channels, or None: no policy (every configured channel)."""
    row = HallChannelPolicy.objects.filter(hall_id=hall_id).values_list("channels", flat=True).first()
    return None if row is None else list(row)


@transaction.atomic
def hall_channel_policy_set(*, hall: Any, actor: Any, channels: Iterable[str]) -> HallChannelPolicy:
    """The hall lead sets which channels the hall's notices to staff may use besides the in-app
    list; a channel that is not configured is refused. Audited."""
    offered = channels_configured()
    chosen = list(dict.fromkeys(channels))
    refused = [channel for channel in chosen if channel not in offered]
    if refused:
        raise ValidationError(
            {
                "channels": [
                    _("Allowed channels: %(value)s is not available.") % {"value": _channel_label(channel)}
                    for channel in refused
                ]
            }
        )
    ordered = [str(channel) for channel in STAFF_EXTERNAL_CHANNELS if channel in chosen]
    policy, _created = HallChannelPolicy.objects.select_for_update().get_or_create(hall=hall)
    before = list(policy.channels)
    policy.channels = ordered
    policy.updated_by = actor if getattr(actor, "is_authenticated", False) else None
    policy.save()
    audit_record(
        action="hall_channel_policy.set",
        actor=actor,
        hall=hall,
        target=policy,
        changes={"before": before, "after": ordered},
    )
    return policy
