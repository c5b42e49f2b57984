"""The online report in the public API (casework/api/public_report.py; docs/online-reporting.md): on a hall's
host only, the same code, limits and refusals as the pages, nothing kept after a refusal."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from casework.choices import ReportStatus
from casework.models import OnlineReport, ReportCode, StoredFile
from notifications.models import ConsoleMessage
from tests.casework.support import install_clock
from tests.conftest import host_of

PHONE = "13912345678"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x01" * 100


@pytest.fixture
def hall(demo: dict[str, Any], monkeypatch: pytest.MonkeyPatch, settings: Any, tmp_path: Path) -> Any:
    install_clock(monkeypatch)
    settings.REPORT_THROTTLE_RATE = "1000/minute"
    settings.STORAGES = {
        **settings.STORAGES,
        "private": {"BACKEND": "django.core.files.storage.FileSystemStorage", "OPTIONS": {"location": str(tmp_path)}},
    }
    return demo["wengyuan"]


def person(code: str | None = "wengyuan", address: str = "203.0.113.21") -> Client:
    return Client(HTTP_HOST=host_of(code), REMOTE_ADDR=address)


def sent_code() -> str:
    message = ConsoleMessage.objects.filter(reference="report:code").latest("pk")
    found = re.search(r"\d{6}", message.body)
    assert found is not None
    return found.group(0)


def report_fields(**changes: Any) -> dict[str, Any]:
    fields: dict[str, Any] = {
        "phone": PHONE,
        "applicant_kind": "person",
        "applicant_name": "王五",
        "matter_name": "营业执照变更",
        "problem": "系统报错无法提交",
        "consent": "true",
    }
    fields.update(changes)
    return fields


def test_code_then_report_with_a_photo(hall: Any) -> None:
    client = person()
    asked = client.post("/api/v1/public/report/code/", {"phone": PHONE}, content_type="application/json")
    assert asked.status_code == 202 and asked.json()["message"]
    code = sent_code()

    sent = client.post(
        "/api/v1/public/report/",
        report_fields(code=code, id_photo_consent="true", photos=SimpleUploadedFile("a.bin", PNG)),
    )

    assert sent.status_code == 201, sent.content
    body = sent.json()
    assert body["status"] == "pending" and "/progress/" in body["progress_url"]
    report = OnlineReport.objects.get()
    assert report.status == ReportStatus.PENDING and StoredFile.objects.filter(report=report).count() == 1
    assert body["progress_url"].endswith(f"/progress/{report.token}/")
    # the code is used up
    again = person(address="198.51.100.30").post("/api/v1/public/report/", report_fields(code=code))
    assert again.status_code == 400 and "code" in again.json()["fields"]
    assert OnlineReport.objects.count() == 1


def test_a_refused_report_keeps_nothing_and_keeps_the_code(hall: Any) -> None:
    client = person()
    client.post("/api/v1/public/report/code/", {"phone": PHONE}, content_type="application/json")
    code = sent_code()

    text_as_photo = SimpleUploadedFile("id.jpg", b"plain text, not a photo", content_type="image/jpeg")
    refused = client.post(
        "/api/v1/public/report/", report_fields(code=code, id_photo_consent="true", photos=text_as_photo)
    )
    no_consent = client.post("/api/v1/public/report/", report_fields(code=code, consent="false"))

    assert refused.status_code == 400 and "photos" in refused.json()["fields"]
    assert no_consent.status_code == 400 and "consent" in no_consent.json()["fields"]
    assert not OnlineReport.objects.exists() and not StoredFile.objects.exists()
    assert ReportCode.objects.get().used_at is None  # the code still works
    assert client.post("/api/v1/public/report/", report_fields(code=code)).status_code == 201


def test_wrong_codes_are_blocked_and_the_city_portal_has_no_public_report(hall: Any, settings: Any) -> None:
    settings.PROGRESS_FAILURE_LIMIT = 3
    client = person()
    client.post("/api/v1/public/report/code/", {"phone": PHONE}, content_type="application/json")
    code = sent_code()
    wrong = "000000" if code != "000000" else "111111"
    answers = [client.post("/api/v1/public/report/", report_fields(code=wrong)).status_code for _ in range(4)]

    assert answers[:2] == [400, 400] and answers[-1] == 429
    assert client.post("/api/v1/public/report/", report_fields(code=code)).status_code == 429  # even the right one
    assert not OnlineReport.objects.exists()
    on_portal = person(code=None).post("/api/v1/public/report/code/", {"phone": PHONE}, content_type="application/json")
    assert on_portal.status_code == 404 and on_portal.json()["code"] == "not_found"


def test_the_address_cap_answers_429_with_retry_after(hall: Any, settings: Any) -> None:
    settings.REPORT_CODE_ADDRESS_LIMIT = 1
    client = person()
    assert (
        client.post("/api/v1/public/report/code/", {"phone": PHONE}, content_type="application/json").status_code == 202
    )

    capped = client.post("/api/v1/public/report/code/", {"phone": "13700001111"}, content_type="application/json")

    assert capped.status_code == 429 and int(capped["Retry-After"]) > 0
    assert ReportCode.objects.count() == 1
