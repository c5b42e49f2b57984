"""Notice API: the person's own in-app notices, on every host."""

from __future__ import annotations

from django.db.models import QuerySet
from drf_spectacular.utils import extend_schema, extend_schema_view, inline_serializer
from rest_framework import generics, serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from hallplatform.api import ErrorSerializer, PageNumberPagination
from notifications.links import notice_link_url
from notifications.models import Notice
from notifications.selectors import notice_list_for_user, notice_unread_count_for_user
from notifications.services import notice_mark_read
from tenants.models import Hall


class NoticeSerializer(serializers.ModelSerializer):
    kind_label = serializers.CharField(read_only=True)
    hall: serializers.SlugRelatedField[Hall] = serializers.SlugRelatedField(
        slug_field="code", read_only=True, help_text="Hall code; null if none."
    )
    is_read = serializers.BooleanField(read_only=True)
    link = serializers.SerializerMethodField(
        help_text="The page of the notice's subject on the host that serves it (absolute URL); empty if none."
    )

    class Meta:
        model = Notice
        fields = [
            "id", "kind", "kind_label", "hall", "subject", "body", "link",
            "created_at", "sent_at", "read_at", "is_read",
        ]  # fmt: skip
        read_only_fields = fields

    def get_link(self, notice: Notice) -> str:
        request = self.context.get("request")
        return notice_link_url(notice, request=getattr(request, "_request", request))


ERRORS = {code: ErrorSerializer for code in (400, 401, 404)}


@extend_schema_view(get=extend_schema(responses={200: NoticeSerializer(many=True), **ERRORS}))
class NoticeListView(generics.ListAPIView):
    """The authenticated person's in-app notices, newest first (``page`` past the last: 404)."""

    serializer_class = NoticeSerializer
    pagination_class = PageNumberPagination

    def get_queryset(self) -> QuerySet[Notice]:
        return notice_list_for_user(user=self.request.user).select_related("hall", "link_hall")


class NoticeReadView(APIView):
    """Mark one of the person's notices read; another person's notice is 404."""

    @extend_schema(request=None, responses={200: NoticeSerializer, **ERRORS})
    def post(self, request: Request, pk: int) -> Response:
        notice = notice_mark_read(user=request.user, notice_id=pk)
        return Response(NoticeSerializer(notice, context={"request": request}).data)


class NoticeUnreadCountView(APIView):
    """How many of the person's in-app notices are unread."""

    @extend_schema(
        responses={200: inline_serializer("NoticeUnreadCount", {"unread": serializers.IntegerField()}), **ERRORS}
    )
    def get(self, request: Request) -> Response:
        return Response({"unread": notice_unread_count_for_user(user=request.user)})
