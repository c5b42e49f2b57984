"""`manage.py deadline`: the due time of a deadline in a hall's working calendar, on one line."""

from __future__ import annotations

import io
import os
import subprocess
import sys
from datetime import date
from urllib.parse import urlsplit, urlunsplit

import pytest
from django.conf import settings
from django.core.management import CommandError, call_command
from django.db import connection

from hallplatform.workdays.services import closure_add
from tenants.models import Hall


def deadline(*args: str) -> str:
    out = io.StringIO()
    call_command("deadline", *args, stdout=out)
    return out.getvalue()


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        # Wed 30 Sep 16:00; 1–7 Oct are the National Day holiday: Thu 8 and Fri 9 Oct count.
        (["--start", "2026-09-30T16:00", "--days", "2"], "2026-10-09T17:30:00+08:00"),
        # The same instant written in UTC.
        (["--start", "2026-09-30T08:00:00+00:00", "--days", "2"], "2026-10-09T17:30:00+08:00"),
        # Fri 13 Feb 16:30: one hour on Friday, the other 2h15 on Saturday 14 Feb, a make-up working day.
        (["--start", "2026-02-13T16:30", "--half-day"], "2026-02-14T10:45:00+08:00"),
        # Received on Saturday: Monday and Tuesday.
        (["--start", "2026-03-07T10:00", "--days", "2"], "2026-03-10T17:30:00+08:00"),
    ],
)
def test_prints_the_due_time_with_its_offset(demo: object, args: list[str], expected: str) -> None:
    assert deadline("--hall", "wengyuan", *args) == expected + "\n"


def test_a_due_time_resting_on_a_provisional_year_says_so(demo: object) -> None:
    # 2027 has no notice yet: its provisional 春节 is 5–8 Feb, with 9 and 10 Feb made up.
    assert deadline("--hall", "wengyuan", "--start", "2027-02-04T16:30", "--days", "2") == (
        "2027-02-12T17:30:00+08:00 provisional\n"
    )


def test_a_closure_of_the_hall_moves_the_due_time(demo: dict[str, Hall]) -> None:
    closure_add(hall=demo["wengyuan"], day=date(2026, 10, 9), reason="台风")

    assert deadline("--hall", "wengyuan", "--start", "2026-09-30T16:00", "--days", "2") == "2026-10-10T17:30:00+08:00\n"
    assert deadline("--hall", "nanxiong", "--start", "2026-09-30T16:00", "--days", "2") == "2026-10-09T17:30:00+08:00\n"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--hall", "nowhere", "--start", "2026-09-30T16:00", "--days", "2"], "no hall with the code 'nowhere'"),
        (["--hall", "wengyuan", "--start", "2026-09-31T16:00", "--days", "2"], "is not a date and time"),
        (["--hall", "wengyuan", "--start", "tomorrow", "--days", "2"], "is not a date and time"),
        (["--hall", "wengyuan", "--start", "2026-09-30T16:00", "--days", "-1"], "--days must be"),
        (["--hall", "wengyuan", "--start", "2026-09-30T16:00", "--days", "0"], "--days must be"),
        (["--hall", "wengyuan", "--start", "9999-01-01T10:00", "--days", "2"], "--start must lie between"),
    ],
)
def test_bad_arguments_are_refused_with_status_2(demo: object, args: list[str], message: str) -> None:
    with pytest.raises(CommandError) as caught:
        deadline(*args)

    assert message in str(caught.value)
    assert caught.value.returncode == 2


@pytest.mark.parametrize(
    "args",
    [
        ["--hall", "wengyuan", "--start", "2026-09-30T16:00"],
        ["--hall", "wengyuan", "--start", "2026-09-30T16:00", "--days", "2", "--half-day"],
        ["--hall", "wengyuan", "--start", "2026-09-30T16:00", "--days", "two"],
    ],
)
def test_neither_or_both_rules_are_refused(demo: object, args: list[str]) -> None:
    with pytest.raises(CommandError, match=r"--days|--half-day"):
        deadline(*args)


def _manage(*args: str) -> subprocess.CompletedProcess[str]:
    """Run manage.py in a process of its own, on the (committed part of the) test database."""
    env = dict(os.environ)
    parts = urlsplit(os.environ.get("DATABASE_URL", settings.DATABASE_URL))
    env["DATABASE_URL"] = urlunsplit(parts._replace(path="/" + connection.settings_dict["NAME"]))
    env.setdefault("BANCHENG_INSECURE_DEV_KEY", "1")
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=settings.BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_exit_status_from_the_command_line(demo: object) -> None:
    ok = _manage("deadline", "--hall", "wengyuan", "--start", "2026-09-30T16:00", "--days", "2")
    unknown = _manage("deadline", "--hall", "nowhere", "--start", "2026-09-30T16:00", "--days", "2")
    both = _manage("deadline", "--hall", "wengyuan", "--start", "2026-09-30T16:00", "--days", "2", "--half-day")
    bad_date = _manage("deadline", "--hall", "wengyuan", "--start", "30/09/2026", "--days", "2")

    assert (ok.returncode, ok.stdout, ok.stderr) == (0, "2026-10-09T17:30:00+08:00\n", "")
    assert unknown.returncode == 2 and "no hall with the code 'nowhere'" in unknown.stderr and unknown.stdout == ""
    assert both.returncode == 2 and "not allowed with argument" in both.stderr
    assert bad_date.returncode == 2 and "is not a date and time" in bad_date.stderr
