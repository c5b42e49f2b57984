"""The window's pages on a hall's host: cases, registration, the case page, print views."""

from django.urls import URLPattern, URLResolver, path

from casework.web import online_reports, views

app_name = "cases"
urlpatterns: list[URLPattern | URLResolver] = [
    path("", views.case_list, name="list"),
    path("new/", views.case_new, name="new"),
    path("lookup/", views.person_lookup, name="lookup"),
    path("search/", views.case_search, name="search"),
    path("reports/", online_reports.report_list, name="online_reports"),
    path("reports/poster/", online_reports.report_poster, name="online_report_poster"),
    path("reports/<int:report_id>/", online_reports.report_detail, name="online_report"),
    path("reports/<int:report_id>/files/<int:file_id>/", online_reports.report_file, name="online_report_file"),
    path("<int:case_id>/", views.case_detail, name="detail"),
    path("<int:case_id>/reveal/", views.case_reveal_view, name="reveal"),
    path("<int:case_id>/notes/", views.case_note_view, name="notes"),
    path("<int:case_id>/decline-meeting/", views.case_meeting_decline_view, name="decline_meeting"),
    path("<int:case_id>/retention-hold/", views.case_retention_hold_view, name="retention_hold"),
    path("<int:case_id>/extension/", views.case_extension_decide_view, name="extension"),
    path("<int:case_id>/link-elsewhere/", views.case_link_elsewhere_view, name="link_elsewhere"),
    path("<int:case_id>/print/registration/", views.print_registration, name="print_registration"),
    path("<int:case_id>/print/notice/", views.print_notice, name="print_notice"),
    path("<int:case_id>/print/supplement/", views.print_supplement, name="print_supplement"),
    *[
        path(f"<int:case_id>/{action}/", views.case_action, {"action": action}, name=action.replace("-", "_"))
        for action in views.ACTIONS
    ],
]
