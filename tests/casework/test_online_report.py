"""Online reporting (casework/reports.py, casework/attachments.py, casework/web/person_report.py,
casework/web/online_reports.py; docs/online-reporting.md): codes, the report and its refusals leaving
nothing behind, encrypted photos, the window's screening (accept: NO gap-free; decline: none), the
screening deadline, the progress link of a pending report, and another hall's host."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from captcha.models import CaptchaStore
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test import Client

from casework import crypto
from casework.attachments import file_read
from casework.choices import Channel, HandlingCategory, ReportStatus
from casework.key_rotation import field_keys_rotate
from casework.models import Case, CaseNumberSequence, CaseProgressAccess, OnlineReport, ReportCode, StoredFile
from casework.reports import Photo, ReportData, report_accept, report_decline, report_submit
from casework.services import case_answer_on_spot
from hallplatform.audit.models import AuditEvent
from hallplatform.deadlines.models import Deadline, DeadlineKind, DeadlineState
from hallplatform.models import CodeRequest
from hallplatform.schemas import use_hall_schema
from notifications.models import ConsoleMessage, Notice
from tests.casework.support import Clock, install_clock, register
from tests.casework.test_case_register import ID_NUMBER
from tests.casework.test_crypto import b64key
from tests.conftest import client_for, host_of, user

PHONE = "13912345678"
JPEG = b"\xff\xd8\xff\xe0" + b"\x00" * 200
PNG = b"\x89PNG\r\n\x1a\n" + b"\x01" * 100


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Clock:
    return install_clock(monkeypatch)


@pytest.fixture
def private_root(settings: Any, tmp_path: Path) -> Path:
    root = tmp_path / "private"
    settings.STORAGES = {
        **settings.STORAGES,
        "private": {"BACKEND": "django.core.files.storage.FileSystemStorage", "OPTIONS": {"location": str(root)}},
    }
    return root


@pytest.fixture
def hall(demo: dict[str, Any], clock: Clock, settings: Any, private_root: Path) -> Any:
    settings.PROGRESS_THROTTLE_RATE = "1000/minute"
    settings.REPORT_THROTTLE_RATE = "1000/minute"
    settings.CAPTCHA_AFTER_CODE_REQUESTS = 100  # the CAPTCHA has its own test below
    use_hall_schema(demo["wengyuan"])
    return demo["wengyuan"]


def files_on_disk(root: Path) -> list[Path]:
    return [path for path in root.rglob("*") if path.is_file()] if root.exists() else []


def data(**changes: Any) -> ReportData:
    values: dict[str, Any] = {
        "phone": PHONE,
        "applicant_kind": "person",
        "applicant_name": "李四",
        "matter_name": "不动产登记",
        "problem": "材料齐全但窗口说系统不支持",
        "consent": True,
    }
    values.update(changes)
    return ReportData(**values)


def submit(hall: Any, **changes: Any) -> tuple[OnlineReport, str]:
    return report_submit(hall=hall, data=data(**changes), address="203.0.113.9")


def person(code: str = "wengyuan", address: str = "203.0.113.9") -> Client:
    return Client(HTTP_HOST=host_of(code), REMOTE_ADDR=address)


def last_code() -> str:
    message = ConsoleMessage.objects.filter(reference="report:code").latest("pk")
    found = re.search(r"\d{6}", message.body)
    assert found is not None
    return found.group(0)


def nothing_kept(root: Path) -> None:
    assert not OnlineReport.objects.exists()
    assert not StoredFile.objects.exists()
    assert files_on_disk(root) == []
    assert not Deadline.objects.filter(kind=DeadlineKind.ONLINE_SCREENING).exists()


# --- The report and its refusals -----------------------------------------------------------------


def test_a_report_is_kept_encrypted_with_consent_deadline_and_received_sms(hall: Any, private_root: Path) -> None:
    report, _token = submit(hall, photos=[Photo(JPEG)], id_photo_consent=True)

    assert report.status == ReportStatus.PENDING and report.case is None
    assert report.consent_version and report.consent_at is not None and report.id_photo_consent_at is not None
    with connection.cursor() as cursor:
        cursor.execute("SELECT phone, applicant_name, problem FROM casework_onlinereport WHERE id = %s", [report.pk])
        [row] = cursor.fetchall()
    assert all(value.startswith(("v1:", "sm4v1:")) for value in row) and PHONE not in str(row)
    # no NO consumed, no case
    assert not Case.objects.exists() and not CaseNumberSequence.objects.exists()
    deadline = Deadline.objects.get(kind=DeadlineKind.ONLINE_SCREENING, subject_id=str(report.pk))
    assert deadline.state == DeadlineState.OPEN and deadline.owner_user is None
    assert deadline.due_at.date().isoformat() == "2026-03-03"  # one working day after Monday 9:00
    notice = Notice.objects.get(kind="person_report_received")
    assert notice.recipient_ref == f"report:{report.pk}" and "http" not in str(notice.context)
    # the photo: sealed on disk, read back whole
    [stored] = StoredFile.objects.filter(report=report)
    [path] = files_on_disk(private_root)
    assert JPEG not in path.read_bytes() and stored.content_type == "image/jpeg"
    assert file_read(stored) == JPEG
    assert AuditEvent.objects.get(action="report.submit").changes["photos"] == 1


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"consent": False}, "consent"),
        ({"applicant_name": ""}, "applicant_name"),
        ({"matter_name": "x" * 201}, "matter_name"),
        ({"applicant_kind": "enterprise"}, "enterprise_name"),
        ({"photos": [Photo(b"hello, I am text named photo.jpg")], "id_photo_consent": True}, "photos"),
        ({"photos": [Photo(JPEG + b"\x00" * (4 * 1024 * 1024))], "id_photo_consent": True}, "photos"),
        ({"photos": [Photo(JPEG)] * 4, "id_photo_consent": True}, "photos"),
        ({"photos": [Photo(PNG)]}, "id_photo_consent"),
        ({"phone": "12345"}, "phone"),
    ],
)
def test_refused_reports_leave_nothing_behind(hall: Any, private_root: Path, changes: Any, field: str) -> None:
    with pytest.raises(ValidationError) as excinfo:
        submit(hall, **changes)

    assert field in excinfo.value.message_dict
    nothing_kept(private_root)
    assert not Notice.objects.filter(kind="person_report_received").exists()


def test_a_failure_after_the_photos_were_written_removes_them(
    hall: Any, private_root: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from casework import reports

    original = reports.file_store
    calls: list[int] = []

    def store_then_fail(**kwargs: Any) -> Any:
        stored = original(**kwargs)
        calls.append(1)
        if len(calls) == 2:
            raise RuntimeError("disk full")
        return stored

    monkeypatch.setattr(reports, "file_store", store_then_fail)
    with pytest.raises(RuntimeError):
        submit(hall, photos=[Photo(JPEG), Photo(PNG)], id_photo_consent=True)

    nothing_kept(private_root)


def test_a_phone_may_send_few_reports_a_day(hall: Any, settings: Any, private_root: Path) -> None:
    settings.REPORT_DAILY_LIMIT = 2
    submit(hall)
    submit(hall)

    with pytest.raises(ValidationError) as excinfo:
        submit(hall)

    assert "phone" in excinfo.value.message_dict
    assert OnlineReport.objects.count() == 2


# --- Screening ------------------------------------------------------------------------------------


def test_accepting_gives_the_next_number_gap_free_and_the_case_continues(hall: Any) -> None:
    first = register(hall)
    report, token = submit(hall, photos=[Photo(PNG)], id_photo_consent=True)
    spam, _token = submit(hall, phone="13800001111")
    report_decline(report=spam, actor=user("wengyuan_window"), hall=hall, reason="广告")

    case = report_accept(
        report=report,
        actor=user("wengyuan_window"),
        hall=hall,
        document_type="resident_id",
        document_number=ID_NUMBER,
    )

    assert case.channel == Channel.ONLINE
    assert int(case.number.rsplit("-", 1)[1]) == int(first.number.rsplit("-", 1)[1]) + 1  # the spam used none
    report.refresh_from_db()
    assert report.status == ReportStatus.ACCEPTED and report.case == case
    # the person's bookmarked link now opens the case
    assert CaseProgressAccess.objects.get(case=case).token == token
    assert StoredFile.objects.get(report=report).case == case
    deadline = Deadline.objects.get(kind=DeadlineKind.ONLINE_SCREENING, subject_id=str(report.pk))
    assert deadline.state == DeadlineState.MET
    registered = Notice.objects.get(kind="person_registered", recipient_ref=f"case:{case.pk}")
    assert registered.context["case_number"] == case.number and registered.context["progress_url"].endswith(
        "/progress/"
    )
    assert token not in str(registered.context)
    # then the normal flow: an answer on the spot
    answered = case_answer_on_spot(
        case=case,
        actor=user("wengyuan_window"),
        category=HandlingCategory.CONSULTATION,
        answer="可在线办理",
        policy_basis="",
    )
    assert answered.status == "answered"


def test_accepting_needs_a_valid_document_and_changes_nothing_without(hall: Any) -> None:
    report, _token = submit(hall)

    with pytest.raises(ValidationError) as excinfo:
        report_accept(
            report=report, actor=user("wengyuan_window"), hall=hall, document_type="resident_id", document_number="1"
        )

    assert "document_number" in excinfo.value.message_dict
    report.refresh_from_db()
    assert report.status == ReportStatus.PENDING and not Case.objects.exists()
    assert not CaseNumberSequence.objects.filter(last__gt=0).exists()
    assert Deadline.objects.get(kind=DeadlineKind.ONLINE_SCREENING).state == DeadlineState.OPEN


def test_declining_needs_a_reason_uses_no_number_and_tells_the_person(hall: Any) -> None:
    report, _token = submit(hall)

    with pytest.raises(ValidationError) as excinfo:
        report_decline(report=report, actor=user("wengyuan_window"), hall=hall, reason="  ")
    assert "reason" in excinfo.value.message_dict
    report.refresh_from_db()
    assert report.status == ReportStatus.PENDING

    report_decline(report=report, actor=user("wengyuan_window"), hall=hall, reason="重复提交")

    report.refresh_from_db()
    assert report.status == ReportStatus.DECLINED and report.case is None
    assert not Case.objects.exists() and not CaseNumberSequence.objects.filter(last__gt=0).exists()
    assert AuditEvent.objects.get(action="report.decline").changes["reason"] == "重复提交"
    assert Notice.objects.filter(kind="person_report_declined", recipient_ref=f"report:{report.pk}").exists()
    assert Deadline.objects.get(kind=DeadlineKind.ONLINE_SCREENING).state == DeadlineState.MET
    # screened once only
    with pytest.raises(ValidationError):
        report_accept(
            report=report,
            actor=user("wengyuan_window"),
            hall=hall,
            document_type="resident_id",
            document_number=ID_NUMBER,
        )


def test_the_screening_deadline_warns_the_window_then_breaches_and_escalates(hall: Any) -> None:
    from hallplatform.deadlines.sweep import deadline_sweep

    report, _token = submit(hall)
    deadline = Deadline.objects.get(kind=DeadlineKind.ONLINE_SCREENING, subject_id=str(report.pk))

    deadline_sweep(now=deadline.warn_at)
    deadline_sweep(now=deadline.due_at)

    deadline.refresh_from_db()
    assert deadline.state == DeadlineState.BREACHED
    told = Notice.objects.filter(event_key__startswith=f"deadline:{deadline.pk}:").select_related("recipient_user")
    warned = {n.recipient_user.username for n in told if n.event_key.endswith(":warning")}
    assert "wengyuan_window" in warned  # no owner: the hall's window staff
    assert any(n.kind == "deadline_breach" for n in told)
    assert all(n.context["subject_label"] == f"网上反映 R{report.pk}" for n in told)
    # screened late, the breached deadline is met all the same
    report_decline(report=report, actor=user("wengyuan_window"), hall=hall, reason="重复")
    deadline.refresh_from_db()
    assert deadline.state == DeadlineState.MET


def test_a_department_user_may_not_screen(hall: Any) -> None:
    from django.http import Http404

    report, _token = submit(hall)
    with pytest.raises(Http404):
        report_decline(report=report, actor=user("wengyuan_rsj"), hall=hall, reason="x")
    report.refresh_from_db()
    assert report.status == ReportStatus.PENDING


def test_key_rotation_rewraps_data_keys_and_never_rewrites_files(
    hall: Any, private_root: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def keys(*pairs: tuple[str, int]) -> None:
        monkeypatch.setenv(crypto.KEYS_ENV, ",".join(f"{kid}:{b64key(fill)}" for kid, fill in pairs))
        monkeypatch.setenv(crypto.INDEX_KEY_ENV, b64key(9))
        crypto._load.cache_clear()

    keys(("old", 1))
    try:
        submit(hall, photos=[Photo(JPEG)], id_photo_consent=True)
        [path] = files_on_disk(private_root)
        before_file = path.read_bytes()
        keys(("new", 2), ("old", 1))

        field_keys_rotate(hall=hall)

        use_hall_schema(hall)
        with connection.cursor() as cursor:
            cursor.execute("SELECT data_key FROM casework_storedfile")
            [(wrapped,)] = cursor.fetchall()
        assert crypto.key_id(wrapped) == "new"
        assert path.read_bytes() == before_file  # the file itself untouched
        keys(("new", 2))  # the old key can go
        assert file_read(StoredFile.objects.get()) == JPEG
    finally:
        crypto._load.cache_clear()


# --- The pages ------------------------------------------------------------------------------------


def test_the_pages_verify_the_phone_take_the_report_and_show_its_progress(hall: Any, private_root: Path) -> None:
    client = person()
    assert client.get("/report/form/").status_code == 302  # no verified phone yet

    asked = client.post("/report/", {"phone": PHONE, "action": "send"})
    assert asked.status_code == 200 and 'role="status"' in asked.content.decode()
    code = last_code()
    assert code not in ReportCode.objects.get().code_digest
    wrong = client.post(
        "/report/", {"phone": PHONE, "action": "verify", "code": "000000" if code != "000000" else "111111"}
    )
    assert wrong.status_code == 400
    verified = client.post("/report/", {"phone": PHONE, "action": "verify", "code": code})
    assert verified.status_code == 302 and verified["Location"] == "/report/form/"
    # the code works once
    assert (
        person(address="198.51.100.3").post("/report/", {"phone": PHONE, "action": "verify", "code": code}).status_code
        == 400
    )

    form = client.get("/report/form/")
    assert form.status_code == 200 and 'name="consent"' in form.content.decode()
    refused = client.post(
        "/report/form/",
        {"applicant_kind": "person", "applicant_name": "李四", "matter_name": "不动产登记", "problem": "不给办",
         "consent": "on", "id_photo_consent": "on",
         "photos": SimpleUploadedFile("id.jpg", b"not an image at all", content_type="image/jpeg")},
    )  # fmt: skip
    assert refused.status_code == 400 and 'id="photos-error"' in refused.content.decode()
    nothing_kept(private_root)

    sent = client.post(
        "/report/form/",
        {"applicant_kind": "person", "applicant_name": "李四", "matter_name": "不动产登记", "problem": "不给办",
         "consent": "on", "id_photo_consent": "on",
         "photos": SimpleUploadedFile("id.png", PNG, content_type="application/octet-stream")},
    )  # fmt: skip
    assert sent.status_code == 302 and sent["Location"] == "/report/done/"
    report = OnlineReport.objects.get()
    assert report.submitted_from == "203.0.113.9"
    done = client.get("/report/done/")
    assert done.status_code == 200 and f"/progress/{report.token}/" in done.content.decode()
    status = client.get("/progress/status/")
    assert status.status_code == 200 and 'aria-current="step"' in status.content.decode()
    assert "不动产登记" in status.content.decode()
    # the form is not open again without a new code
    assert client.get("/report/form/").status_code == 302


def test_the_token_of_a_pending_report_opens_with_the_digits_and_is_unknown_elsewhere(hall: Any) -> None:
    _report, token = submit(hall)

    assert person().get(f"/progress/{token}/").status_code == 200
    assert person().post(f"/progress/{token}/", {"secret": "0000"}).status_code == 400
    client = person(address="198.51.100.4")
    opened = client.post(f"/progress/{token}/", {"secret": PHONE[-4:]})
    assert opened.status_code == 302
    page = client.get(f"/progress/{token}/")
    assert page.status_code == 200 and "不动产登记" in page.content.decode()
    # another hall's host does not know it
    assert Client(HTTP_HOST=host_of("shixing")).get(f"/progress/{token}/").status_code == 404
    assert Client(HTTP_HOST=host_of("shixing")).post(f"/progress/{token}/", {"secret": PHONE[-4:]}).status_code == 404


def test_sending_codes_answers_the_same_and_stops_at_the_caps(hall: Any, settings: Any) -> None:
    settings.REPORT_CODE_DAILY_LIMIT = 2
    settings.REPORT_CODE_ADDRESS_LIMIT = 3
    first = person().post("/report/", {"phone": PHONE, "action": "send"})
    person().post("/report/", {"phone": PHONE, "action": "send"})
    capped = person().post("/report/", {"phone": PHONE, "action": "send"})  # the phone's cap: not sent

    assert first.status_code == capped.status_code == 200
    assert 'role="status"' in capped.content.decode()
    assert ConsoleMessage.objects.filter(reference="report:code").count() == 2
    assert person().post("/report/", {"phone": "13700001111", "action": "send"}).status_code == 200
    blocked = person().post("/report/", {"phone": "13700002222", "action": "send"})  # the address's cap
    assert blocked.status_code == 429 and blocked["Retry-After"]
    assert ReportCode.objects.count() == 3
    # another address is not blocked
    assert (
        person(address="198.51.100.8").post("/report/", {"phone": "13700002222", "action": "send"}).status_code == 200
    )


def test_an_expired_code_is_refused(hall: Any, clock: Clock) -> None:
    client = person()
    client.post("/report/", {"phone": PHONE, "action": "send"})
    code = last_code()
    clock.advance(minutes=5, seconds=1)

    assert client.post("/report/", {"phone": PHONE, "action": "verify", "code": code}).status_code == 400
    assert client.get("/report/form/").status_code == 302


def test_the_window_screens_on_its_pages_and_the_photo_is_audited(hall: Any) -> None:
    report, _token = submit(hall, photos=[Photo(JPEG)], id_photo_consent=True)
    window = client_for("wengyuan_window", "wengyuan")

    home = window.get("/").content.decode()
    todo = re.search(r'id="todo-online_reports".*?</div>', home, re.S)
    assert todo is not None and f"/cases/reports/{report.pk}/" in todo.group(0)
    listing = window.get("/cases/reports/")
    assert listing.status_code == 200 and f"/cases/reports/{report.pk}/" in listing.content.decode()
    stored = StoredFile.objects.get()
    photo = window.get(f"/cases/reports/{report.pk}/files/{stored.pk}/")
    assert photo.status_code == 200 and photo.content == JPEG and photo["Content-Type"] == "image/jpeg"
    assert AuditEvent.objects.filter(action="report.file_view", target_id=str(report.pk)).count() == 1
    assert window.get("/cases/reports/poster/").status_code == 200

    accepted = window.post(
        f"/cases/reports/{report.pk}/",
        {"action": "accept", "document_type": "resident_id", "document_number": ID_NUMBER, "version": report.version},
    )
    case = Case.objects.get()
    assert accepted.status_code == 302 and accepted["Location"] == f"/cases/{case.pk}/"
    assert f"/cases/reports/{report.pk}/" not in window.get("/").content.decode()
    assert (
        case.channel == Channel.ONLINE
        and f"/cases/reports/{report.pk}/" in window.get("/cases/reports/?status=accepted").content.decode()
    )
    # a department's staff and the person never get the photo
    assert client_for("wengyuan_rsj", "wengyuan").get(f"/cases/reports/{report.pk}/files/{stored.pk}/").status_code in {
        403,
        404,
    }
    assert person().get(f"/cases/reports/{report.pk}/files/{stored.pk}/").status_code in {302, 403, 404}


def test_after_the_first_code_requests_the_report_page_asks_the_captcha(hall: Any, settings: Any) -> None:
    """The same CAPTCHA as the progress pages (hallplatform/captcha.py), counted together with them:
    a missing or wrong answer sends nothing and counts nothing; the right one sends the code."""
    settings.CAPTCHA_AFTER_CODE_REQUESTS = 2
    for _ in range(2):
        first = person().post("/report/", {"phone": PHONE, "action": "send"})
        assert first.status_code == 200
    page = person().post("/report/", {"phone": PHONE, "action": "send"})
    found = re.search(r'name="captcha_key" value="([0-9a-f]+)"', page.content.decode())
    assert found is not None and '<label for="captcha_value">' in page.content.decode()
    before = (ReportCode.objects.count(), CodeRequest.objects.count(), ConsoleMessage.objects.count())
    wrong = person().post(
        "/report/", {"phone": PHONE, "action": "send", "captcha_key": found.group(1), "captcha_value": "zzzz"}
    )
    assert wrong.status_code == 400 and 'aria-invalid="true"' in wrong.content.decode()
    assert (ReportCode.objects.count(), CodeRequest.objects.count(), ConsoleMessage.objects.count()) == before
    key = re.search(r'name="captcha_key" value="([0-9a-f]+)"', wrong.content.decode())
    assert key is not None
    answer = CaptchaStore.objects.get(hashkey=key.group(1)).response
    right = person().post(
        "/report/", {"phone": PHONE, "action": "send", "captcha_key": key.group(1), "captcha_value": answer}
    )
    assert right.status_code == 200
    assert ReportCode.objects.count() == before[0] + 1
    # the API asks for it as well, with the error shape's field
    api = person().post("/api/v1/public/report/code/", {"phone": PHONE}, content_type="application/json")
    assert api.status_code == 400 and api.json()["code"] == "captcha_required"
    assert "captcha_value" in api.json()["fields"]
    assert ReportCode.objects.count() == before[0] + 1
