"""The kinds of notice and their default texts (Chinese content: these are data, not UI strings).

A kind is registered once, by the app whose events cause it, with ``notice_kind_register`` (at import
time of that app's module). Its default texts are used unless an operator saved a ``NoticeTemplate``
for the kind and channel, for all halls or for one hall (docs/notifications.md).

Texts use Django template syntax (``{{ due_at }}``), rendered without HTML escaping by a restricted
engine (notifications/texts.py). ``sms_params`` names, in order, the context values filling the
placeholders ``{1}``, ``{2}``… of the SMS template approved at the provider (Aliyun: the template's
variables of the same names).

``urgent``: a notice of this kind to staff goes to every channel the person chose (and the hall
allows), at once, whatever the hour; an ordinary one goes in-app, and, if the person chose it, in
one daily digest (docs/notifications.md, "What goes where").
"""

from __future__ import annotations

from dataclasses import dataclass

from django.core.exceptions import ImproperlyConfigured


@dataclass(frozen=True)
class NoticeKind:
    code: str
    label: str
    subject: str
    body: str
    sms: str = ""
    sms_params: tuple[str, ...] = ()
    variables: tuple[str, ...] = ()
    urgent: bool = False

    def __str__(self) -> str:
        return self.code

    def default_text(self, channel: str) -> tuple[str, str]:
        """(subject, body) used when no NoticeTemplate overrides them. SMS has no subject."""
        if channel == "sms":
            return "", self.sms or self.body
        return self.subject, self.body


_KINDS: dict[str, NoticeKind] = {}


def notice_kind_register(kind: NoticeKind) -> NoticeKind:
    """Make a kind known; registering the same code twice with other texts is a programming error."""
    existing = _KINDS.get(kind.code)
    if existing is not None and existing != kind:
        raise ImproperlyConfigured(f"The notice kind {kind.code!r} is registered twice with different texts.")
    _KINDS[kind.code] = kind
    return kind


def notice_kind_get(code: str | NoticeKind) -> NoticeKind:
    """The registered kind; ValueError for an unknown code."""
    if isinstance(code, NoticeKind):
        code = code.code
    try:
        return _KINDS[code]
    except KeyError:
        raise ValueError(f"Unknown notice kind {code!r}; register it with notice_kind_register().") from None


def notice_kinds() -> list[NoticeKind]:
    """Every registered kind, by code."""
    return sorted(_KINDS.values(), key=lambda kind: kind.code)


def notice_kind_choices() -> list[tuple[str, str]]:
    return [(kind.code, f"{kind.label} ({kind.code})") for kind in sorted(_KINDS.values(), key=lambda k: k.code)]


def notice_kind_label(code: str) -> str:
    kind = _KINDS.get(code)
    return kind.label if kind is not None else code


def notice_kind_urgent(code: str) -> bool:
    """Whether notices of this kind are urgent (an unknown kind is not)."""
    kind = _KINDS.get(code)
    return kind is not None and kind.urgent


# --- Deadlines (the deadline sweep, DESIGN.md 4.3) ------------------------------------------------
# Context: subject_label — what the deadline is on, masked ("案件 WY-2025-0012");
# deadline_label — which deadline ("部门答复期限"); due_at — the due time as text.

_DEADLINE_VARIABLES = ("subject_label", "deadline_label", "due_at", "hall_name")

DEADLINE_WARNING = notice_kind_register(
    NoticeKind(
        code="deadline_warning",
        label="临期提醒",
        subject="【临期提醒】{{ subject_label }}的{{ deadline_label }}即将到期",
        body="{{ subject_label }}的{{ deadline_label }}将于{{ due_at }}到期，请及时办理。",
        sms="{{ subject_label }}的{{ deadline_label }}将于{{ due_at }}到期，请及时办理。",
        sms_params=("subject_label", "deadline_label", "due_at"),
        variables=_DEADLINE_VARIABLES,
        urgent=True,
    )
)
DEADLINE_BREACH = notice_kind_register(
    NoticeKind(
        code="deadline_breach",
        label="逾期",
        subject="【逾期】{{ subject_label }}的{{ deadline_label }}已逾期",
        body="{{ subject_label }}的{{ deadline_label }}已于{{ due_at }}到期，目前仍未办结，请尽快办理并说明情况。",
        sms="{{ subject_label }}的{{ deadline_label }}已于{{ due_at }}逾期，请尽快办理。",
        sms_params=("subject_label", "deadline_label", "due_at"),
        variables=_DEADLINE_VARIABLES,
        urgent=True,
    )
)
DEADLINE_ESCALATION = notice_kind_register(
    NoticeKind(
        code="deadline_escalation",
        label="升级",
        subject="【督办】{{ subject_label }}的{{ deadline_label }}逾期已升级",
        body=(
            "{{ subject_label }}的{{ deadline_label }}已于{{ due_at }}逾期，"
            "已升级至{{ escalated_to|default:'上级' }}督办，请关注办理进展。"
        ),
        sms="{{ subject_label }}的{{ deadline_label }}逾期已升级至{{ escalated_to|default:'上级' }}督办。",
        sms_params=("subject_label", "deadline_label", "escalated_to"),
        variables=(*_DEADLINE_VARIABLES, "escalated_to"),
        urgent=True,
    )
)
DEADLINE_MOVED = notice_kind_register(
    NoticeKind(
        code="deadline_moved",
        label="期限变更",
        subject="【期限变更】{{ subject_label }}的{{ deadline_label }}已调整",
        body=(
            "{{ subject_label }}的{{ deadline_label }}已由{{ old_due_at }}调整为{{ new_due_at }}"
            "{% if reason %}，原因：{{ reason }}{% endif %}。"
        ),
        sms="{{ subject_label }}的{{ deadline_label }}已调整为{{ new_due_at }}。",
        sms_params=("subject_label", "deadline_label", "new_due_at"),
        variables=("subject_label", "deadline_label", "old_due_at", "new_due_at", "reason", "hall_name"),
    )
)


# --- The daily digest of ordinary notices (notifications/digest.py) ----------------------------
# Context: count — how many notices; lines — one line per notice ("【部门已答复】…"). No link in SMS.

STAFF_DIGEST = notice_kind_register(
    NoticeKind(
        code="staff_digest",
        label="每日通知汇总",
        subject="【每日汇总】您有{{ count }}条新通知",
        body="您有{{ count }}条新通知：\n{{ lines }}\n请登录系统查看。",
        sms="您有{{ count }}条新通知，请登录系统查看。",
        sms_params=("count",),
        variables=("count", "lines"),
    )
)
