"""The person's progress page: access tokens, checks of the person, one-time codes, and what the page
shows (docs/progress-page.md).

A registered case has one unguessable token (``secrets.token_urlsafe(24)``, 192 bits), printed as a
QR code on the 登记表 and the 一次性告知单. The token is stored as a SHA-256 digest (to find the case)
and sealed with the field keys (to print it again); it never goes into a notice (notices live in the
public schema). The SMS to the person carries the hall's fixed address and the NO instead.

Whoever holds the token or the NO proves to be the person with the last four digits of the registered
phone, or with a one-time code sent to it. Wrong tries, unknown NOs and unknown tokens are counted
alike, per NO/token and per client address, in the database (so that blocking holds without Redis).
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import secrets
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.crypto import salted_hmac
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy
from django_tenants.utils import get_public_schema_name

from casework.choices import CaseResult, CaseStatus, Channel, ReportStatus
from casework.models import Case, CaseProgressAccess, OnlineReport, ProgressCode, ProgressFailure, TransferSlip
from hallplatform.audit.services import audit_record
from hallplatform.captcha import captcha_purge_expired, code_requests_purge
from hallplatform.deadlines.models import LIVE_STATES, Deadline, DeadlineKind
from hallplatform.personal import free_text, is_mobile, mask_mobile, mask_name, phone_last_four
from hallplatform.schemas import in_hall_schema
from notifications.links import NoticeLink, link_url
from notifications.providers import ProviderError, sms_provider
from tenants.models import Hall

logger = logging.getLogger(__name__)

TOKEN_BYTES = 24
CODE_DIGITS = 6
_CODE_SALT = "bancheng.progress.code"
# The SMS with a one-time code; SMS_TEMPLATE_IDS["progress_code"] names its template at the provider.
CODE_SMS = "您查询办理进度的验证码为{code}，{minutes}分钟内有效。请勿告诉他人。"


def token_new() -> str:
    return secrets.token_urlsafe(TOKEN_BYTES)


def token_digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def number_key(number: str) -> str:
    """The failure-count key of a NO (a digest: the failure table never holds a NO)."""
    return hashlib.sha256(f"no:{number.strip().upper()}".encode()).hexdigest()


def token_key(token: str) -> str:
    return hashlib.sha256(f"token:{token_digest(token)}".encode()).hexdigest()


PROGRESS_PATH = "/progress/"


def progress_address(hall: Any) -> str:
    """The hall's fixed progress address (https://<hall host>/progress/), the one an SMS carries."""
    return link_url(NoticeLink(path=PROGRESS_PATH, hall=hall))


def progress_link(*, origin: str, token: str) -> str:
    """The case's own link, printed as a QR code: ``origin`` is the hall host's scheme://host[:port]."""
    return f"{origin}{PROGRESS_PATH}{token}/"


def progress_access_issue(*, case: Case, at: datetime | None = None, token: str = "") -> str:
    """Give ``case`` its progress token (at registration; the data migration for older cases). Returns
    the token; the row keeps only its digest and its sealed copy. An accepted online report passes its
    own token, so that the link the person bookmarked keeps working."""
    token = token or token_new()
    CaseProgressAccess.objects.create(
        case=case, token_digest=token_digest(token), token=token, created_at=at or timezone.now()
    )
    return token


def progress_token_for_print(*, case: Case) -> str:
    """The case's token for the QR code of a print; a case without one gets one now, unless its
    personal data was erased (casework.retention: the person's access ended with it): ""."""
    if case.erased_at is not None:
        return ""
    access = CaseProgressAccess.objects.filter(case=case).first()
    if access is not None:
        return str(access.token)
    with transaction.atomic():
        return progress_access_issue(case=case)


def _finished_at(case: Case) -> datetime | None:
    if case.status == CaseStatus.CLOSED:
        return case.closed_at
    if case.status == CaseStatus.NOT_ACCEPTED:
        return case.screened_at
    return None


def progress_visible(case: Case, *, now: datetime | None = None) -> bool:
    """A case shows on the progress page until ``PROGRESS_CLOSED_VISIBLE_DAYS`` after it was closed
    (or not accepted); after that it is unknown there."""
    finished = _finished_at(case)
    if finished is None:
        return True
    return (now or timezone.now()) < finished + timedelta(days=settings.PROGRESS_CLOSED_VISIBLE_DAYS)


def progress_case_by_token(token: str) -> Case | None:
    """The case of a token in this hall's schema (another hall's token is unknown here), if shown."""
    access = CaseProgressAccess.objects.filter(token_digest=token_digest(token)).select_related("case").first()
    if access is None or not progress_visible(access.case):
        return None
    return access.case


def progress_report_by_token(token: str) -> OnlineReport | None:
    """An online report not (yet) a case, by its token: pending, or declined within
    ``PROGRESS_CLOSED_VISIBLE_DAYS``. An accepted report's token finds its case instead."""
    report = OnlineReport.objects.filter(token_digest=token_digest(token)).exclude(status=ReportStatus.ACCEPTED).first()
    if report is None:
        return None
    declined_at = report.screened_at if report.status == ReportStatus.DECLINED else None
    if declined_at is not None and timezone.now() >= declined_at + timedelta(
        days=settings.PROGRESS_CLOSED_VISIBLE_DAYS
    ):
        return None
    return report


def progress_report_secret_check(*, report: OnlineReport, secret: str) -> str:
    """Whether ``secret`` is the last four digits of the report's phone ("digits") or not ("")."""
    secret = (secret or "").strip()
    expected = phone_last_four(report.phone or "")
    ok = len(secret) == 4 and secret.isdigit() and hmac.compare_digest(secret.encode(), expected.encode())
    return "digits" if ok else ""


def progress_case_by_number(number: str) -> Case | None:
    number = number.strip().upper()
    if not number:
        return None
    case = Case.objects.filter(number=number).first()
    if case is None or not progress_visible(case):
        return None
    return case


# --- Blocking wrong tries -------------------------------------------------------------------------


def progress_blocked_seconds(*, key: str, address: str) -> int:
    """Seconds until the NO/token ``key`` or the address may try again (0: not blocked). Blocked once
    ``PROGRESS_FAILURE_LIMIT`` failures of the key, or ``PROGRESS_ADDRESS_FAILURE_LIMIT`` of the
    address, fall within the last ``PROGRESS_BLOCK_MINUTES``."""
    now = timezone.now()
    window = timedelta(minutes=settings.PROGRESS_BLOCK_MINUTES)
    since = now - window
    waits = []
    for column, value, limit in (
        ("key", key, settings.PROGRESS_FAILURE_LIMIT),
        ("address", address, settings.PROGRESS_ADDRESS_FAILURE_LIMIT),
    ):
        times = list(
            ProgressFailure.objects.filter(**{column: value}, at__gte=since)
            .order_by("-at")
            .values_list("at", flat=True)
        )
        if len(times) >= limit:
            # Blocked until the window has passed since the failure that reached the limit.
            waits.append(int((times[limit - 1] + window - now).total_seconds()) + 1)
    return max(waits, default=0)


def progress_failure_record(*, key: str, address: str) -> None:
    ProgressFailure.objects.create(key=key, address=address, at=timezone.now())


def _code_digest(case_id: int, code: str) -> str:
    return salted_hmac(_CODE_SALT, f"{case_id}:{code}").hexdigest()


def _last_four(case: Case) -> str:
    """The last four digits of the registered phone (a landline's: of its number, not its extension)."""
    return phone_last_four(case.phone or "")


@transaction.atomic
def progress_secret_check(*, case: Case | None, secret: str) -> str:
    """Whether ``secret`` opens ``case``: the last four digits of its registered phone, or an unused,
    unexpired one-time code (used up by this check). Returns "digits", "code" or "" (no). An unknown
    case (None) is compared against a stand-in, so that it takes about as long as a wrong answer."""
    secret = (secret or "").strip()
    if len(secret) == 4 and secret.isdigit():
        expected = _last_four(case) if case is not None else "\x00" * 4
        return "digits" if hmac.compare_digest(secret.encode(), expected.encode()) and case is not None else ""
    if len(secret) == CODE_DIGITS and secret.isdigit():
        case_id = case.pk if case is not None else 0
        digest = _code_digest(case_id, secret)
        code = (
            ProgressCode.objects.select_for_update()
            .filter(case_id=case_id, code_digest=digest, used_at__isnull=True, expires_at__gt=timezone.now())
            .first()
        )
        if code is None:
            return ""
        code.used_at = timezone.now()
        code.save(update_fields=["used_at"])
        return "code"
    return ""


def progress_code_address_refused(*, address: str) -> bool:
    """The address asked for ``PROGRESS_CODE_ADDRESS_LIMIT`` codes within the last hour."""
    since = timezone.now() - timedelta(hours=1)
    return (
        ProgressCode.objects.filter(address=address, sent_at__gte=since).count() >= settings.PROGRESS_CODE_ADDRESS_LIMIT
    )


def progress_code_send(*, case: Case | None, address: str, hall: Any) -> bool:
    """Send a one-time code to ``case``'s registered phone through the SMS provider, unless the phone
    had ``PROGRESS_CODE_DAILY_LIMIT`` codes in the last 24 hours or opted out of SMS. Only the code's
    digest is kept; the audit event ``progress.code_sent`` names the case, never the code. True if
    sent; the caller answers the same either way, so that nobody learns whether a NO exists."""
    if case is None or case.sms_opt_out or not is_mobile(case.phone or ""):  # a landline gets no SMS
        return False
    now = timezone.now()
    sent_today = ProgressCode.objects.filter(phone_index=case.phone_index, sent_at__gte=now - timedelta(days=1)).count()
    if sent_today >= settings.PROGRESS_CODE_DAILY_LIMIT:
        logger.info("progress code for case %s not sent: daily limit of the phone reached", case.pk)
        return False
    code = f"{secrets.randbelow(10**CODE_DIGITS):0{CODE_DIGITS}d}"
    minutes = max(1, settings.PROGRESS_CODE_SECONDS // 60)
    with transaction.atomic():
        ProgressCode.objects.create(
            case=case,
            code_digest=_code_digest(case.pk, code),
            phone_index=case.phone_index,
            address=address,
            sent_at=now,
            expires_at=now + timedelta(seconds=settings.PROGRESS_CODE_SECONDS),
        )
        audit_record(
            action="progress.code_sent", hall=hall, target=case, changes={"ip": address, "number": case.number}
        )
    try:
        sms_provider().send_sms(
            phone=case.phone,
            text=CODE_SMS.format(code=code, minutes=minutes),
            template_id=settings.SMS_TEMPLATE_IDS.get("progress_code", ""),
            params=[code, str(minutes)],
            param_names=("code", "minutes"),
            reference=f"progress:{case.pk}",
        )
    except ProviderError as error:
        logger.warning("progress code for case %s not sent: %s", case.pk, error.reason)
        return False
    return True


def progress_view_record(*, case: Case, hall: Any, address: str, via: str, method: str) -> None:
    """Audit a successful opening of the progress page (``progress.view``)."""
    audit_record(
        action="progress.view",
        hall=hall,
        target=case,
        changes={"ip": address, "number": case.number, "via": via, "method": method},
    )


# --- What the page shows --------------------------------------------------------------------------


@dataclass
class Step:
    label: Any
    at: datetime | None = None
    state: str = "todo"  # done | current | todo | skipped
    due_at: datetime | None = None
    key: str = ""  # registered | transferred | replied | told | followed_up | closed (the API's name)


@dataclass
class ProgressSummary:
    number: str
    matter: str
    status_label: Any
    applicant: str
    phone: str
    handler: str
    handler_phone: str
    steps: list[Step] = field(default_factory=list)
    result_label: Any = ""
    told: list[tuple[Any, str]] = field(default_factory=list)
    told_at: datetime | None = None
    finished: bool = False
    status: str = ""
    result: str = ""


def _live_due(hall: Any, kind: str, subject_type: str, subject_ids: list[int]) -> datetime | None:
    due = (
        Deadline.objects.filter(
            hall_id=hall.pk,
            kind=kind,
            subject_type=subject_type,
            subject_id__in=[str(pk) for pk in subject_ids],
            state__in=LIVE_STATES,
        )
        .order_by("-due_at")
        .values_list("due_at", flat=True)
        .first()
    )
    return due


STEP_KEYS = ("registered", "transferred", "replied", "told", "followed_up", "closed")


def progress_summary(*, case: Case, hall: Any) -> ProgressSummary:
    """What the person sees of their case: NO, matter, the steps with their dates and the due date of
    the step under way, and what they were told once the window told them. No internal note, no staff
    name but the 经办人 of the form, the person's own data masked."""
    on_the_spot = case.status == CaseStatus.ANSWERED or (case.answered_at is not None and case.transferred_at is None)
    not_accepted = case.status == CaseStatus.NOT_ACCEPTED
    told_at = case.fed_back_at if case.fed_back_at else (case.answered_at if on_the_spot else None)
    steps = [
        Step(pgettext_lazy("progress step", "Registered"), case.registered_at),
        Step(pgettext_lazy("progress step", "Transferred to departments"), case.transferred_at),
        Step(pgettext_lazy("progress step", "Departments answered"), case.replied_at),
        Step(pgettext_lazy("progress step", "Result told to you"), told_at),
        Step(pgettext_lazy("progress step", "Follow-up call"), case.followed_up_at),
        Step(pgettext_lazy("progress step", "Closed"), case.closed_at),
    ]
    for step, key in zip(steps, STEP_KEYS, strict=True):
        step.key = key
    if on_the_spot or not_accepted:
        steps[1].state = steps[2].state = "skipped"
    if not_accepted:
        steps[3].at = case.screened_at
    for step in steps:
        if step.state != "skipped" and step.at is not None:
            step.state = "done"
    if case.status != CaseStatus.CLOSED and not not_accepted:
        current = next((step for step in steps if step.state == "todo"), None)
        if current is not None:
            current.state = "current"
            if current is steps[2]:
                slip_ids = list(TransferSlip.objects.filter(case=case).values_list("pk", flat=True))
                current.due_at = _live_due(hall, DeadlineKind.SLIP_REPLY, TransferSlip._meta.label, slip_ids)
            elif current is steps[3]:
                current.due_at = _live_due(hall, DeadlineKind.FEEDBACK, Case._meta.label, [case.pk])
    if not_accepted:
        for step in steps[4:]:
            step.state = "skipped"
    told: list[tuple[Any, str]] = []
    if not_accepted:
        told.append((_("Not accepted because"), str(case.get_exclusion_reason_display())))
        if case.referral:
            told.append((_("Where to turn"), free_text(case.referral, revealed=False)))
    elif told_at is not None:
        if case.fed_back_at and case.feedback_content:
            told.append((_("What you were told"), free_text(case.feedback_content, revealed=False)))
        elif case.answer:
            told.append((_("What you were told"), free_text(case.answer, revealed=False)))
        if case.policy_basis and on_the_spot:
            told.append((_("Policy basis"), free_text(case.policy_basis, revealed=False)))
    if case.channel == Channel.ONLINE:
        submitted = OnlineReport.objects.filter(case=case).values_list("submitted_at", flat=True).first()
        steps.insert(0, Step(pgettext_lazy("progress step", "Received online"), submitted, "done"))
    handler = case.handler
    return ProgressSummary(
        number=case.number,
        matter=case.matter_name,
        status_label=case.get_status_display(),
        applicant=case.enterprise_name or mask_name(case.applicant_name or ""),
        phone=mask_mobile(case.phone or ""),
        handler=str(handler) if handler is not None else "",
        handler_phone=case.handler_phone,
        steps=steps,
        result_label=CaseResult(case.result).label if case.result and told_at is not None else "",
        told=told,
        told_at=told_at if not not_accepted else case.screened_at,
        finished=case.status == CaseStatus.CLOSED or not_accepted,
        status=case.status,
        result=case.result if case.result and told_at is not None else "",
    )


# --- Housekeeping ---------------------------------------------------------------------------------


def progress_purge(*, now: datetime | None = None) -> dict[str, int]:
    """Delete what the progress pages no longer read, in every hall's schema: wrong tries older than
    ``PROGRESS_BLOCK_MINUTES`` (the longest window a failure is counted in) and one-time codes expired
    more than a day ago (the daily cap per phone reads the last 24 hours); then, in the public schema,
    expired CAPTCHA pictures and code requests older than ``CAPTCHA_WINDOW_MINUTES``. Idempotent: run
    again, it finds nothing left. Returns how many rows of each were deleted."""
    now = now or timezone.now()
    failures_before = now - timedelta(minutes=settings.PROGRESS_BLOCK_MINUTES)
    codes_before = now - timedelta(days=1)
    counts = {"failures": 0, "codes": 0, "halls": 0}
    for hall in Hall.objects.exclude(schema_name=get_public_schema_name()).order_by("pk"):
        with in_hall_schema(hall):
            counts["failures"] += ProgressFailure.objects.filter(at__lt=failures_before).delete()[0]
            counts["codes"] += ProgressCode.objects.filter(expires_at__lt=codes_before).delete()[0]
        counts["halls"] += 1
    counts["captchas"] = captcha_purge_expired()
    counts["code_requests"] = code_requests_purge(now=now)
    return counts


def progress_report_summary(*, report: OnlineReport, hall: Any) -> ProgressSummary:
    """What the person sees of an online report the window has not accepted: received, pending
    screening (with its due date) before registration; or declined, with the reason told by SMS."""
    declined = report.status == ReportStatus.DECLINED
    received = Step(pgettext_lazy("progress step", "Received online"), report.submitted_at, "done")
    screening = Step(pgettext_lazy("progress step", "Pending screening"), report.screened_at)
    rest = [
        Step(pgettext_lazy("progress step", "Registered")),
        Step(pgettext_lazy("progress step", "Result told to you")),
        Step(pgettext_lazy("progress step", "Closed")),
    ]
    told: list[tuple[Any, str]] = []
    if declined:
        screening.state = "done"
        for step in rest:
            step.state = "skipped"
        told.append((_("Not taken as a report because"), free_text(report.decline_reason, revealed=False)))
    else:
        screening.state = "current"
        screening.due_at = _live_due(hall, DeadlineKind.ONLINE_SCREENING, OnlineReport._meta.label, [report.pk])
    return ProgressSummary(
        number="",
        matter=report.matter_name,
        status_label=report.get_status_display(),
        applicant=report.enterprise_name or mask_name(report.applicant_name or ""),
        phone=mask_mobile(report.phone or ""),
        handler="",
        handler_phone="",
        steps=[received, screening, *rest],
        told=told,
        told_at=report.screened_at if declined else None,
        finished=declined,
    )
