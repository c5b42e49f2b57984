"""The Simplified Chinese catalogue (`hallplatform/locale/zh_Hans/LC_MESSAGES/django.po|.mo`).

The UI speaks Simplified Chinese by default and English on request. The compiled .mo is committed
(a machine without gettext cannot compile it), so these tests check that it matches the .po, that
the .po is complete and translated, that Django loads it, and that pages and service refusals come
out in Chinese. One test re-extracts the strings of the source (in pure Python, with Babel and
Django's template rendering) and checks the catalogue holds every one, and nothing stale.
"""

from __future__ import annotations

import io
import re
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import polib
import pytest
from django.conf import settings
from django.core.exceptions import ValidationError
from django.test import Client
from django.utils import translation

from hallplatform.workdays.hours import parse_spans, schedule_errors
from hallplatform.workdays.services import calendar_day_errors
from tenants.models import Hall
from tenants.routing import forget_all_hosts
from tenants.services import hall_create
from tests.conftest import client_for

LOCALE_DIR = Path(settings.LOCALE_PATHS[0])
PO_PATH = LOCALE_DIR / "zh_Hans" / "LC_MESSAGES" / "django.po"
MO_PATH = PO_PATH.with_suffix(".mo")
# The project's own code and templates; makemessages walks these (and nothing else, e.g. no .venv).
SOURCE_DIRS = [
    "config",
    "hallplatform",
    "hallindex",
    "tenants",
    "casework",
    "notifications",
    "coordination",
    "analytics",
]
PLACEHOLDER = re.compile(r"%\(\w+\)[sd]|\{\{[^{}]*\}\}")
HAN = re.compile(r"[\u4e00-\u9fff]")


def catalogue() -> polib.POFile:
    return polib.pofile(str(PO_PATH))


def entries(po: polib._BaseFile) -> dict[tuple[str, str, str], tuple[str, ...]]:
    """Every real entry as (context, msgid, msgid_plural) -> translated forms."""
    result = {}
    for entry in po:
        if entry.obsolete or not entry.msgid:
            continue
        forms = (
            tuple(entry.msgstr_plural[i] for i in sorted(entry.msgstr_plural))
            if entry.msgid_plural
            else (entry.msgstr,)
        )
        result[(entry.msgctxt or "", entry.msgid, entry.msgid_plural or "")] = forms
    return result


@pytest.fixture(autouse=True)
def _fresh_routes() -> Iterator[None]:
    forget_all_hosts()
    yield
    forget_all_hosts()


# --- The catalogue files ------------------------------------------------------------------------------


def test_header_names_the_language_charset_and_plural_forms() -> None:
    po = catalogue()

    assert po.metadata["Language"] == "zh_Hans"
    assert po.metadata["Content-Type"] == "text/plain; charset=UTF-8"
    assert po.metadata["Plural-Forms"] == "nplurals=1; plural=0;"
    assert not po.metadata_is_fuzzy


def test_every_entry_is_translated_and_none_is_fuzzy_or_obsolete() -> None:
    po = catalogue()

    assert len(entries(po)) > 250
    assert [e.msgid for e in po if "fuzzy" in e.flags] == []
    assert [e.msgid for e in po.obsolete_entries()] == []
    assert [e.msgid for e in po.untranslated_entries()] == []
    for entry in po:
        if entry.msgid_plural:
            # Chinese has one plural form: exactly msgstr[0].
            assert list(entry.msgstr_plural) == [0], entry.msgid


def test_translations_keep_the_placeholders_and_are_chinese() -> None:
    for (_context, msgid, msgid_plural), forms in entries(catalogue()).items():
        for form in forms:
            assert sorted(PLACEHOLDER.findall(form)) == sorted(PLACEHOLDER.findall(msgid)), msgid
            if msgid_plural:
                assert sorted(PLACEHOLDER.findall(form)) == sorted(PLACEHOLDER.findall(msgid_plural)), msgid
            # Every translation says something in Chinese (SMS is the one acronym kept as is).
            assert HAN.search(form) or form in {"SMS"}, (msgid, form)


def test_committed_mo_is_compiled_from_the_current_po() -> None:
    """The .mo in the repository holds exactly the .po's entries (recompile after editing the .po)."""
    assert MO_PATH.exists(), "compile the catalogue: manage.py compilemessages"
    po = catalogue()
    compiled = polib.mofile(str(MO_PATH))

    assert entries(compiled) == entries(po)
    assert compiled.metadata.get("Plural-Forms") == po.metadata["Plural-Forms"]
    # And polib's compilation of the .po yields the same entries (what msgfmt would write).
    in_memory = polib.mofile(po.to_binary())
    assert entries(in_memory) == entries(compiled)


def test_django_loads_the_catalogue_for_every_msgid() -> None:
    """gettext of each msgid under zh-hans returns the .po's msgstr: the .mo is found and loaded."""
    with translation.override("zh-hans"):
        for (context, msgid, msgid_plural), forms in entries(catalogue()).items():
            if msgid_plural:
                got = (
                    translation.npgettext(context, msgid, msgid_plural, 1)
                    if context
                    else translation.ngettext(msgid, msgid_plural, 1)
                )
            else:
                got = translation.pgettext(context, msgid) if context else translation.gettext(msgid)
            assert got == forms[0], msgid


# The gettext functions of Django, and how their arguments map to (context, msgid, msgid_plural).
KEYWORDS = {
    "_": None,
    "gettext": None,
    "gettext_lazy": None,
    "gettext_noop": None,
    "ngettext": (1, 2),
    "ngettext_lazy": (1, 2),
    "pgettext": ((1, "c"), 2),
    "pgettext_lazy": ((1, "c"), 2),
    "npgettext": ((1, "c"), 2, 3),
    "npgettext_lazy": ((1, "c"), 2, 3),
}


def source_strings() -> set[tuple[str, str, str]]:
    """Every translatable string of the project's code and templates, extracted in pure Python:
    Babel's Python extractor, on the source and on Django's own rendering of each template into the
    gettext calls makemessages would see (``templatize``), so no GNU gettext is needed."""
    from babel.messages.extract import extract_python
    from django.utils.translation.template import templatize

    found: set[tuple[str, str, str]] = set()
    base = Path(settings.BASE_DIR)
    for name in SOURCE_DIRS:
        for path in sorted((base / name).rglob("*")):
            if "migrations" in path.parts or "locale" in path.parts or not path.is_file():
                continue
            if path.suffix == ".py":
                code = path.read_text(encoding="utf-8")
            elif path.suffix in (".html", ".txt") and "templates" in path.parts:
                code = templatize(path.read_text(encoding="utf-8"), origin=str(path))
            else:
                continue
            stream = io.BytesIO(code.encode("utf-8"))
            for _line, _func, messages, _comments in extract_python(stream, KEYWORDS, [], {"encoding": "utf-8"}):
                parts = list(messages) if isinstance(messages, tuple) else [messages]
                context = parts.pop(0) if _func.startswith(("pgettext", "npgettext")) else ""
                if not parts or not isinstance(parts[0], str) or not parts[0]:
                    continue  # a variable, not a literal: nothing to extract
                plural = parts[1] if len(parts) > 1 and isinstance(parts[1], str) else ""
                found.add((context or "", parts[0], plural))
    return found


def test_catalogue_holds_every_translatable_string_of_the_source() -> None:
    """Extract the source's strings again and compare with the catalogue, both ways."""
    extracted = source_strings()
    committed = set(entries(catalogue()))

    assert len(extracted) > 300  # the extraction found the project's strings at all
    assert sorted(extracted - committed) == [], "new strings: run makemessages, translate, compilemessages"
    assert sorted(committed - extracted) == [], "stale strings: run makemessages --no-obsolete"


# --- Pages and messages -------------------------------------------------------------------------------


def english_in(content: bytes, *msgids: str) -> list[str]:
    """The English source strings that show on the page (should be none under zh-hans)."""
    text = content.decode()
    return [msgid for msgid in msgids if msgid in text]


def test_login_page_is_chinese_by_default(demo: dict[str, Hall]) -> None:
    response = client_for(None, "wengyuan").get("/accounts/login/?sso=none")

    assert response.status_code == 200
    content = response.content.decode()
    assert '<html lang="zh-hans">' in content
    assert "登录" in content
    assert "用户名" in content and "密码" in content
    assert english_in(response.content, "Log in", "Username", "Password", "Bancheng") == []


def test_login_page_is_english_on_request(demo: dict[str, Hall]) -> None:
    by_header = Client(HTTP_HOST="wengyuan.localhost", HTTP_ACCEPT_LANGUAGE="en").get("/accounts/login/?sso=none")
    cookie_client = Client(HTTP_HOST="wengyuan.localhost")
    cookie_client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    by_cookie = cookie_client.get("/accounts/login/?sso=none")

    for response in (by_header, by_cookie):
        content = response.content.decode()
        assert '<html lang="en">' in content
        assert "Log in" in content and "Username" in content
        assert "登录" not in content


def test_wrong_password_message_is_chinese(demo: dict[str, Hall]) -> None:
    response = Client(HTTP_HOST="wengyuan.localhost").post(
        "/accounts/login/", {"username": "wengyuan_lead", "password": "not-the-password"}
    )

    assert "用户名或密码错误，或您在本大厅没有任何角色。" in response.content.decode()


def test_hall_home_shows_chinese_role_labels(demo: dict[str, Hall]) -> None:
    response = client_for("wengyuan_lead", "wengyuan").get("/")

    assert response.status_code == 200
    content = response.content.decode()
    # The badge, not the person's display name (which happens to contain the words too).
    assert '<span class="badge">大厅负责人</span>' in content
    assert "“办不成事”反映窗口" in content
    assert "行政区划代码" in content
    assert (
        english_in(
            response.content,
            "Hall lead",
            "Workbench",
            "Your roles here",
            "Administrative region code",
            "Departments stationed in this hall",
            "Notices",
            "Log out",
        )
        == []
    )


def test_office_hours_page_is_chinese(demo: dict[str, Hall]) -> None:
    response = client_for("wengyuan_lead", "wengyuan").get("/settings/office-hours/")

    assert response.status_code == 200
    content = response.content.decode()
    for chinese in ["全年办公时间", "季节性办公时间", "闭厅日", "星期一", "调休上班日", "保存办公时间"]:
        assert chinese in content
    assert (
        english_in(
            response.content,
            "Office hours",
            "Seasonal office hours",
            "Closures",
            "Monday",
            "Make-up working days",
            "Save office hours",
            "Add closure",
            "Time ranges separated by commas",
            "Reason",
        )
        == []
    )


def test_notices_page_is_chinese(demo: dict[str, Hall]) -> None:
    response = client_for("wengyuan_lead", "wengyuan").get("/notices/")

    assert response.status_code == 200
    content = response.content.decode()
    assert "<h1>通知" in content
    assert "时间" in content and "类型" in content
    assert english_in(response.content, "Notices", "Mark all as read", "Kind", "No notices.", "Unread") == []


def test_portal_home_is_chinese(demo: dict[str, Hall]) -> None:
    response = client_for("shaoguan_supervisor", None).get("/")

    assert response.status_code == 200
    content = response.content.decode()
    assert "市局督查门户" in content and "您督查的政务服务大厅" in content
    assert english_in(response.content, "City supervision portal", "Halls you supervise", "Status") == []


def test_service_refusal_is_chinese_by_default(demo: dict[str, Hall]) -> None:
    with pytest.raises(ValidationError) as refused:
        hall_create(code="Bad-Code", name="新区", level="county", region_code="440299", parent_code="shaoguan")

    messages = refused.value.message_dict["code"]
    assert "只能使用小写字母 a-z 和数字 0-9（将用作子域名）。" in messages
    assert all(HAN.search(message) for message in messages), messages
    with translation.override("en"), pytest.raises(ValidationError) as in_english:
        hall_create(code="Bad-Code", name="新区", level="county", region_code="440299", parent_code="shaoguan")
    english = in_english.value.message_dict["code"]
    assert "Use only lowercase letters a-z and digits 0-9 (it becomes the subdomain)." in english


def test_workdays_refusals_are_chinese() -> None:
    with pytest.raises(ValueError, match="不是有效的时间段"):
        parse_spans("8.30-12")
    assert schedule_errors({})["mon"] == ["请至少填写一个时间段：这一天是工作日。"]
    errors = calendar_day_errors(day=date(2026, 3, 2), kind="makeup_workday", name="")
    assert errors == {
        "kind": ["调休上班日必须是星期六或星期日；2026-03-02 是周一至周五中的一天。"],
        "name": ["请填写节假日名称。"],
    }
