from django.urls import path

from hallplatform.accounts.web import oidc, sso, two_factor, views

app_name = "accounts"

urlpatterns = [
    path("login/", views.login_view, name="login"),
    path("logout/", views.logout_view, name="logout"),
    # One login for the city: tickets on the base domain, redeemed on the halls' hosts.
    path("sso/halls/", sso.halls, name="sso_halls"),
    path("sso/ticket/", sso.ticket, name="sso_ticket"),
    path("sso/callback/", sso.callback, name="sso_callback"),
    # The province's identity provider (OIDC_ENABLED), on the base domain only.
    path("oidc/start/", oidc.start, name="oidc_start"),
    path("oidc/callback/", oidc.callback, name="oidc_callback"),
    path("oidc/link/", oidc.link, name="oidc_link"),
    path("tokens/", views.api_tokens, name="api_tokens"),
    path("tokens/<int:pk>/revoke/", views.api_token_revoke_view, name="api_token_revoke"),
    path("logins/", views.login_history, name="login_history"),
    path("lockouts/", views.lockouts, name="lockouts"),
    path("two-factor/", two_factor.mine, name="two_factor"),
    path("two-factor/verify/", two_factor.verify, name="two_factor_verify"),
    path("two-factor/enrol/", two_factor.enrol, name="two_factor_enrol"),
    path("two-factor/staff/", two_factor.staff, name="two_factor_staff"),
    path("two-factor/staff/<int:pk>/reset/", two_factor.staff_reset, name="two_factor_staff_reset"),
]
