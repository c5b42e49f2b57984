"""Department pages on the slip's hall host: the slip, its steps (签收, 答复, 退回), its texts
revealed and the 转办单."""

from django.urls import URLPattern, URLResolver, path

from casework.web import department, incoming

app_name = "slips"
urlpatterns: list[URLPattern | URLResolver] = [
    path("incoming/", incoming.incoming_slips, name="incoming"),
    path("<int:slip_id>/", department.slip_detail, name="detail"),
    path("<int:slip_id>/receive/", department.slip_receive_view, name="receive"),
    path("<int:slip_id>/reply/", department.slip_reply_view, name="reply"),
    path("<int:slip_id>/return/", department.slip_return_view, name="return"),
    path("<int:slip_id>/reveal/", department.slip_reveal_view, name="reveal"),
    path("<int:slip_id>/extension/", department.slip_extension_request_view, name="extension"),
    path("<int:slip_id>/print/", department.slip_print, name="print"),
    path("<int:slip_id>/notes/", department.slip_note_view, name="notes"),
]
