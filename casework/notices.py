"""Notices of the casework (DESIGN.md section 8), through the notifications outbox.

Staff get in-app notices; the person gets SMS, looked up at sending time through the "case" resolver
(the phone never leaves the hall's schema), unless they opted out. Contexts carry no personal data:
numbers, the matter, department and hall names.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from casework.models import Case, OnlineReport
from hallplatform.accounts.models import RoleAssignment, RoleKind
from hallplatform.deadlines.notices import SUBJECT_LABELS, SUBJECT_LINKS
from hallplatform.personal import is_mobile
from notifications.kinds import NoticeKind, notice_kind_register
from notifications.links import NoticeLink
from notifications.models import Notice, NoticeChannel, NoticeState
from notifications.resolvers import register_person_resolver
from notifications.services import notice_enqueue, notice_enqueue_inbox

SUBJECT_LABELS["casework.TransferSlip"] = "转办单"
SUBJECT_LABELS["casework.Case"] = "案件"
SUBJECT_LINKS["casework.TransferSlip"] = lambda deadline: f"/slips/{deadline.subject_id}/"
SUBJECT_LINKS["casework.Case"] = lambda deadline: f"/cases/{deadline.subject_id}/"

_SLIP_VARIABLES = ("slip_number", "case_number", "matter_name", "department_name", "hall_name", "due_at")

SLIP_SENT = notice_kind_register(
    NoticeKind(
        code="slip_sent",
        label="新转办单",
        subject="【转办】{{ hall_name }}转来{{ slip_number }}：{{ matter_name }}",
        body=(
            "{{ hall_name }}“办不成事”反映窗口向{{ department_name }}转办{{ slip_number }}（{{ matter_name }}），"
            "请于{{ due_at }}前签收并答复。{% if pushed %}此件为“不给办”事项，已列入督办关注。{% endif %}"
        ),
        sms="{{ hall_name }}转办{{ slip_number }}，请于{{ due_at }}前答复。",
        sms_params=("hall_name", "slip_number", "due_at"),
        variables=(*_SLIP_VARIABLES, "pushed"),
        urgent=True,
    )
)
SLIP_RETURNED = notice_kind_register(
    NoticeKind(
        code="slip_returned",
        label="转办单被退回",
        subject="【退回】{{ department_name }}退回{{ slip_number }}",
        body="{{ department_name }}认为{{ slip_number }}（{{ matter_name }}）不属本单位职责，已退回，请重新转办。",
        sms="{{ department_name }}退回{{ slip_number }}，请重新转办。",
        sms_params=("department_name", "slip_number"),
        variables=_SLIP_VARIABLES,
    )
)
SLIP_REPLIED = notice_kind_register(
    NoticeKind(
        code="slip_replied",
        label="部门已答复",
        subject="【答复】{{ department_name }}已答复{{ slip_number }}",
        body=(
            "{{ department_name }}已答复{{ slip_number }}（{{ matter_name }}），办件结果：{{ result_label }}。"
            "{% if feedback_due_at %}请于{{ feedback_due_at }}前将结果告知办事人。{% endif %}"
        ),
        sms="{{ department_name }}已答复{{ slip_number }}，请及时反馈办事人。",
        sms_params=("department_name", "slip_number"),
        variables=(*_SLIP_VARIABLES, "result_label", "feedback_due_at"),
    )
)
SLIP_SUPPLEMENT = notice_kind_register(
    NoticeKind(
        code="slip_supplement",
        label="需补正材料",
        subject="【补正】{{ slip_number }}需办事人补正材料",
        body=(
            "{{ department_name }}答复{{ slip_number }}（{{ matter_name }}）需办事人补正材料，"
            "办理期限已暂停，请告知办事人。"
        ),
        sms="{{ slip_number }}需补正材料，请告知办事人。",
        sms_params=("slip_number",),
        variables=_SLIP_VARIABLES,
    )
)
SUPPLEMENT_RECEIVED = notice_kind_register(
    NoticeKind(
        code="supplement_received",
        label="补正材料已收到",
        subject="【补正】{{ slip_number }}的补正材料已收到",
        body=(
            "{{ hall_name }}窗口已收到{{ slip_number }}（{{ matter_name }}）的补正材料，办理期限恢复计算，请继续办理。"
        ),
        sms="{{ slip_number }}补正材料已收到，请继续办理。",
        sms_params=("slip_number",),
        variables=_SLIP_VARIABLES,
    )
)
MEETING_SETTLED = notice_kind_register(
    NoticeKind(
        code="case_meeting_settled",
        label="联席会议议定事项已落实",
        subject="【联席会议】{{ case_number }}提请的{{ meeting_number }}已办结",
        body=(
            "{{ case_number }}（{{ matter_name }}）提请的联席会议{{ meeting_number }}议定事项均已落实，会议已办结。"
            "请于{{ feedback_due_at }}前将结果告知办事人。"
        ),
        sms="{{ case_number }}提请的联席会议已办结，请及时反馈办事人。",
        sms_params=("case_number",),
        variables=("case_number", "matter_name", "meeting_number", "feedback_due_at"),
    )
)
CASE_HANDLER_ASSIGNED = notice_kind_register(
    NoticeKind(
        code="case_handler_assigned",
        label="案件改由您经办",
        subject="【经办】{{ case_number }}改由您经办",
        body=(
            "{{ hall_name }}“办不成事”反映窗口的{{ case_number }}（{{ matter_name }}）改由您经办"
            "（原经办人：{{ previous }}）。"
        ),
        sms="{{ case_number }}改由您经办，请登录系统查看。",
        sms_params=("case_number",),
        variables=("case_number", "matter_name", "hall_name", "previous"),
    )
)
MEETING_REQUESTED = notice_kind_register(
    NoticeKind(
        code="meeting_requested",
        label="联席会议申请",
        subject="【联席会议申请】{{ hall_name }}{{ case_number }}申请召开联席会议",
        body=(
            "{{ hall_name }}“办不成事”反映窗口就{{ case_number }}（{{ matter_name }}）申请召开联席会议："
            "{{ note }}。{% if cross_hall %}该件涉及{{ departments }}，跨区域、跨层级。{% endif %}"
            "请研究是否召开；不予召开的，请说明理由。"
        ),
        sms="{{ hall_name }}就{{ case_number }}申请召开联席会议，请登录系统处理。",
        sms_params=("hall_name", "case_number"),
        variables=("case_number", "matter_name", "hall_name", "note", "departments", "cross_hall"),
    )
)
MEETING_REQUEST_DECLINED = notice_kind_register(
    NoticeKind(
        code="meeting_request_declined",
        label="联席会议申请未获同意",
        subject="【联席会议】{{ case_number }}的联席会议申请未获同意",
        body=(
            "{{ declined_by }}未同意{{ case_number }}（{{ matter_name }}）召开联席会议的申请，理由：{{ reason }}。"
            "请继续办理。"
        ),
        sms="{{ case_number }}的联席会议申请未获同意，请登录系统查看。",
        sms_params=("case_number",),
        variables=("case_number", "matter_name", "hall_name", "declined_by", "reason"),
    )
)
SLIP_EXTENSION_REQUESTED = notice_kind_register(
    NoticeKind(
        code="slip_extension_requested",
        label="申请延期",
        subject="【延期申请】{{ department_name }}申请{{ slip_number }}延期{{ days }}个工作日",
        body=(
            "{{ department_name }}申请将转办单{{ slip_number }}（{{ matter_name }}）的答复期限延长{{ days }}个工作日"
            "（现期限{{ due_at }}），理由：{{ reason }}。请审批。"
        ),
        sms="{{ department_name }}申请{{ slip_number }}延期，请登录系统审批。",
        sms_params=("department_name", "slip_number"),
        variables=(*_SLIP_VARIABLES, "days", "reason"),
    )
)
SLIP_EXTENSION_DECIDED = notice_kind_register(
    NoticeKind(
        code="slip_extension_decided",
        label="延期申请已审批",
        subject=(
            "【延期申请】{{ slip_number }}"
            "{% if granted %}延期已批准，新期限{{ due_at }}{% else %}延期未获批准{% endif %}"
        ),
        body=(
            "{{ hall_name }}{% if granted %}同意转办单{{ slip_number }}（{{ matter_name }}）延期{{ days }}个工作日，"
            "请于{{ due_at }}前答复。{% else %}未同意转办单{{ slip_number }}（{{ matter_name }}）的延期申请，"
            "请于{{ due_at }}前答复。{% endif %}{% if reason %}说明：{{ reason }}{% endif %}"
        ),
        sms="{{ slip_number }}延期申请已审批，请于{{ due_at }}前答复。",
        sms_params=("slip_number", "due_at"),
        variables=(*_SLIP_VARIABLES, "days", "granted", "reason"),
    )
)
PERSON_REGISTERED = notice_kind_register(
    NoticeKind(
        code="person_registered",
        label="受理告知（短信）",
        subject="",
        body=(
            "您反映的“{{ matter_name }}”问题已由{{ hall_name }}“办不成事”反映窗口受理，"
            "编号{{ case_number }}，我们将尽快答复。"
            "{% if progress_url %}凭编号和手机号后四位可在{{ progress_url }}查询办理进度。{% endif %}"
        ),
        sms=(
            "您反映的问题已由{{ hall_name }}受理，编号{{ case_number }}。"
            "{% if progress_url %}查询进度：{{ progress_url }}{% endif %}"
        ),
        sms_params=("hall_name", "case_number"),
        variables=("case_number", "matter_name", "hall_name", "progress_url"),
    )
)
PERSON_RESULT = notice_kind_register(
    NoticeKind(
        code="person_result",
        label="结果告知（短信）",
        subject="",
        body=(
            "您反映的问题（编号{{ case_number }}）办理结果：{{ result_label }}。"
            "详情请留意窗口工作人员来电，或到{{ hall_name }}咨询。"
            "{% if progress_url %}凭编号和手机号后四位可在{{ progress_url }}查看答复。{% endif %}"
        ),
        sms=(
            "您反映的问题（编号{{ case_number }}）办理结果：{{ result_label }}。"
            "{% if progress_url %}查看答复：{{ progress_url }}{% endif %}"
        ),
        sms_params=("case_number", "result_label"),
        variables=("case_number", "result_label", "hall_name", "progress_url"),
    )
)
PERSON_SUPPLEMENT = notice_kind_register(
    NoticeKind(
        code="person_supplement",
        label="补正告知（短信）",
        subject="",
        body="您反映的问题（编号{{ case_number }}）需补正材料，请与{{ hall_name }}“办不成事”反映窗口联系。",
        sms="您反映的问题（编号{{ case_number }}）需补正材料，请与窗口联系。",
        sms_params=("case_number",),
        variables=("case_number", "hall_name"),
    )
)


def _case_reporter_phone(case_id: str) -> str | None:
    """The "case:<id>" person resolver: the reporter's phone, unless they opted out of SMS."""
    case = Case.objects.filter(pk=int(case_id)).only("phone", "sms_opt_out").first() if case_id.isdigit() else None
    if case is None or case.sms_opt_out or not is_mobile(case.phone or ""):
        return None
    return case.phone or None


register_person_resolver("case", _case_reporter_phone)


# --- Online reports (docs/online-reporting.md): SMS before there is a case, without a link -------------

SUBJECT_LABELS["casework.OnlineReport"] = "网上反映"
SUBJECT_LINKS["casework.OnlineReport"] = lambda deadline: f"/cases/reports/{deadline.subject_id}/"

PERSON_REPORT_RECEIVED = notice_kind_register(
    NoticeKind(
        code="person_report_received",
        label="网上反映已收到（短信）",
        subject="",
        body=(
            "您在网上反映的“{{ matter_name }}”问题{{ hall_name }}已收到，窗口将在1个工作日内审核，受理后短信告知编号。"
        ),
        sms="您在网上反映的问题{{ hall_name }}已收到，受理后将短信告知编号。",
        sms_params=("hall_name",),
        variables=("matter_name", "hall_name"),
    )
)
PERSON_REPORT_DECLINED = notice_kind_register(
    NoticeKind(
        code="person_report_declined",
        label="网上反映未受理（短信）",
        subject="",
        body=(
            "您在网上反映的“{{ matter_name }}”问题经{{ hall_name }}审核未予受理：{{ reason }}。"
            "如有疑问请致电{{ hall_phone }}。"
        ),
        sms="您在网上反映的问题经{{ hall_name }}审核未予受理，如有疑问请致电{{ hall_phone }}。",
        sms_params=("hall_name", "hall_phone"),
        variables=("matter_name", "hall_name", "reason", "hall_phone"),
    )
)


def _report_phone(report_id: str) -> str | None:
    """The "report:<id>" person resolver: the phone of an online report (verified by a code)."""
    report = OnlineReport.objects.filter(pk=int(report_id)).only("phone").first() if report_id.isdigit() else None
    return (report.phone or None) if report is not None else None


register_person_resolver("report", _report_phone)


def notify_reporter(*, kind: str, event_key: str, hall: Any, report: Any, context: dict[str, Any]) -> bool:
    """An SMS to the person who reported online (before there is a case); True if one was queued."""
    notice = notice_enqueue(
        kind=kind,
        event_key=event_key,
        channel=NoticeChannel.SMS,
        hall=hall,
        recipient_ref=f"report:{report.pk}",
        context=context,
    )
    return notice is not None


def department_staff_ids(department_id: int, *, leads_too: bool = False) -> list[int]:
    kinds = [RoleKind.DEPARTMENT_HANDLER, RoleKind.DEPARTMENT_LEAD] if leads_too else [RoleKind.DEPARTMENT_HANDLER]
    return sorted(
        set(
            RoleAssignment.objects.filter(
                department_id=department_id, kind__in=kinds, user__is_active=True
            ).values_list("user_id", flat=True)
        )
    )


def window_staff_ids(hall_id: int) -> list[int]:
    return sorted(
        set(
            RoleAssignment.objects.filter(
                hall_id=hall_id, kind=RoleKind.WINDOW_STAFF, user__is_active=True
            ).values_list("user_id", flat=True)
        )
    )


def case_link(hall: Any, case_id: int) -> NoticeLink:
    """The case's page on its hall's host."""
    return NoticeLink(path=f"/cases/{case_id}/", hall=hall)


def slip_link(hall: Any, slip_id: int) -> NoticeLink:
    """The slip's page on its hall's host (the department's view of it)."""
    return NoticeLink(path=f"/slips/{slip_id}/", hall=hall)


def hall_lead_ids(hall_id: int) -> list[int]:
    return sorted(
        set(
            RoleAssignment.objects.filter(hall_id=hall_id, kind=RoleKind.HALL_LEAD, user__is_active=True).values_list(
                "user_id", flat=True
            )
        )
    )


def city_supervisor_ids(city_id: int) -> list[int]:
    return sorted(
        set(
            RoleAssignment.objects.filter(
                hall_id=city_id, kind=RoleKind.CITY_SUPERVISOR, user__is_active=True
            ).values_list("user_id", flat=True)
        )
    )


# The city supervisor's list of open joint-meeting requests (coordination's portal page).
MEETING_REQUESTS_LINK = NoticeLink(path="/portal/meeting-requests/")


def notify_staff(
    *,
    kind: str,
    event_key: str,
    hall: Any,
    user_ids: Iterable[int],
    context: dict[str, Any],
    link: NoticeLink | None = None,
) -> None:
    """One in-app notice per staff member (one query for all of them), linking to ``link``."""
    notice_enqueue_inbox(kind=kind, event_key=event_key, hall=hall, user_ids=user_ids, context=context, link=link)


def notify_person(*, kind: str, event_key: str, hall: Any, case: Any, context: dict[str, Any]) -> bool:
    """An SMS to the case's reporter, unless they opted out or gave a landline; True if one was queued."""
    if case.sms_opt_out or not is_mobile(case.phone or ""):
        return False
    notice = notice_enqueue(
        kind=kind,
        event_key=event_key,
        channel=NoticeChannel.SMS,
        hall=hall,
        recipient_ref=f"case:{case.pk}",
        context=context,
    )
    return notice is not None


def person_sms_since(*, hall: Any, case: Any, since: Any) -> bool:
    """Whether an SMS to the case's person was queued or sent since ``since`` (a step that has told
    the person cannot be taken back: casework.services.case_close_undo, case_screen_out_undo)."""
    return Notice.objects.filter(
        hall_id=hall.pk,
        channel=NoticeChannel.SMS,
        recipient_ref=f"case:{case.pk}",
        created_at__gte=since,
        state__in=[NoticeState.QUEUED, NoticeState.SENDING, NoticeState.SENT],
    ).exists()
