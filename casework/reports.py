"""Online reporting (issue 16 item 3; docs/online-reporting.md): a person reports a failed matter on the
hall's /report/ page after proving their mobile with a one-time SMS code; the window screens the report
within one working day and accepts it (it becomes a case with channel 网上 and gets its NO now) or
declines it (spam, a duplicate: no NO consumed).

One-time codes: 6 digits, ``PROGRESS_CODE_SECONDS`` (5 minutes), good once, only a keyed digest kept,
at most ``REPORT_CODE_DAILY_LIMIT`` per phone per 24 hours and ``REPORT_CODE_ADDRESS_LIMIT`` per address
per hour. Wrong codes are counted with the progress page's failure counting (per phone and per
address), so guessing is blocked. Nothing tells whether a phone is known: sending always answers the
same.
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
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.crypto import salted_hmac
from django.utils.translation import gettext as _

from casework import notices
from casework.access import ensure_hall_staff
from casework.attachments import file_read, file_sniff, file_store, files_discard
from casework.choices import ApplicantKind, Channel, ReportStatus
from casework.models import Case, OnlineReport, ReportCode, StoredFile
from casework.progress import progress_blocked_seconds, progress_failure_record, token_digest, token_new
from casework.services import Registration, case_register, phone_index
from hallplatform import limits
from hallplatform.audit.services import audit_record
from hallplatform.captcha import captcha_required
from hallplatform.deadlines.models import LIVE_STATES, Deadline, DeadlineKind, DeadlineRule
from hallplatform.deadlines.services import deadline_meet, deadline_open
from hallplatform.personal import free_text, mask_mobile, normalise_mobile
from notifications.providers import ProviderError, sms_provider
from tenants.models import Hall

logger = logging.getLogger(__name__)

CODE_DIGITS = 6
_CODE_SALT = "bancheng.report.code"
CODE_SMS = "您在网上反映问题的验证码为{code}，{minutes}分钟内有效。请勿告诉他人。"
MATTER_MAX_LENGTH = 200
ENTERPRISE_MAX_LENGTH = 200


def _phone_key(index: str) -> str:
    """The failure-count key of a phone (progress failure table; a digest, never the phone)."""
    return hashlib.sha256(f"report:{index}".encode()).hexdigest()


def _code_digest(index: str, code: str) -> str:
    return salted_hmac(_CODE_SALT, f"{index}:{code}").hexdigest()


def report_phone_clean(phone: str) -> str:
    """The normalised mainland mobile, or a ValidationError naming the field ``phone``."""
    phone = (phone or "").strip()[: limits.PHONE_MAX_LENGTH]
    if not phone:
        raise ValidationError({"phone": [_("Enter your mobile number.")]})
    try:
        return normalise_mobile(phone)
    except ValidationError as exc:
        raise ValidationError({"phone": exc.messages}) from None


# --- One-time codes -------------------------------------------------------------------------------


def report_code_captcha_required(*, address: str) -> bool:
    """Whether the address must solve a CAPTCHA picture before its next code: after its first
    ``CAPTCHA_AFTER_CODE_REQUESTS`` code requests within ``CAPTCHA_WINDOW_MINUTES``, counted together
    with the progress pages' (hallplatform/captcha.py). The report page and API check it before
    sending and record each request that gets through (``code_request_record``, scope ``report``)."""
    return captcha_required(address)


def report_code_address_refused(*, address: str) -> bool:
    """The address asked for ``REPORT_CODE_ADDRESS_LIMIT`` codes within the last hour (the caller: 429)."""
    since = timezone.now() - timedelta(hours=1)
    return ReportCode.objects.filter(address=address, sent_at__gte=since).count() >= settings.REPORT_CODE_ADDRESS_LIMIT


def report_code_send(*, phone: str, address: str, hall: Any) -> bool:
    """Send a one-time code to ``phone`` (already normalised) through the SMS provider, unless the phone
    had ``REPORT_CODE_DAILY_LIMIT`` codes in the last 24 hours. True if sent; the caller answers the same
    either way. Audited as ``report.code_sent`` with the masked phone, never the code."""
    index = phone_index(phone)
    now = timezone.now()
    if (
        ReportCode.objects.filter(phone_index=index, sent_at__gte=now - timedelta(days=1)).count()
        >= settings.REPORT_CODE_DAILY_LIMIT
    ):
        logger.info("report code not sent: daily limit of the phone reached")
        return False
    code = f"{secrets.randbelow(10**CODE_DIGITS):0{CODE_DIGITS}d}"
    minutes = max(1, settings.PROGRESS_CODE_SECONDS // 60)
    with transaction.atomic():
        ReportCode.objects.create(
            phone_index=index,
            code_digest=_code_digest(index, code),
            address=address,
            sent_at=now,
            expires_at=now + timedelta(seconds=settings.PROGRESS_CODE_SECONDS),
        )
        audit_record(action="report.code_sent", hall=hall, changes={"ip": address, "phone": mask_mobile(phone)})
    try:
        sms_provider().send_sms(
            phone=phone,
            text=CODE_SMS.format(code=code, minutes=minutes),
            template_id=settings.SMS_TEMPLATE_IDS.get("report_code", ""),
            params=[code, str(minutes)],
            param_names=("code", "minutes"),
            reference="report:code",
        )
    except ProviderError as error:
        logger.warning("report code not sent: %s", error.reason)
        return False
    return True


def report_code_blocked_seconds(*, phone: str, address: str) -> int:
    """Seconds until this phone or address may try a code again (the progress page's failure limits)."""
    return progress_blocked_seconds(key=_phone_key(phone_index(phone)), address=address)


@transaction.atomic
def report_code_check(*, phone: str, code: str, address: str) -> bool:
    """Whether ``code`` is an unused, unexpired code sent to ``phone``; used up by this check. A wrong
    code counts as a failure of the phone and the address (blocked like the progress page)."""
    index = phone_index(phone)
    code = (code or "").strip()
    found = None
    if len(code) == CODE_DIGITS and code.isdigit():
        digest = _code_digest(index, code)
        found = (
            ReportCode.objects.select_for_update()
            .filter(phone_index=index, used_at__isnull=True, expires_at__gt=timezone.now())
            .order_by("-sent_at")
            .first()
        )
        if found is not None and not hmac.compare_digest(found.code_digest, digest):
            found = None
    if found is None:
        progress_failure_record(key=_phone_key(index), address=address)
        return False
    found.used_at = timezone.now()
    found.save(update_fields=["used_at"])
    return True


# --- Submitting a report --------------------------------------------------------------------------


@dataclass(frozen=True)
class Photo:
    """An uploaded file as the page or the API received it: its bytes (the name is not trusted)."""

    content: bytes


@dataclass(frozen=True)
class ReportData:
    """What the person fills in on /report/ (the phone was verified by a code before)."""

    phone: str
    applicant_kind: str
    applicant_name: str
    matter_name: str
    problem: str
    enterprise_name: str = ""
    consent: bool = False
    id_photo_consent: bool = False
    photos: list[Photo] = field(default_factory=list)


def _clean_report(data: ReportData) -> tuple[dict[str, Any], list[str]]:
    """The cleaned fields and the content types of the photos, or a ValidationError naming the fields."""
    errors: dict[str, list[str]] = {}

    def text(name: str, value: str, max_length: int, message: str) -> str:
        value = (value or "").strip()
        if not value:
            errors.setdefault(name, []).append(message)
        elif len(value) > max_length:
            errors.setdefault(name, []).append(_("At most %(count)d characters, please.") % {"count": max_length})
        return value

    cleaned: dict[str, Any] = {}
    if data.applicant_kind not in ApplicantKind.values:
        errors.setdefault("applicant_kind", []).append(_("Choose individual or enterprise."))
    cleaned["applicant_name"] = text(
        "applicant_name", data.applicant_name, limits.NAME_MAX_LENGTH, _("Enter your name.")
    )
    cleaned["matter_name"] = text(
        "matter_name", data.matter_name, MATTER_MAX_LENGTH, _("Enter the matter you came to do.")
    )
    cleaned["problem"] = text("problem", data.problem, limits.TEXT_MAX_LENGTH, _("Tell us what happened."))
    if data.applicant_kind == ApplicantKind.ENTERPRISE:
        cleaned["enterprise_name"] = text(
            "enterprise_name", data.enterprise_name, ENTERPRISE_MAX_LENGTH, _("Enter the enterprise's name.")
        )
    else:
        cleaned["enterprise_name"] = ""
    if not data.consent:
        errors.setdefault("consent", []).append(_("Please read the notice and agree to it to send your report."))
    types: list[str] = []
    if len(data.photos) > settings.REPORT_PHOTO_MAX_FILES:
        errors.setdefault("photos", []).append(
            _("At most %(count)d files, please.") % {"count": settings.REPORT_PHOTO_MAX_FILES}
        )
    elif data.photos:
        total = 0
        for photo in data.photos:
            total += len(photo.content)
            if len(photo.content) > settings.REPORT_PHOTO_MAX_BYTES:
                errors.setdefault("photos", []).append(
                    _("Each file may have at most %(mb)s MB.") % {"mb": _megabytes(settings.REPORT_PHOTO_MAX_BYTES)}
                )
                break
            content_type = file_sniff(photo.content)
            if not content_type:
                errors.setdefault("photos", []).append(_("Only photos (JPEG, PNG) or PDF files, please."))
                break
            types.append(content_type)
        if "photos" not in errors and total > settings.REPORT_PHOTO_TOTAL_BYTES:
            errors.setdefault("photos", []).append(
                _("The files may have at most %(mb)s MB together.")
                % {"mb": _megabytes(settings.REPORT_PHOTO_TOTAL_BYTES)}
            )
        if not data.id_photo_consent:
            errors.setdefault("id_photo_consent", []).append(
                _("Photos of documents need your separate consent; agree to it or leave the photos out.")
            )
    if errors:
        raise ValidationError(errors)
    return cleaned, types


def _megabytes(size: int) -> str:
    return f"{size / (1024 * 1024):g}"


def report_submit_check(*, data: ReportData) -> None:
    """What ``report_submit`` would refuse in the form (fields, consent, photos), without writing."""
    _clean_report(data)


def report_daily_refused(*, phone: str) -> bool:
    """The phone sent ``REPORT_DAILY_LIMIT`` reports within the last 24 hours."""
    since = timezone.now() - timedelta(days=1)
    return (
        OnlineReport.objects.filter(phone_index=phone_index(phone), submitted_at__gte=since).count()
        >= settings.REPORT_DAILY_LIMIT
    )


def report_submit(*, hall: Any, data: ReportData, address: str) -> tuple[OnlineReport, str]:
    """Record an online report from a verified phone (the caller checked the code): the personal data
    encrypted, the consent to the notice (version, time, address) and, with photos, to the photos of
    documents; the photos sealed in the private storage; the window's one-working-day screening
    deadline; an SMS "received" (no link). Returns the report and its progress token. Refusals name
    the field and leave nothing behind: no row, no file."""
    cleaned, types = _clean_report(data)
    phone = report_phone_clean(data.phone)
    if report_daily_refused(phone=phone):
        raise ValidationError({"phone": [_("You sent several reports today already; please call the hall instead.")]})
    written: list[str] = []
    try:
        with transaction.atomic():
            report, token = _report_create(hall=hall, data=data, cleaned=cleaned, phone=phone, address=address)
            for photo, content_type in zip(data.photos, types, strict=True):
                file_store(content=photo.content, content_type=content_type, report=report, written=written)
    except BaseException:
        files_discard(written)
        raise
    return report, token


def _report_create(
    *, hall: Any, data: ReportData, cleaned: dict[str, Any], phone: str, address: str
) -> tuple[OnlineReport, str]:
    now = timezone.now()
    token = token_new()
    report = OnlineReport.objects.create(
        status=ReportStatus.PENDING,
        applicant_kind=data.applicant_kind,
        applicant_name=cleaned["applicant_name"],
        enterprise_name=cleaned["enterprise_name"],
        phone=phone,
        phone_index=phone_index(phone),
        matter_name=cleaned["matter_name"],
        problem=cleaned["problem"],
        submitted_at=now,
        submitted_from=address[:45],
        consent_version=settings.REPORT_NOTICE_VERSION,
        consent_at=now,
        id_photo_consent_at=now if data.photos and data.id_photo_consent else None,
        token_digest=token_digest(token),
        token=token,
    )
    deadline_open(
        hall=hall,
        kind=DeadlineKind.ONLINE_SCREENING,
        subject=report,
        start=now,
        rule=DeadlineRule.WORKING_DAYS,
        amount=1,
        subject_number=f"R{report.pk}",
    )
    audit_record(
        action="report.submit",
        hall=hall,
        target=report,
        changes={
            "ip": address,
            "phone": mask_mobile(phone),
            "consent_version": report.consent_version,
            "id_photo_consent": report.id_photo_consent_at is not None,
            "photos": len(data.photos),
        },
    )
    notices.notify_reporter(
        kind="person_report_received",
        event_key=f"report:{report.pk}:received",
        hall=hall,
        report=report,
        context={"matter_name": free_text(report.matter_name, revealed=False), "hall_name": hall.name},
    )
    return report, token


# --- Screening by the window ----------------------------------------------------------------------


def report_list_for_hall(*, actor: Any, hall: Any, status: str = ReportStatus.PENDING) -> QuerySet[OnlineReport]:
    """The hall's online reports in ``status`` (pending first for the window; all for the lead)."""
    ensure_hall_staff(actor, hall.pk)
    reports = OnlineReport.objects.select_related("case")
    if status:
        reports = reports.filter(status=status)
    return reports.order_by("submitted_at", "id") if status == ReportStatus.PENDING else reports


def report_screening_deadlines(*, hall: Any, reports: list[OnlineReport]) -> dict[int, Deadline]:
    """The live screening deadlines of ``reports`` by report id, in one query."""
    rows = Deadline.objects.filter(
        hall_id=hall.pk,
        kind=DeadlineKind.ONLINE_SCREENING,
        subject_type=OnlineReport._meta.label,
        subject_id__in=[str(report.pk) for report in reports],
        state__in=LIVE_STATES,
    )
    return {int(deadline.subject_id): deadline for deadline in rows}


def report_screening_deadline(*, hall: Any, report: OnlineReport) -> Deadline | None:
    return (
        Deadline.objects.filter(
            hall_id=hall.pk,
            kind=DeadlineKind.ONLINE_SCREENING,
            subject_type=OnlineReport._meta.label,
            subject_id=str(report.pk),
        )
        .order_by("-id")
        .first()
    )


def _locked_report(report: OnlineReport, expected_version: int | None) -> OnlineReport:
    locked = OnlineReport.objects.select_for_update().get(pk=report.pk)
    if expected_version is not None and locked.version != expected_version:
        message = _("Someone else changed this report meanwhile; reload it and try again.")
        raise ValidationError({"version": ValidationError(message, code="conflict")})
    if locked.status != ReportStatus.PENDING:
        message = _("This report was screened already.")
        raise ValidationError({"status": ValidationError(message, code="invalid_transition")})
    return locked


def _screening_met(*, hall: Any, report: OnlineReport, actor: Any, at: datetime) -> None:
    deadline = report_screening_deadline(hall=hall, report=report)
    if deadline is not None and deadline.state in LIVE_STATES:
        deadline_meet(deadline=deadline, at=at, actor=actor)


@transaction.atomic
def report_accept(
    *,
    report: OnlineReport,
    actor: Any,
    hall: Any,
    document_type: str,
    document_number: str,
    address: str = "",
    expected_version: int | None = None,
) -> Case:
    """The window accepts an online report: it becomes a case with channel 网上 and gets its NO now
    (gap-free: spam never consumed one), the window completing the document; the person's progress
    link keeps working (the same token) and the registration SMS carries the hall's fixed progress
    address and the NO. The screening deadline is met; the photos go with the case. Then the case
    continues as any other (answer, transfer, not accepted …)."""
    ensure_hall_staff(actor, hall.pk)
    report = _locked_report(report, expected_version)
    now = timezone.now()
    case = case_register(
        hall=hall,
        actor=actor,
        data=Registration(
            channel=Channel.ONLINE,
            applicant_kind=report.applicant_kind,
            applicant_name=str(report.applicant_name),
            phone=str(report.phone),
            document_type=document_type,
            document_number=document_number,
            matter_name=report.matter_name,
            problem=str(report.problem),
            address=address,
            enterprise_name=report.enterprise_name,
        ),
        at=now,
        progress_token=str(report.token),
    )
    StoredFile.objects.filter(report=report).update(case=case)
    report.status = ReportStatus.ACCEPTED
    report.case = case
    report.screened_at = now
    report.screened_by = actor
    report.version += 1
    report.save(update_fields=["status", "case", "screened_at", "screened_by", "version"])
    _screening_met(hall=hall, report=report, actor=actor, at=now)
    audit_record(
        action="report.accept", actor=actor, hall=hall, target=report, changes={"case": case.pk, "number": case.number}
    )
    return case


@transaction.atomic
def report_decline(
    *, report: OnlineReport, actor: Any, hall: Any, reason: str, expected_version: int | None = None
) -> OnlineReport:
    """The window declines an online report as not a report (spam, a duplicate, …): the reason is
    required; no NO is consumed; audited; the screening deadline is met; the person (whose phone was
    verified by a code) is told by SMS."""
    ensure_hall_staff(actor, hall.pk)
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": [_("Say why this is not taken as a report.")]})
    if len(reason) > limits.NOTE_MAX_LENGTH:
        raise ValidationError(
            {"reason": [_("At most %(count)d characters, please.") % {"count": limits.NOTE_MAX_LENGTH}]}
        )
    report = _locked_report(report, expected_version)
    now = timezone.now()
    report.status = ReportStatus.DECLINED
    report.decline_reason = reason
    report.screened_at = now
    report.screened_by = actor
    report.version += 1
    report.save(update_fields=["status", "decline_reason", "screened_at", "screened_by", "version"])
    _screening_met(hall=hall, report=report, actor=actor, at=now)
    audit_record(action="report.decline", actor=actor, hall=hall, target=report, changes={"reason": reason})
    hall_phone = Hall.objects.filter(pk=hall.pk).values_list("phone", flat=True).first() or ""
    notices.notify_reporter(
        kind="person_report_declined",
        event_key=f"report:{report.pk}:declined",
        hall=hall,
        report=report,
        context={
            "matter_name": free_text(report.matter_name, revealed=False),
            "hall_name": hall.name,
            "reason": free_text(reason, revealed=False),
            "hall_phone": hall_phone,
        },
    )
    return report


def report_file_read(*, report: OnlineReport, stored: StoredFile, actor: Any, hall: Any) -> bytes:
    """A photo of a report for the hall's staff, audited like a reveal (``report.file_view``)."""
    ensure_hall_staff(actor, hall.pk)
    content = file_read(stored)
    audit_record(action="report.file_view", actor=actor, hall=hall, target=report, changes={"file": stored.pk})
    return content
