from django.urls import path

from hallplatform.accounts.web import views

app_name = "accounts"

urlpatterns = [
    path("login/", views.login_view, name="login"),
    path("logout/", views.logout_view, name="logout"),
    path("tokens/", views.api_tokens, name="api_tokens"),
    path("tokens/<int:pk>/revoke/", views.api_token_revoke_view, name="api_token_revoke"),
    path("logins/", views.login_history, name="login_history"),
    path("lockouts/", views.lockouts, name="lockouts"),
]
