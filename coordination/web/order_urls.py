"""Supervision orders (督办单) and the departments' city-level work, on hall hosts and the base domain."""

from django.urls import URLPattern, URLResolver, path

from coordination.web import views

app_name = "orders"
urlpatterns: list[URLPattern | URLResolver] = [
    path("", views.order_list, name="list"),
    path("new/", views.order_new, name="new"),
    path("mine/", views.my_work, name="mine"),
    path("assign-slip/<int:slip_index_id>/", views.slip_assign_view, name="assign_slip"),
    path("<int:order_id>/", views.order_detail, name="detail"),
    path("<int:order_id>/respond/", views.order_respond_view, name="respond"),
    path("<int:order_id>/accept/", views.order_accept_view, name="accept"),
    path("<int:order_id>/send-back/", views.order_send_back_view, name="send_back"),
    path("<int:order_id>/print/", views.print_order, name="print"),
]
