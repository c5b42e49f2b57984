"""The person's online report pages on a hall's host, open without a login (docs/online-reporting.md).

``/report/``: the mobile and a one-time SMS code (step 1); ``/report/form/``: the report with the
personal-data notice and its consent (step 2; only for a phone verified in this session within
``REPORT_SESSION_MINUTES``); ``/report/done/``: the report's progress link. Every page is throttled
per address; codes are capped per phone and per address; nothing tells whether a phone is known.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods

from casework.choices import ApplicantKind
from casework.models import OnlineReport
from casework.progress import progress_link
from casework.reports import (
    ENTERPRISE_MAX_LENGTH,
    MATTER_MAX_LENGTH,
    Photo,
    ReportData,
    report_code_address_refused,
    report_code_blocked_seconds,
    report_code_captcha_required,
    report_code_check,
    report_code_send,
    report_phone_clean,
    report_submit,
)
from casework.web.person_progress import CaptchaForm, _page, _too_many, progress_report_open
from hallplatform import limits
from hallplatform.accounts.access import public_endpoint
from hallplatform.captcha import captcha_new, code_request_record
from hallplatform.clientip import client_ip
from hallplatform.personal import mask_mobile
from hallplatform.throttling import page_address_throttle

VERIFIED_KEY = "report_phone"
DONE_KEY = "report_done"
CODE_MAX_LENGTH = 6

CODE_SENT = gettext_lazy(
    "If the number can receive SMS, a code has been sent to it. It is valid for %(minutes)d minutes."
)
WRONG_CODE = gettext_lazy("The code does not match, was used or has expired. Ask for a new one.")


def _throttled(request: HttpRequest) -> HttpResponse | None:
    wait = page_address_throttle(request, scope="report", rate_setting="REPORT_THROTTLE_RATE")
    return _too_many(request, wait) if wait else None


def _hall(request: HttpRequest) -> Any:
    return request.tenant  # type: ignore[attr-defined]


def _verified_phone(request: HttpRequest) -> str:
    """The phone proven by a code in this session on this hall's host, while the session lasts."""
    verified = request.session.get(VERIFIED_KEY)
    if not isinstance(verified, dict) or verified.get("hall") != _hall(request).pk:
        return ""
    if timezone.now().timestamp() > float(verified.get("until", 0)):
        request.session.pop(VERIFIED_KEY, None)
        return ""
    return str(verified.get("phone", ""))


def _minutes() -> int:
    return max(1, settings.PROGRESS_CODE_SECONDS // 60)


@public_endpoint
@require_http_methods(["GET", "POST"])
def report_start(request: HttpRequest) -> HttpResponse:
    """Step 1: the mobile, a one-time code sent to it, and the code."""
    if (refused := _throttled(request)) is not None:
        return refused
    address = client_ip(request)
    phone_text = request.POST.get("phone", "").strip()[: limits.PHONE_MAX_LENGTH]
    errors: dict[str, str] = {}
    code_sent = captcha_error = ""
    if request.method == "POST":
        try:
            phone = report_phone_clean(phone_text)
        except ValidationError as exc:
            errors["phone"] = exc.message_dict["phone"][0]
            phone = ""
        if phone and request.POST.get("action") == "send":
            if report_code_address_refused(address=address):
                return _too_many(request, 3600)
            form = CaptchaForm(request.POST, captcha=report_code_captcha_required(address=address))
            if form.is_valid():
                code_request_record(address=address, scope="report")
                report_code_send(phone=phone, address=address, hall=_hall(request))
                code_sent = str(CODE_SENT) % {"minutes": _minutes()}
            else:  # the picture was due and not solved: nothing sent, nothing counted
                captcha_error = "; ".join(str(message) for message in form.errors.get("captcha_value") or [])
        elif phone:
            if blocked := report_code_blocked_seconds(phone=phone, address=address):
                return _too_many(request, blocked)
            code = request.POST.get("code", "").strip()[:CODE_MAX_LENGTH]
            if report_code_check(phone=phone, code=code, address=address):
                request.session.cycle_key()
                until = timezone.now().timestamp() + settings.REPORT_SESSION_MINUTES * 60
                request.session[VERIFIED_KEY] = {"phone": phone, "hall": _hall(request).pk, "until": until}
                return HttpResponseRedirect(reverse("report:form"))
            if blocked := report_code_blocked_seconds(phone=phone, address=address):
                return _too_many(request, blocked)
            errors["code"] = str(WRONG_CODE)
            code_sent = ""
    return _page(
        request,
        "casework/report/start.html",
        {
            "phone": phone_text,
            "errors": errors,
            "code_sent": code_sent,
            "asked": request.method == "POST",
            "captcha": captcha_new() if report_code_captcha_required(address=address) else None,
            "captcha_error": captcha_error,
            "hall": _hall(request),
        },
        status=400 if errors or captcha_error else 200,
    )


def _photos(request: HttpRequest) -> list[Photo]:
    """The uploaded files, read up to one byte past the per-file limit (the service refuses larger)."""
    limit = settings.REPORT_PHOTO_MAX_BYTES + 1
    return [Photo(content=upload.read(limit)) for upload in request.FILES.getlist("photos")]


@public_endpoint
@require_http_methods(["GET", "POST"])
def report_form(request: HttpRequest) -> HttpResponse:
    """Step 2: the report, the personal-data notice (PIPL art. 17) and the consents."""
    if (refused := _throttled(request)) is not None:
        return refused
    phone = _verified_phone(request)
    if not phone:
        return HttpResponseRedirect(reverse("report:start"))
    errors: dict[str, str] = {}
    values: dict[str, Any] = {"applicant_kind": ApplicantKind.PERSON}
    if request.method == "POST":
        post = request.POST
        data = ReportData(
            phone=phone,
            applicant_kind=post.get("applicant_kind", "")[:12],
            applicant_name=post.get("applicant_name", "")[: limits.NAME_MAX_LENGTH + 1],
            enterprise_name=post.get("enterprise_name", "")[: ENTERPRISE_MAX_LENGTH + 1],
            matter_name=post.get("matter_name", "")[: MATTER_MAX_LENGTH + 1],
            problem=post.get("problem", "")[: limits.TEXT_MAX_LENGTH + 1],
            consent=post.get("consent") == "on",
            id_photo_consent=post.get("id_photo_consent") == "on",
            photos=_photos(request),
        )
        values = {name: getattr(data, name) for name in ("applicant_kind", "applicant_name", "enterprise_name")}
        values.update(matter_name=data.matter_name, problem=data.problem)
        try:
            report, _token = report_submit(hall=_hall(request), data=data, address=client_ip(request))
        except ValidationError as exc:
            errors = {name: messages[0] for name, messages in exc.message_dict.items()}
        else:
            request.session.pop(VERIFIED_KEY, None)
            progress_report_open(request, report=report)
            request.session[DONE_KEY] = report.pk
            return HttpResponseRedirect(reverse("report:done"))
    return _page(
        request,
        "casework/report/form.html",
        {
            "phone": mask_mobile(phone),
            "errors": errors,
            "values": values,
            "kinds": ApplicantKind.choices,
            "max_files": settings.REPORT_PHOTO_MAX_FILES,
            "max_mb": f"{settings.REPORT_PHOTO_MAX_BYTES / (1024 * 1024):g}",
            "limits": {"name": limits.NAME_MAX_LENGTH, "matter": MATTER_MAX_LENGTH, "problem": limits.TEXT_MAX_LENGTH},
            "notice_version": settings.REPORT_NOTICE_VERSION,
            "keep_days": settings.PROGRESS_CLOSED_VISIBLE_DAYS,
        },
        status=400 if errors else 200,
    )


@public_endpoint
@require_GET
def report_done(request: HttpRequest) -> HttpResponse:
    """The confirmation: the report's own progress link to bookmark (shown once, in this session)."""
    if (refused := _throttled(request)) is not None:
        return refused
    report_id = request.session.get(DONE_KEY)
    report = OnlineReport.objects.filter(pk=report_id).first() if isinstance(report_id, int) else None
    if report is None:
        return HttpResponseRedirect(reverse("report:start"))
    link = progress_link(origin=f"{request.scheme}://{request.get_host()}", token=str(report.token))
    return _page(request, "casework/report/done.html", {"link": link, "report": report, "title": _("Report sent")})
