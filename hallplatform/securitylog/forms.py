"""The security log's filters, the same on the page and in the API."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from hallplatform.securitylog.selectors import SecurityLogFilter

ACTION_MAX_LENGTH = 80
USERNAME_MAX_LENGTH = 150


class SecurityLogFilterForm(forms.Form):
    action = forms.CharField(label=_("Action"), required=False, max_length=ACTION_MAX_LENGTH)
    user = forms.CharField(label=_("User"), required=False, max_length=USERNAME_MAX_LENGTH)
    since = forms.DateField(label=_("From"), required=False, widget=forms.DateInput(attrs={"type": "date"}))
    until = forms.DateField(label=_("To"), required=False, widget=forms.DateInput(attrs={"type": "date"}))


class SecurityLogFilterSerializer(serializers.Serializer):
    action = serializers.CharField(
        required=False,
        max_length=ACTION_MAX_LENGTH,
        help_text="An action (login.failure) or a group of actions (login, api_token, two_factor, role, case.reveal).",
    )
    user = serializers.CharField(
        required=False, max_length=USERNAME_MAX_LENGTH, help_text="A username: who acted, or whose login it concerns."
    )
    since = serializers.DateField(required=False, help_text="From this day (Asia/Shanghai), included.")
    until = serializers.DateField(required=False, help_text="To this day (Asia/Shanghai), included.")


def security_log_filter(data: dict[str, Any]) -> SecurityLogFilter:
    return SecurityLogFilter(
        action=(data.get("action") or "").strip(),
        user=(data.get("user") or "").strip(),
        since=data.get("since"),
        until=data.get("until"),
    )
