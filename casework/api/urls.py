"""Casework API routes under /api/v1/ (casework/api/views.py), on every host; cases and slips answer
only on a hall's host, the inbox everywhere."""

from django.urls import URLPattern, URLResolver, path

from casework.api import duplicates, views

urlpatterns: list[URLPattern | URLResolver] = [
    path("cases/", views.CaseListView.as_view(), name="api-cases"),
    path("cases/lookup/", views.CaseLookupView.as_view(), name="api-case-lookup"),
    path("cases/<int:pk>/", views.CaseDetailView.as_view(), name="api-case"),
    path("cases/<int:pk>/timeline/", views.CaseTimelineView.as_view(), name="api-case-timeline"),
    path("cases/<int:pk>/screen-out/", views.CaseScreenOutView.as_view(), name="api-case-screen-out"),
    path("cases/<int:pk>/answer/", views.CaseAnswerView.as_view(), name="api-case-answer"),
    path("cases/<int:pk>/transfer/", views.CaseTransferView.as_view(), name="api-case-transfer"),
    path(
        "cases/<int:pk>/supplement-received/",
        views.CaseSupplementReceivedView.as_view(),
        name="api-case-supplement-received",
    ),
    path(
        "cases/<int:pk>/supplement-request/",
        views.CaseSupplementRequestView.as_view(),
        name="api-case-supplement-request",
    ),
    path("cases/<int:pk>/retention-hold/", views.CaseRetentionHoldView.as_view(), name="api-case-retention-hold"),
    path("cases/<int:pk>/feedback/", views.CaseFeedbackView.as_view(), name="api-case-feedback"),
    path("cases/<int:pk>/follow-up/", views.CaseFollowUpView.as_view(), name="api-case-follow-up"),
    path("cases/<int:pk>/reopen/", views.CaseReopenView.as_view(), name="api-case-reopen"),
    path("cases/<int:pk>/rectification/", views.CaseRectificationView.as_view(), name="api-case-rectification"),
    path("cases/<int:pk>/rating-appeal/", views.CaseRatingAppealView.as_view(), name="api-case-rating-appeal"),
    path("cases/<int:pk>/close/", views.CaseCloseView.as_view(), name="api-case-close"),
    path("cases/<int:pk>/sms-opt-out/", views.CaseSmsOptOutView.as_view(), name="api-case-sms-opt-out"),
    path("cases/<int:pk>/reveal/", views.CaseRevealView.as_view(), name="api-case-reveal"),
    path("cases/<int:pk>/elsewhere/", duplicates.CaseElsewhereView.as_view(), name="api-case-elsewhere"),
    path("cases/<int:pk>/links/", duplicates.CaseLinkElsewhereView.as_view(), name="api-case-links"),
    path("cases/<int:pk>/reassign/", views.CaseReassignView.as_view(), name="api-case-reassign"),
    path("cases/<int:pk>/amend/", views.CaseAmendView.as_view(), name="api-case-amend"),
    path("cases/<int:pk>/notes/", views.CaseNotesView.as_view(), name="api-case-notes"),
    path("departments/", views.DepartmentListView.as_view(), name="api-departments"),
    path("slips/<int:pk>/", views.SlipDetailView.as_view(), name="api-slip"),
    path("slips/<int:pk>/receive/", views.SlipReceiveView.as_view(), name="api-slip-receive"),
    path("slips/<int:pk>/reply/", views.SlipReplyView.as_view(), name="api-slip-reply"),
    path("slips/<int:pk>/return/", views.SlipReturnView.as_view(), name="api-slip-return"),
    path("slips/<int:pk>/reveal/", views.SlipRevealView.as_view(), name="api-slip-reveal"),
    path("slips/<int:pk>/notes/", views.SlipNotesView.as_view(), name="api-slip-notes"),
    path("slips/<int:pk>/reroute/", views.SlipRerouteView.as_view(), name="api-slip-reroute"),
    path("slips/<int:pk>/withdraw/", views.SlipWithdrawView.as_view(), name="api-slip-withdraw"),
    path("inbox/", views.InboxView.as_view(), name="api-inbox"),
    path("incoming-slips/", views.IncomingSlipListView.as_view(), name="api-incoming-slips"),
]
