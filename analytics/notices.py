"""Notices of the analysis: suggestions to departments, their answers, monthly reports."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from hallplatform.accounts.models import RoleAssignment, RoleKind
from hallplatform.personal import free_text
from notifications.kinds import NoticeKind, notice_kind_register
from notifications.links import NoticeLink
from notifications.services import notice_enqueue_inbox

SUGGESTION_SENT = notice_kind_register(
    NoticeKind(
        code="suggestion_sent",
        label="优化意见建议",
        subject="【优化建议】{{ sender }}致{{ department_name }}（{{ number }}）",
        body="{{ sender }}根据“办不成事”反映情况提出优化意见建议：{{ suggestion }}。请研究并在系统中答复。",
        sms="{{ sender }}向贵单位提出优化意见建议{{ number }}，请登录系统答复。",
        sms_params=("sender", "number"),
        variables=("number", "sender", "department_name", "suggestion"),
    )
)
SUGGESTION_ANSWERED = notice_kind_register(
    NoticeKind(
        code="suggestion_answered",
        label="优化建议已答复",
        subject="【建议答复】{{ department_name }}已答复{{ number }}",
        body="{{ department_name }}已答复优化意见建议{{ number }}。",
        sms="{{ department_name }}已答复优化意见建议{{ number }}。",
        sms_params=("department_name", "number"),
        variables=("number", "department_name"),
    )
)
REPORT_READY = notice_kind_register(
    NoticeKind(
        code="report_ready",
        label="月度报告",
        subject="【月度报告】{{ scope_name }} {{ period }}",
        body="{{ scope_name }}{{ period }}“办不成事”反映情况统计分析报告已生成，请查阅。",
        sms="{{ scope_name }}{{ period }}统计分析报告已生成。",
        sms_params=("scope_name", "period"),
        variables=("scope_name", "period", "report_id"),
    )
)


def suggestion_sent(*, suggestion: Any) -> None:
    users = RoleAssignment.objects.filter(
        department_id=suggestion.department_id,
        kind__in=[RoleKind.DEPARTMENT_HANDLER, RoleKind.DEPARTMENT_LEAD],
        user__is_active=True,
    ).values_list("user_id", flat=True)
    notice_enqueue_inbox(
        kind="suggestion_sent",
        event_key=f"suggestion:{suggestion.pk}:sent",
        hall=suggestion.hall,
        user_ids=users,
        context={
            "number": suggestion.number,
            "sender": suggestion.hall.name,
            "department_name": suggestion.department.name,
            "suggestion": free_text(suggestion.suggestion, revealed=False)[:300],
        },
        # the department answers from its cross-hall pages on the base domain
        link=NoticeLink(path=f"/stats/suggestions/{suggestion.pk}/answer/"),
    )


def suggestion_answered(*, suggestion: Any) -> None:
    notice_enqueue_inbox(
        kind="suggestion_answered",
        event_key=f"suggestion:{suggestion.pk}:answered",
        hall=suggestion.hall,
        user_ids=[suggestion.sent_by_id],
        context={"number": suggestion.number, "department_name": suggestion.department.name},
        # the sender: a city's supervisor on the base domain, a hall's lead on its host
        link=NoticeLink(
            path="/stats/suggestions/", hall=None if suggestion.hall_id == suggestion.city_id else suggestion.hall
        ),
    )


def report_ready(*, report: Any, scope_name: str, period: str, user_ids: Iterable[int]) -> None:
    notice_enqueue_inbox(
        kind="report_ready",
        event_key=f"report:{report.pk}:ready",
        hall=report.hall,
        user_ids=user_ids,
        context={"scope_name": scope_name, "period": period, "report_id": report.pk},
        link=NoticeLink(path=f"/reports/{report.pk}/", hall=None if report.scope == "city" else report.hall),
    )
