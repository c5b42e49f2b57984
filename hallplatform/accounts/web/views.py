"""Web login and logout, on every host. A person may log in only where they hold a role."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib.auth import authenticate, login
from django.contrib.auth import views as auth_views
from django.http import HttpRequest, HttpResponseRedirect
from django.utils.translation import gettext_lazy as _

from hallplatform.accounts.access import SESSION_HOST_KEY, public_endpoint, roles_for
from tenants.routing import normalise_host


class HostLoginForm(forms.Form):
    username = forms.CharField(label=_("Username"), max_length=150)
    password = forms.CharField(label=_("Password"), strip=False, widget=forms.PasswordInput)

    error_messages = {
        # One message for a wrong password and for a person without a role on this host, so that
        # the form does not tell who works where.
        "invalid_login": _("The username or password is wrong, or you hold no role at this hall."),
    }

    def __init__(self, request: HttpRequest | None = None, *args: Any, **kwargs: Any) -> None:
        self.request = request
        self.user_cache: Any = None
        super().__init__(*args, **kwargs)

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        username, password = cleaned.get("username"), cleaned.get("password")
        if username and password:
            user = authenticate(self.request, username=username, password=password)
            route = getattr(self.request, "hall_route", None)
            if user is None or not roles_for(user=user, route=route):
                raise forms.ValidationError(self.error_messages["invalid_login"], code="invalid_login")
            self.user_cache = user
        return cleaned

    def get_user(self) -> Any:
        return self.user_cache


class HostLoginView(auth_views.LoginView):
    form_class = HostLoginForm  # type: ignore[assignment]
    template_name = "accounts/login.html"
    redirect_authenticated_user = False

    def form_valid(self, form: Any) -> Any:
        login(self.request, form.get_user())
        self.request.session[SESSION_HOST_KEY] = normalise_host(self.request.get_host())
        return HttpResponseRedirect(self.get_success_url())


login_view = public_endpoint(HostLoginView.as_view())
logout_view = public_endpoint(auth_views.LogoutView.as_view())
