"""The staff pages (hallplatform/accounts/web/staff.py), on a hall's host (its hall lead) and on the
city portal (the city supervisor)."""

from django.urls import path

from hallplatform.accounts.web import staff

app_name = "staff"

urlpatterns = [
    path("", staff.people, name="people"),
    path("new/", staff.person_new, name="person_new"),
    path("<int:pk>/", staff.person, name="person"),
    path("departments/", staff.departments, name="departments"),
    path("departments/<int:pk>/", staff.department, name="department"),
]
