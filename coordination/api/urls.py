"""City-level API routes under /api/v1/ (coordination/api/views.py), the same on every host: the portal
answers on the base domain only; meetings and orders follow the host's scope (a hall's lead there, the
city's supervisors on the base domain)."""

from django.urls import URLPattern, URLResolver, path

from coordination.api import views

urlpatterns: list[URLPattern | URLResolver] = [
    path("portal/overview/", views.PortalOverviewView.as_view(), name="api-portal-overview"),
    path("portal/proposals/", views.PortalProposalsView.as_view(), name="api-portal-proposals"),
    path("portal/duplicates/", views.PortalDuplicatesView.as_view(), name="api-portal-duplicates"),
    path("meetings/", views.MeetingListView.as_view(), name="api-meetings"),
    path("meetings/<int:pk>/", views.MeetingDetailView.as_view(), name="api-meeting"),
    path("meetings/<int:pk>/respond/", views.MeetingRespondView.as_view(), name="api-meeting-respond"),
    path("meetings/<int:pk>/minutes/", views.MeetingMinutesView.as_view(), name="api-meeting-minutes"),
    path("meetings/<int:pk>/close/", views.MeetingCloseView.as_view(), name="api-meeting-close"),
    path("resolutions/", views.ResolutionListView.as_view(), name="api-resolutions"),
    path("resolutions/<int:pk>/complete/", views.ResolutionCompleteView.as_view(), name="api-resolution-complete"),
    path("orders/", views.OrderListView.as_view(), name="api-orders"),
    path("orders/<int:pk>/", views.OrderDetailView.as_view(), name="api-order"),
    path("orders/<int:pk>/respond/", views.OrderRespondView.as_view(), name="api-order-respond"),
    path("orders/<int:pk>/accept/", views.OrderAcceptView.as_view(), name="api-order-accept"),
    path("orders/<int:pk>/reject/", views.OrderRejectView.as_view(), name="api-order-reject"),
    path("slip-index/<int:pk>/assign/", views.SlipAssignView.as_view(), name="api-slip-index-assign"),
]
