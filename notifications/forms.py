"""Forms of the channel pages: they parse what was posted; notifications.contacts decides."""

from __future__ import annotations

from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from notifications.models import CHANNEL_USER_ID_MAX_LENGTH, NoticeChannel


def _channel_choices(offered: tuple[str, ...]) -> list[tuple[str, Any]]:
    return [(channel, NoticeChannel(channel).label) for channel in offered]


class StaffContactForm(forms.Form):
    work_phone = forms.CharField(
        label=_("Work mobile"),
        required=False,
        max_length=30,
        error_messages={"max_length": _("Work mobile: at most 30 characters.")},
    )
    office_phone = forms.CharField(
        label=_("Office phone (printed on the registration form and the transfer slip)"),
        required=False,
        max_length=30,
        error_messages={"max_length": _("Office phone: at most 30 characters.")},
    )
    email = forms.CharField(
        label=_("E-mail"),
        required=False,
        max_length=254,
        error_messages={"max_length": _("E-mail: at most 254 characters.")},
    )
    wecom_user_id = forms.CharField(
        label=_("WeCom user id"),
        required=False,
        max_length=CHANNEL_USER_ID_MAX_LENGTH,
        error_messages={"max_length": _("WeCom user id: 1 to 64 letters, digits or the signs _ - . @.")},
    )
    dingtalk_user_id = forms.CharField(
        label=_("DingTalk user id"),
        required=False,
        max_length=CHANNEL_USER_ID_MAX_LENGTH,
        error_messages={"max_length": _("DingTalk user id: 1 to 64 letters, digits or the signs _ - . @.")},
    )
    channels = forms.MultipleChoiceField(
        label=_("Channels besides the in-app list"),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        error_messages={"invalid_choice": _("Channels: %(value)s is not available.")},
    )
    digest = forms.BooleanField(label=_("Ordinary notices also as one daily digest"), required=False)

    def __init__(self, *args: Any, offered: tuple[str, ...], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.offered = offered
        self.fields["channels"].choices = _channel_choices(offered)  # type: ignore[attr-defined]
        # A provider that is not configured is not offered: no field for its address either.
        if NoticeChannel.WECOM not in offered:
            del self.fields["wecom_user_id"]
        if NoticeChannel.DINGTALK not in offered:
            del self.fields["dingtalk_user_id"]

    def add_service_errors(self, error: ValidationError) -> None:
        for field, messages in error.message_dict.items():
            self.add_error(field if field in self.fields else None, messages)


class HallChannelPolicyForm(forms.Form):
    channels = forms.MultipleChoiceField(
        label=_("Channels this hall's notices to staff may use besides the in-app list"),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        error_messages={"invalid_choice": _("Allowed channels: %(value)s is not available.")},
    )

    def __init__(self, *args: Any, offered: tuple[str, ...], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["channels"].choices = _channel_choices(offered)  # type: ignore[attr-defined]
