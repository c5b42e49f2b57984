"""People (one login each) and the roles they hold in halls, departments and cities."""

from __future__ import annotations

from django.contrib.auth.models import AbstractUser
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


class User(AbstractUser):
    """One login per person, usable on every host where the person holds a role."""

    display_name = models.CharField(_("name"), max_length=50, blank=True)
    # The work mobile: where SMS notices to the person go (notifications/contacts.py).
    work_phone = models.CharField(_("work phone"), max_length=30, blank=True)
    # The phone printed next to the person's name as 经办人 on the 登记表 and the 转办单: a desk
    # landline (with extension) or a mobile, normalised by hallplatform.personal.normalise_phone.
    office_phone = models.CharField(_("office phone"), max_length=30, blank=True)

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")

    def __str__(self) -> str:
        return self.display_name or self.username

    @property
    def printed_phone(self) -> str:
        """The phone the forms print for the person: the office phone, else the work mobile."""
        return self.office_phone or self.work_phone


class RoleKind(models.TextChoices):
    WINDOW_STAFF = "window_staff", _("Window staff")
    HALL_LEAD = "hall_lead", _("Hall lead")
    DEPARTMENT_HANDLER = "department_handler", _("Department handler")
    DEPARTMENT_LEAD = "department_lead", _("Department lead")
    CITY_SUPERVISOR = "city_supervisor", _("City supervisor")
    # 纪检监察: reads every hall of its city (cases, timelines, the audit trail), never reveals,
    # never changes anything (docs/personal-data.md "Discipline inspection").
    DISCIPLINE_INSPECTOR = "discipline_inspector", _("Discipline inspection")
    # The combined operator (small deployments): system, security and audit administration at once.
    PLATFORM_OPERATOR = "platform_operator", _("Platform operator")
    # Separation of duties (三员分立, GB/T 22239 level 3): each of the operator's duties alone.
    SYSTEM_ADMIN = "system_admin", _("System administrator")
    SECURITY_ADMIN = "security_admin", _("Security administrator")
    AUDIT_ADMIN = "audit_admin", _("Audit administrator")


HALL_ROLES = (RoleKind.WINDOW_STAFF, RoleKind.HALL_LEAD)
DEPARTMENT_ROLES = (RoleKind.DEPARTMENT_HANDLER, RoleKind.DEPARTMENT_LEAD)
# Roles on the platform (no hall, no department), all on the base domain only.
OPERATOR_ROLES = (RoleKind.PLATFORM_OPERATOR, RoleKind.SYSTEM_ADMIN, RoleKind.SECURITY_ADMIN, RoleKind.AUDIT_ADMIN)
# Who holds each duty: its own administrator, and the combined platform operator.
SYSTEM_DUTY_ROLES = (RoleKind.PLATFORM_OPERATOR, RoleKind.SYSTEM_ADMIN)  # halls, calendar, notices, workers
SECURITY_DUTY_ROLES = (RoleKind.PLATFORM_OPERATOR, RoleKind.SECURITY_ADMIN)  # people, roles, tokens, lockouts
AUDIT_DUTY_ROLES = (RoleKind.PLATFORM_OPERATOR, RoleKind.AUDIT_ADMIN)  # reads the security log and audit trail
# Roles given in a city (``hall`` is the city hall) that reach every hall of it.
CITY_ROLES = (RoleKind.CITY_SUPERVISOR, RoleKind.DISCIPLINE_INSPECTOR)


class RoleAssignment(models.Model):
    """A role a person holds: in a hall (window staff, hall lead), in a department (handler, lead),
    in a city (supervisor: ``hall`` is the city hall) or on the platform (operator, or one of the system,
    security and audit administrators)."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="roles")
    kind = models.CharField(_("role"), max_length=30, choices=RoleKind.choices)
    hall = models.ForeignKey(
        "tenants.Hall",
        verbose_name=_("hall"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="role_assignments",
    )
    department = models.ForeignKey(
        "tenants.Department",
        verbose_name=_("department"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="role_assignments",
    )
    may_reveal_personal_data = models.BooleanField(
        _("may reveal personal data"),
        default=False,
        help_text=_("Show unmasked phone, ID number, name and address of cases (every reveal is audited)."),
    )
    granted_at = models.DateTimeField(_("granted at"), auto_now_add=True)
    granted_by = models.ForeignKey(User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")

    class Meta:
        verbose_name = _("role assignment")
        verbose_name_plural = _("role assignments")
        constraints = [
            models.CheckConstraint(
                name="role_scope_matches_kind",
                condition=(
                    Q(
                        kind__in=["window_staff", "hall_lead", "city_supervisor", "discipline_inspector"],
                        hall__isnull=False,
                        department__isnull=True,
                    )
                    | Q(kind__in=["department_handler", "department_lead"], hall__isnull=True, department__isnull=False)
                    | Q(
                        kind__in=["platform_operator", "system_admin", "security_admin", "audit_admin"],
                        hall__isnull=True,
                        department__isnull=True,
                    )
                ),
            ),
            models.UniqueConstraint(
                fields=["user", "kind", "hall", "department"],
                name="role_assignment_unique",
                nulls_distinct=False,
            ),
        ]

    def __str__(self) -> str:
        scope = self.hall or self.department or _("platform")
        return f"{self.user} · {self.get_kind_display()} · {scope}"


API_TOKEN_NAME_MAX_LENGTH = 100


class ApiToken(models.Model):
    """An API token (``Authorization: Token <secret>``). Only a SHA-256 digest of the secret is kept:
    the secret is shown once, when the token is made. The secret is random (at least 160 bits), so a
    plain digest is enough (no salt or slow hash: nothing to guess). ``prefix`` (its first characters)
    lets its owner tell tokens apart."""

    user = models.ForeignKey(User, verbose_name=_("user"), on_delete=models.CASCADE, related_name="api_tokens")
    name = models.CharField(_("name"), max_length=API_TOKEN_NAME_MAX_LENGTH)
    prefix = models.CharField(_("prefix"), max_length=12)
    digest = models.CharField(_("digest"), max_length=64, unique=True, editable=False)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    expires_at = models.DateTimeField(
        _("expires at"), null=True, blank=True, help_text=_("Empty: never (only tokens made before hashing).")
    )
    last_used_at = models.DateTimeField(_("last used at"), null=True, blank=True)
    revoked_at = models.DateTimeField(_("revoked at"), null=True, blank=True)
    revoked_by = models.ForeignKey(User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")

    class Meta:
        verbose_name = _("API token")
        verbose_name_plural = _("API tokens")
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.prefix}… · {self.name}"


# --- One login for the city (hallplatform/accounts/sso.py) ----------------------------------------

SSO_HOST_MAX_LENGTH = 253


class CityLogin(models.Model):
    """One login of a person (a password on any host, then perhaps a second factor), shared by every
    session it opened: the session where the password was given and the sessions that tickets of the
    city login opened on the halls' hosts. Logging out of one ends them all (``ended_at``)."""

    user = models.ForeignKey(User, verbose_name=_("user"), on_delete=models.CASCADE, related_name="city_logins")
    started_at = models.DateTimeField(_("started at"), auto_now_add=True)
    ended_at = models.DateTimeField(_("ended at"), null=True, blank=True)
    # How the person authenticated: "password", or "oidc" with the provider's acr and amr values.
    method = models.CharField(max_length=20, default="password")
    acr = models.CharField(max_length=200, blank=True)
    amr = models.CharField(max_length=200, blank=True)

    class Meta:
        verbose_name = _("city login")
        verbose_name_plural = _("city logins")

    def __str__(self) -> str:
        return f"{self.user} · {self.started_at:%Y-%m-%d %H:%M}"


class CityLoginSession(models.Model):
    """A session (its key in the session store) opened by a city login: what logging out deletes.
    Written by the session store (hallplatform/sessions.py) each time such a session is saved."""

    login = models.ForeignKey(CityLogin, on_delete=models.CASCADE, related_name="sessions")
    session_key = models.CharField(max_length=40, unique=True)

    def __str__(self) -> str:
        return f"{self.login_id} · {self.session_key[:8]}…"


class SsoTicket(models.Model):
    """A ticket the city login hands to a hall's host (CAS-style): single use, short-lived, only for the
    host it names. Only a SHA-256 digest of the random secret is kept. It carries how the person
    authenticated (``otp_device``: the second factor the central session gave, if any), so that the
    hall's session is verified exactly when the central one is."""

    digest = models.CharField(max_length=64, unique=True, editable=False)
    login = models.ForeignKey(CityLogin, on_delete=models.CASCADE, related_name="tickets")
    host = models.CharField(max_length=SSO_HOST_MAX_LENGTH)
    method = models.CharField(max_length=20, default="password")
    otp_device = models.CharField(max_length=255, blank=True)
    # The identity provider's second factor (its acr/amr judged by OIDC_MFA_ACR / OIDC_MFA_AMR).
    external_second_factor = models.BooleanField(default=False)
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField()
    used_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"{self.host} · {self.created_at:%Y-%m-%d %H:%M:%S}"


class OidcIdentity(models.Model):
    """A staff login bound to an account of the province's identity provider (统一身份认证) by the
    provider's ``sub`` claim (never by a username alone). Made on the first login through the provider,
    by the person giving their password, or by a security administrator in the admin."""

    user = models.ForeignKey(User, verbose_name=_("user"), on_delete=models.CASCADE, related_name="oidc_identities")
    issuer = models.CharField(_("issuer"), max_length=255)
    subject = models.CharField(_("subject (sub)"), max_length=255)
    linked_at = models.DateTimeField(_("linked at"), auto_now_add=True)
    linked_by = models.ForeignKey(User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")

    class Meta:
        verbose_name = _("identity provider account")
        verbose_name_plural = _("identity provider accounts")
        constraints = [models.UniqueConstraint(fields=["issuer", "subject"], name="oidc_identity_unique")]

    def __str__(self) -> str:
        return f"{self.user} · {self.subject}"
