"""The person's progress pages on a hall's host, open without a login (docs/progress-page.md).

``/progress/``: the NO plus the last four digits of the registered phone, or plus a one-time code sent
to it (``/progress/code/``). ``/progress/<token>/``: the printed QR code's link; it asks only for the
digits or a code. Once confirmed, the case is open in the person's session for
``PROGRESS_SESSION_MINUTES``. Every page is throttled per address; wrong tries are counted per NO/token
and per address and blocked (429); unknown NOs and tokens answer exactly like wrong digits.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import segno
from django.conf import settings
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods, require_POST

from casework.models import Case, OnlineReport
from casework.progress import (
    number_key,
    progress_blocked_seconds,
    progress_case_by_number,
    progress_case_by_token,
    progress_code_address_refused,
    progress_code_send,
    progress_failure_record,
    progress_link,
    progress_report_by_token,
    progress_report_secret_check,
    progress_report_summary,
    progress_secret_check,
    progress_summary,
    progress_token_for_print,
    progress_view_record,
    progress_visible,
    token_key,
)
from hallplatform.accounts.access import public_endpoint
from hallplatform.captcha import Captcha, CaptchaFormMixin, captcha_new, captcha_required, code_request_record
from hallplatform.clientip import client_ip
from hallplatform.throttling import page_address_throttle
from tenants.models import Hall

SESSION_KEY = "progress_open"
LARGE_KEY = "progress_large"
NUMBER_MAX_LENGTH = 24
SECRET_MAX_LENGTH = 6
TOKEN_MAX_LENGTH = 64


def _hall(request: HttpRequest) -> Any:
    return request.tenant  # type: ignore[attr-defined]


def _contact(request: HttpRequest) -> dict[str, str]:
    return Hall.objects.filter(pk=_hall(request).pk).values("name", "phone", "address").first() or {}


def _large(request: HttpRequest) -> bool:
    """The large-type, high-contrast option (适老化), kept in the session: ?text=large / ?text=normal."""
    choice = request.GET.get("text")
    if choice in {"large", "normal"}:
        request.session[LARGE_KEY] = choice == "large"
    return bool(request.session.get(LARGE_KEY, False))


def _page(request: HttpRequest, template: str, context: dict[str, Any], *, status: int = 200) -> HttpResponse:
    context = {"hall": _contact(request), "large": _large(request), **context}
    response = render(request, template, context, status=status)
    response["Cache-Control"] = "no-store"
    # a token in the address never leaves for another site in a Referer ("no-referrer" would make
    # Chromium send "Origin: null" with the forms, which Django's CSRF check refuses)
    response["Referrer-Policy"] = "same-origin"
    return response


def _too_many(request: HttpRequest, seconds: int) -> HttpResponse:
    minutes = max(1, (seconds + 59) // 60)
    response = _page(request, "casework/progress/blocked.html", {"minutes": minutes}, status=429)
    response["Retry-After"] = str(seconds)
    return response


def _throttled(request: HttpRequest) -> HttpResponse | None:
    wait = page_address_throttle(request, scope="progress", rate_setting="PROGRESS_THROTTLE_RATE")
    return _too_many(request, wait) if wait else None


def _open_case_id(request: HttpRequest) -> int | None:
    """The case the person confirmed in this session on this hall's host, while it is still open."""
    opened = request.session.get(SESSION_KEY)
    if not isinstance(opened, dict) or opened.get("hall") != _hall(request).pk:
        return None
    if timezone.now().timestamp() > float(opened.get("until", 0)):
        request.session.pop(SESSION_KEY, None)
        return None
    if "case" not in opened:
        return None
    return int(opened["case"])


def _open_report(request: HttpRequest) -> OnlineReport | None:
    """The online report (not yet a case) open in this session on this hall's host; once accepted, the
    case it became opens instead (_open_case_id)."""
    opened = request.session.get(SESSION_KEY)
    if not isinstance(opened, dict) or opened.get("hall") != _hall(request).pk or "report" not in opened:
        return None
    if timezone.now().timestamp() > float(opened.get("until", 0)):
        return None
    return OnlineReport.objects.filter(pk=int(opened["report"])).first()


def progress_report_open(request: HttpRequest, *, report: OnlineReport) -> None:
    """Open an online report in the person's session (after sending it, or the digits on its link)."""
    request.session.cycle_key()
    until = timezone.now() + timedelta(minutes=settings.PROGRESS_SESSION_MINUTES)
    request.session[SESSION_KEY] = {"report": report.pk, "hall": _hall(request).pk, "until": until.timestamp()}


def _confirm(request: HttpRequest, *, case: Case, via: str, method: str) -> None:
    request.session.cycle_key()
    until = timezone.now() + timedelta(minutes=settings.PROGRESS_SESSION_MINUTES)
    request.session[SESSION_KEY] = {"case": case.pk, "hall": _hall(request).pk, "until": until.timestamp()}
    progress_view_record(case=case, hall=_hall(request), address=client_ip(request), via=via, method=method)


def _check(request: HttpRequest, *, case: Case | None, key: str, via: str) -> tuple[HttpResponse | None, str]:
    """Check the posted digits or code against ``case``. Returns (a 429 response, "") when blocked,
    else (None, the method that worked or "" after counting the failure)."""
    address = client_ip(request)
    blocked = progress_blocked_seconds(key=key, address=address)
    if blocked:
        progress_failure_record(key=key, address=address)  # hammering keeps it blocked
        return _too_many(request, blocked), ""
    secret = request.POST.get("secret", "")[:SECRET_MAX_LENGTH]
    method = progress_secret_check(case=case, secret=secret)
    if not method or case is None:
        progress_failure_record(key=key, address=address)
        blocked = progress_blocked_seconds(key=key, address=address)
        if blocked:
            return _too_many(request, blocked), ""
        return None, ""
    _confirm(request, case=case, via=via, method=method)
    return None, method


# 0.6 mm a module: a link of ~80 characters (version 5, 37 modules, level M) prints about 2.5 cm wide.
QR_MODULE_MM = 0.6


def progress_qr(request: HttpRequest, case: Case) -> dict[str, str | SafeString]:
    """The QR code of the case's progress link for a print on the hall's host: the link and an inline
    SVG (drawn by segno; no image request, no inline style or script: CSP as everywhere)."""
    token = progress_token_for_print(case=case)
    if not token:  # erased (casework.retention): no link any more
        return {}
    url = progress_link(origin=f"{request.scheme}://{request.get_host()}", token=token)
    svg = segno.make(url, error="m").svg_inline(
        scale=QR_MODULE_MM, unit="mm", border=2, svgclass="progress-qr-code", title=_("QR code of the progress link")
    )
    return {"url": url, "svg": mark_safe(svg)}  # noqa: S308 (segno's own markup; the url is ours, escaped by segno)


WRONG = gettext_lazy("The details do not match. Check the NO and the digits, or ask for a code.")
CODE_SENT = gettext_lazy(
    "If the details match a case of this hall, a code has been sent to the phone registered with it. "
    "It is valid for %(minutes)d minutes."
)


@public_endpoint
@require_http_methods(["GET", "POST"])
def progress_lookup(request: HttpRequest) -> HttpResponse:
    """The hall's fixed progress address (in the SMS): the NO and the last four digits or a code."""
    if (refused := _throttled(request)) is not None:
        return refused
    number = request.POST.get("number", "").strip()[:NUMBER_MAX_LENGTH]
    errors: dict[str, str] = {}
    if request.method == "POST":
        if not number:
            errors["number"] = _("Enter the NO of your case.")
        if not request.POST.get("secret", "").strip():
            errors["secret"] = _("Enter the last four digits of your phone or the code you received.")
        if not errors:
            blocked, method = _check(
                request, case=progress_case_by_number(number), key=number_key(number), via="number"
            )
            if blocked is not None:
                return blocked
            if method:
                return HttpResponseRedirect(reverse("progress:status"))
            errors["secret"] = str(WRONG)
    return _page(
        request,
        "casework/progress/lookup.html",
        {"number": number, "errors": errors, "captcha": _captcha_for(request)},
        status=400 if errors else 200,
    )


class CaptchaForm(CaptchaFormMixin):
    """The CAPTCHA of the "send me a code" forms (hallplatform/captcha.py), when the address must."""


def _captcha_for(request: HttpRequest) -> Captcha | None:
    """A picture for the "send me a code" form once the address asked for its first codes."""
    return captcha_new() if captcha_required(client_ip(request)) else None


def _code_request(request: HttpRequest, *, case: Case | None) -> tuple[HttpResponse | None, str]:
    """Send a code if allowed. Returns (a 429 response, "") over the address's limit; (None, the
    CAPTCHA's error) when the address had to solve the picture and did not: nothing sent, nothing
    counted; else (None, "") and the caller shows its "if the details match" answer."""
    address = client_ip(request)
    if progress_code_address_refused(address=address):
        return _too_many(request, 3600), ""
    form = CaptchaForm(request.POST, captcha=captcha_required(address))
    if not form.is_valid():
        return None, "; ".join(str(message) for message in form.errors.get("captcha_value") or [])
    code_request_record(address=address, scope="progress")
    progress_code_send(case=case, address=address, hall=_hall(request))
    return None, ""


@public_endpoint
@require_http_methods(["GET", "POST"])
def progress_code(request: HttpRequest) -> HttpResponse:
    """Ask for a one-time code by NO; the answer is the same whether the NO exists or not."""
    if (refused := _throttled(request)) is not None:
        return refused
    number = request.POST.get("number", "").strip()[:NUMBER_MAX_LENGTH]
    errors: dict[str, str] = {}
    sent = False
    captcha_error = ""
    if request.method == "POST":
        if not number:
            errors["number"] = _("Enter the NO of your case.")
        else:
            blocked, captcha_error = _code_request(request, case=progress_case_by_number(number))
            if blocked is not None:
                return blocked
            sent = not captcha_error
    return _page(
        request,
        "casework/progress/lookup.html",
        {
            "number": number,
            "errors": errors,
            "code_sent": str(CODE_SENT) % {"minutes": max(1, settings.PROGRESS_CODE_SECONDS // 60)} if sent else "",
            "captcha": _captcha_for(request),
            "captcha_error": captcha_error,
        },
        status=400 if errors or captcha_error else 200,
    )


@public_endpoint
@require_http_methods(["GET"])
def progress_status(request: HttpRequest) -> HttpResponse:
    """The confirmed case's progress (the session's), or back to the lookup form."""
    if (refused := _throttled(request)) is not None:
        return refused
    case_id = _open_case_id(request)
    case = Case.objects.filter(pk=case_id).select_related("handler").first() if case_id else None
    report = _open_report(request) if case is None else None
    if report is not None and report.case_id is not None:
        case = Case.objects.filter(pk=report.case_id).select_related("handler").first()
    elif report is not None:
        return _page(
            request,
            "casework/progress/status.html",
            {"summary": progress_report_summary(report=report, hall=_hall(request))},
        )
    if case is None or not progress_visible(case):
        return HttpResponseRedirect(reverse("progress:lookup"))
    return _page(
        request, "casework/progress/status.html", {"summary": progress_summary(case=case, hall=_hall(request))}
    )


@public_endpoint
@require_POST
def progress_leave(request: HttpRequest) -> HttpResponse:
    """Close the case in this session (a shared phone)."""
    if (refused := _throttled(request)) is not None:
        return refused
    request.session.pop(SESSION_KEY, None)
    return HttpResponseRedirect(reverse("progress:lookup"))


@public_endpoint
@require_http_methods(["GET", "POST"])
def progress_token(request: HttpRequest, token: str) -> HttpResponse:
    """The printed QR code's link: asks only for the digits or a code. An unknown token, another
    hall's, or a case past its retention: 404, the same page for all."""
    if (refused := _throttled(request)) is not None:
        return refused
    token = token[:TOKEN_MAX_LENGTH]
    key = token_key(token)
    address = client_ip(request)
    case = progress_case_by_token(token)
    if case is None and (report := progress_report_by_token(token)) is not None:
        return _report_token(request, report=report, key=key)
    if case is None:
        progress_failure_record(key=key, address=address)
        if wait := progress_blocked_seconds(key=key, address=address):
            return _too_many(request, wait)
        raise Http404
    if _open_case_id(request) == case.pk and request.method == "GET":
        return _page(
            request, "casework/progress/status.html", {"summary": progress_summary(case=case, hall=_hall(request))}
        )
    errors: dict[str, str] = {}
    code_sent = captcha_error = ""
    if request.method == "POST" and request.POST.get("action") == "code":
        refused, captcha_error = _code_request(request, case=case)
        if refused is not None:
            return refused
        if not captcha_error:
            code_sent = str(CODE_SENT) % {"minutes": max(1, settings.PROGRESS_CODE_SECONDS // 60)}
    elif request.method == "POST":
        refused, method = _check(request, case=case, key=key, via="token")
        if refused is not None:
            return refused
        if method:
            return HttpResponseRedirect(request.path)
        errors["secret"] = str(WRONG)
    else:
        blocked_seconds = progress_blocked_seconds(key=key, address=address)
        if blocked_seconds:
            return _too_many(request, blocked_seconds)
    return _page(
        request,
        "casework/progress/token.html",
        {
            "errors": errors,
            "code_sent": code_sent,
            "captcha": _captcha_for(request),
            "captcha_error": captcha_error,
        },
        status=400 if errors or captcha_error else 200,
    )


def _report_token(request: HttpRequest, *, report: OnlineReport, key: str) -> HttpResponse:
    """The progress link of an online report the window has not accepted: the last four digits of the
    phone open it (no code: there is no case to send one for yet; asking answers the same)."""
    address = client_ip(request)
    opened = _open_report(request)
    if opened is not None and opened.pk == report.pk and request.method == "GET":
        return _page(
            request,
            "casework/progress/status.html",
            {"summary": progress_report_summary(report=report, hall=_hall(request))},
        )
    if blocked := progress_blocked_seconds(key=key, address=address):
        if request.method == "POST":
            progress_failure_record(key=key, address=address)
        return _too_many(request, blocked)
    errors: dict[str, str] = {}
    code_sent = ""
    if request.method == "POST" and request.POST.get("action") == "code":
        code_sent = str(CODE_SENT) % {"minutes": max(1, settings.PROGRESS_CODE_SECONDS // 60)}
    elif request.method == "POST":
        secret = request.POST.get("secret", "")[:SECRET_MAX_LENGTH]
        if progress_report_secret_check(report=report, secret=secret):
            progress_report_open(request, report=report)
            return HttpResponseRedirect(request.path)
        progress_failure_record(key=key, address=address)
        if blocked := progress_blocked_seconds(key=key, address=address):
            return _too_many(request, blocked)
        errors["secret"] = str(WRONG)
    return _page(
        request,
        "casework/progress/token.html",
        {"errors": errors, "code_sent": code_sent},
        status=400 if errors else 200,
    )
