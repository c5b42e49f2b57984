from __future__ import annotations

from typing import Any

from django import forms
from django.conf import settings
from django.contrib import admin
from django.contrib.auth.admin import UserAdmin
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

# django-otp's admin pages for authenticator apps and recovery codes would show secrets and remove
# them unaudited: second factors are reset on /accounts/two-factor/staff/ (audited). Importing the
# modules registers them, whatever the app order, so that they can be taken out here.
from django_otp.plugins.otp_static import admin as _otp_static_admin  # noqa: F401
from django_otp.plugins.otp_static.models import StaticDevice
from django_otp.plugins.otp_totp import admin as _otp_totp_admin  # noqa: F401
from django_otp.plugins.otp_totp.models import TOTPDevice

from hallplatform.accounts.models import ApiToken, OidcIdentity, RoleAssignment, RoleKind, User
from hallplatform.accounts.oidc import oidc_identity_link, oidc_identity_unlink
from hallplatform.accounts.services import (
    api_token_revoke,
    role_assignment_save,
    role_revoke,
    user_security_change_record,
)
from hallplatform.clientip import request_origin

# What only a superuser (the combined platform operator) changes on a login.
SUPERUSER_ONLY_FIELDS = ("is_superuser", "is_staff", "groups", "user_permissions")
# Changes of a login that go to the security log (field names only).
AUDITED_USER_FIELDS = frozenset({"username", "is_active", "is_staff", "is_superuser", "groups", "user_permissions"})


class RoleAssignmentInline(admin.TabularInline):
    model = RoleAssignment
    fk_name = "user"
    extra = 0
    fields = ["kind", "hall", "department", "may_reveal_personal_data", "granted_at"]
    readonly_fields = ["granted_at"]
    autocomplete_fields = ["hall", "department"]

    def formfield_for_choice_field(self, db_field: Any, request: HttpRequest, **kwargs: Any) -> Any:
        if db_field.name == "kind" and not request.user.is_superuser:
            # The security administrator never grants the combined operator (a superuser).
            kwargs["choices"] = [c for c in RoleKind.choices if c[0] != RoleKind.PLATFORM_OPERATOR]
        return super().formfield_for_choice_field(db_field, request, **kwargs)


@admin.register(User)
class BanchengUserAdmin(UserAdmin):
    """People and their roles. Every role granted, changed or revoked here goes through the accounts
    services (separation of duties checked there) and into the security log."""

    list_display = ["username", "display_name", "work_phone", "is_active", "last_login"]
    search_fields = ["username", "display_name"]
    fieldsets = (
        *(UserAdmin.fieldsets or ()),
        (_("Work"), {"fields": ("display_name", "work_phone")}),
    )
    inlines = [RoleAssignmentInline]

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        fields = list(super().get_readonly_fields(request, obj))
        if not request.user.is_superuser:
            fields += [name for name in SUPERUSER_ONLY_FIELDS if name not in fields]
        return fields

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        if not super().has_change_permission(request, obj):
            return False
        if obj is None or request.user.is_superuser:
            return True
        # Not their own login (no self-service roles or password here), nor a superuser's.
        return obj.pk != request.user.pk and not obj.is_superuser

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        super().save_model(request, obj, form, change)
        if not change:
            user_security_change_record(user=obj, actor=request.user, action="user.create")
        elif changed := sorted(AUDITED_USER_FIELDS & set(form.changed_data)):
            user_security_change_record(user=obj, actor=request.user, action="user.change", fields=changed)

    def save_formset(self, request: HttpRequest, form: Any, formset: Any, change: bool) -> None:
        if formset.model is not RoleAssignment:
            super().save_formset(request, form, formset, change)
            return
        assignments = formset.save(commit=False)
        for assignment in formset.deleted_objects:
            role_revoke(assignment=assignment, actor=request.user)
        for assignment in assignments:
            role_assignment_save(assignment=assignment, actor=request.user)
        formset.save_m2m()

    def user_change_password(self, request: HttpRequest, id: str, form_url: str = "") -> Any:
        response = super().user_change_password(request, id, form_url)
        if request.method == "POST" and response.status_code == 302:
            target = User.objects.get(pk=id)
            user_security_change_record(user=target, actor=request.user, action="user.password_reset")
        return response


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):
    """Operators see every token without its secret (only a digest is kept) and revoke them."""

    list_display = ["prefix", "name", "user", "created_at", "expires_at", "last_used_at", "revoked_at"]
    list_filter = ["revoked_at"]
    search_fields = ["user__username", "name", "prefix"]
    fields = ["user", "name", "prefix", "created_at", "expires_at", "last_used_at", "revoked_at", "revoked_by"]
    readonly_fields = ["user", "name", "prefix", "created_at", "expires_at", "last_used_at", "revoked_at", "revoked_by"]
    actions = ["revoke"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # made by their owners (My API tokens, /api/v1/tokens/) or create_staff --token

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False  # revoked, never deleted: the audit trail points at them

    @admin.action(description=_("Revoke the selected tokens"))
    def revoke(self, request: HttpRequest, queryset: QuerySet[ApiToken]) -> None:
        for token in queryset.filter(revoked_at__isnull=True):
            api_token_revoke(token=token, actor=request.user, origin=request_origin(request))
        self.message_user(request, _("The selected tokens are revoked."))


class OidcIdentityForm(forms.ModelForm):
    class Meta:
        model = OidcIdentity
        fields = ["user", "subject"]

    def clean_subject(self) -> str:
        subject = str(self.cleaned_data["subject"]).strip()
        if OidcIdentity.objects.filter(issuer=settings.OIDC_OP_ISSUER, subject=subject).exists():
            raise forms.ValidationError(_("This identity provider account is already linked to a staff login."))
        return subject


@admin.register(OidcIdentity)
class OidcIdentityAdmin(admin.ModelAdmin):
    """The security administrator binds a staff login to a provider account by its ``sub`` (the issuer is
    OIDC_OP_ISSUER), or removes a binding; both audited. A binding is never edited."""

    list_display = ["user", "subject", "issuer", "linked_at", "linked_by"]
    search_fields = ["user__username", "subject"]
    form = OidcIdentityForm
    fields = ["user", "subject"]
    raw_id_fields = ["user"]

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return obj is None and super().has_change_permission(request, obj)

    def save_model(self, request: HttpRequest, obj: OidcIdentity, form: Any, change: bool) -> None:
        identity = oidc_identity_link(
            user=obj.user,
            subject=obj.subject,
            actor=request.user,  # type: ignore[arg-type]
            origin=request_origin(request),
        )
        obj.pk, obj.issuer = identity.pk, identity.issuer

    def delete_model(self, request: HttpRequest, obj: OidcIdentity) -> None:
        oidc_identity_unlink(identity=obj, actor=request.user, origin=request_origin(request))  # type: ignore[arg-type]


for _model in (TOTPDevice, StaticDevice):
    if admin.site.is_registered(_model):
        admin.site.unregister(_model)
