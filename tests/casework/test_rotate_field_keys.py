"""Key rotation of the personal data at rest: the rotate_field_keys command (casework/key_rotation.py).

Each case has five sealed values of its own and one more: its progress link's token
(casework.CaseProgressAccess, a row of its own), re-sealed like the others."""

from __future__ import annotations

from io import StringIO
from typing import Any

import pytest
from django.core.management import CommandError, call_command
from django.db import connection

from casework import crypto
from casework.key_rotation import encrypted_tables, field_keys_rotate
from casework.models import Case
from casework.selectors import case_list_earlier_of_person
from casework.services import case_register
from hallplatform.audit.models import AuditEvent
from hallplatform.schemas import current_schema_name, use_hall_schema, use_public_schema
from tests.casework.test_case_register import ID_NUMBER, form
from tests.casework.test_crypto import b64key
from tests.conftest import user

COLUMNS = ("applicant_name", "phone", "document_number", "address", "problem")
PLAIN = {
    "applicant_name": "张三",
    "phone": "13812345678",
    "document_number": ID_NUMBER,
    "address": "翁源县龙仙镇建设路1号",
    "problem": "多次到窗口补办社保卡未成功",
}


@pytest.fixture
def keys(monkeypatch: pytest.MonkeyPatch) -> Any:
    """Sets FIELD_ENCRYPTION_KEYS to ``kid:fill`` pairs, the first current; the blind-index key stays."""

    def configure(*pairs: tuple[str, int]) -> None:
        monkeypatch.setenv(crypto.KEYS_ENV, ",".join(f"{kid}:{b64key(fill)}" for kid, fill in pairs))
        monkeypatch.setenv(crypto.INDEX_KEY_ENV, b64key(9))
        crypto._load.cache_clear()  # the keyring is cached per configuration; start from the environment

    yield configure
    crypto._load.cache_clear()


def raw_values(hall: Any) -> dict[int, tuple[str, ...]]:
    """The stored (encrypted) values of the hall's cases, by case id, read past the model field."""
    use_hall_schema(hall)
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT id, {', '.join(COLUMNS)} FROM casework_case ORDER BY id")  # noqa: S608
        return {row[0]: tuple(row[1:]) for row in cursor.fetchall()}


def key_ids(hall: Any) -> set[str]:
    return {crypto.key_id(value) for values in raw_values(hall).values() for value in values if value}


def register_cases(hall: Any, count: int, **changes: Any) -> list[Case]:
    use_hall_schema(hall)
    return [case_register(hall=hall, actor=user("wengyuan_window"), data=form(**changes)) for _ in range(count)]


def run(*args: str) -> str:
    out = StringIO()
    call_command("rotate_field_keys", *args, stdout=out, stderr=StringIO())
    return out.getvalue()


def test_the_encrypted_fields_are_found_by_their_type() -> None:
    tables = {table.model: tuple(f.name for f in table.fields) for table in encrypted_tables()}

    assert tables[Case] == COLUMNS
    assert {model._meta.app_label for model in tables} == {"casework"}  # hall apps only


def test_rotation_reseals_every_value_under_the_new_key(keys: Any, demo: dict[str, Any]) -> None:
    wengyuan, nanxiong = demo["wengyuan"], demo["nanxiong"]
    # given cases sealed under the old key, in two halls, one without an address
    keys(("old", 1))
    register_cases(wengyuan, 3)
    register_cases(wengyuan, 1, address="")
    register_cases(nanxiong, 2)
    before = {hall.code: raw_values(hall) for hall in (wengyuan, nanxiong)}
    assert key_ids(wengyuan) == key_ids(nanxiong) == {"old"}

    # when a new key is put first and the command runs, in batches of two rows
    keys(("new", 2), ("old", 1))
    output = run("--batch-size", "2")
    assert current_schema_name() == "public"

    # then every stored value is under the new key and opens to the same text
    for hall in (wengyuan, nanxiong):
        after = raw_values(hall)
        assert after.keys() == before[hall.code].keys()
        for case_id, values in after.items():
            for column, old_value, value in zip(COLUMNS, before[hall.code][case_id], values, strict=True):
                if not old_value:
                    assert value == old_value == ""  # an empty address stays empty
                    continue
                assert value.startswith("v1:new:") and value != old_value
                assert crypto.decrypt(value, purpose=f"case.{column}") == PLAIN[column]
    assert "wengyuan: 23 values under old keys (old: 23); re-encrypted 23 values in 8 rows under new; 0 left" in output
    assert "nanxiong: 12 values under old keys (old: 12); re-encrypted 12 values in 4 rows under new; 0 left" in output
    assert "lechang: 0 values under old keys; re-encrypted 0 values in 0 rows under new; 0 left" in output

    # the old key can go: the cases open and the blind indexes still find the person
    keys(("new", 2))
    use_hall_schema(wengyuan)
    cases = list(Case.objects.order_by("pk"))
    assert {(c.applicant_name, c.phone, c.document_number, c.problem) for c in cases} == {
        (PLAIN["applicant_name"], PLAIN["phone"], PLAIN["document_number"], PLAIN["problem"])
    }
    assert len(case_list_earlier_of_person(phone="138 1234 5678")) == 4
    assert len(case_list_earlier_of_person(document_type="resident_id", document_number=ID_NUMBER)) == 4

    # and a second run changes nothing
    settled = {hall.code: raw_values(hall) for hall in (wengyuan, nanxiong)}
    again = run()
    assert {hall.code: raw_values(hall) for hall in (wengyuan, nanxiong)} == settled
    assert "wengyuan: 0 values under old keys; re-encrypted 0 values in 0 rows under new; 0 left" in again
    assert "Every value is under the current key." in again


def test_each_hall_gets_an_audit_event(keys: Any, demo: dict[str, Any]) -> None:
    keys(("old", 1))
    register_cases(demo["wengyuan"], 2)
    keys(("new", 2), ("old", 1))
    use_public_schema()
    before = AuditEvent.objects.filter(action="keys.rotate").count()

    run()

    events = {e.hall.code: e for e in AuditEvent.objects.filter(action="keys.rotate").select_related("hall")}
    assert len(events) == len(demo) == AuditEvent.objects.filter(action="keys.rotate").count() - before
    changes = events["wengyuan"].changes
    assert {k: changes[k] for k in ("key", "before", "rows", "values", "left", "failures")} == {
        "key": "new", "before": {"old": 12}, "rows": 4, "values": 12, "left": 0, "failures": 0,
    }  # fmt: skip
    assert "casework.Case" in changes["tables"]
    assert events["nanxiong"].changes["values"] == 0
    assert events["wengyuan"].actor is None


def test_a_dry_run_counts_and_changes_nothing(keys: Any, demo: dict[str, Any]) -> None:
    keys(("old", 1))
    register_cases(demo["wengyuan"], 2)
    keys(("new", 2), ("old", 1))
    register_cases(demo["wengyuan"], 1)  # sealed under the new key already
    stored = raw_values(demo["wengyuan"])
    audits = AuditEvent.objects.filter(action="keys.rotate").count()

    output = run("--dry-run")

    assert raw_values(demo["wengyuan"]) == stored
    assert AuditEvent.objects.filter(action="keys.rotate").count() == audits
    assert "wengyuan: 12 values under old keys (old: 12); current key new; dry run, nothing changed" in output
    assert "Values under old keys in all: 12." in output
    assert key_ids(demo["wengyuan"]) == {"old", "new"}


def test_one_hall_only(keys: Any, demo: dict[str, Any]) -> None:
    keys(("old", 1))
    register_cases(demo["wengyuan"], 1)
    register_cases(demo["nanxiong"], 1)
    keys(("new", 2), ("old", 1))

    output = run("--hall", "nanxiong")

    assert key_ids(demo["nanxiong"]) == {"new"}
    assert key_ids(demo["wengyuan"]) == {"old"}
    assert output.splitlines()[0].startswith("nanxiong: 6 values under old keys")
    assert "wengyuan" not in output


def test_an_unknown_hall_is_refused(keys: Any, demo: dict[str, Any]) -> None:
    keys(("new", 2))

    with pytest.raises(CommandError, match="nowhere"):
        run("--hall", "wengyuan", "--hall", "nowhere")
    with pytest.raises(CommandError, match="batch-size"):
        run("--batch-size", "0")


def test_values_of_three_generations_end_under_the_current_key(keys: Any, demo: dict[str, Any]) -> None:
    hall = demo["wengyuan"]
    keys(("k1", 1))
    register_cases(hall, 1)
    keys(("k2", 2), ("k1", 1))
    register_cases(hall, 1)
    keys(("k3", 3), ("k2", 2), ("k1", 1))

    report = field_keys_rotate(hall=hall, batch_size=1)

    assert dict(report.before) == {"k1": 6, "k2": 6}
    assert (report.rows, report.values, report.left, report.failures) == (4, 12, 0, [])
    assert key_ids(hall) == {"k3"}


def test_a_value_under_a_removed_key_is_reported_and_left(keys: Any, demo: dict[str, Any]) -> None:
    hall = demo["wengyuan"]
    keys(("lost", 7))
    [lost] = register_cases(hall, 1)
    keys(("old", 1))
    register_cases(hall, 1)
    stored_lost = raw_values(hall)[lost.pk]
    keys(("new", 2), ("old", 1))  # the key "lost" was dropped too early

    err = StringIO()
    with pytest.raises(CommandError, match="6 values could not be opened"):
        call_command("rotate_field_keys", "--hall", "wengyuan", stdout=StringIO(), stderr=err)

    # the readable case was rotated all the same; the other is untouched, and named without its content
    assert raw_values(hall)[lost.pk] == stored_lost
    assert key_ids(hall) == {"lost", "new"}
    assert f"casework.Case.phone id={lost.pk}: UnknownKeyError" in err.getvalue()
    assert "13812345678" not in err.getvalue()
    audit = AuditEvent.objects.filter(action="keys.rotate", hall=hall).latest("pk")
    assert (audit.changes["values"], audit.changes["failures"], audit.changes["left"]) == (6, 6, 6)


def test_an_interrupted_run_keeps_its_finished_batches_and_is_resumed(
    keys: Any, demo: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    hall = demo["wengyuan"]
    keys(("old", 1))
    register_cases(hall, 4)
    keys(("new", 2), ("old", 1))
    reencrypt = crypto.reencrypt
    calls = 0

    def failing_on_the_third_row(value: str, *, purpose: str) -> str:
        nonlocal calls
        calls += 1
        if calls == 11:  # the first value of the third row
            raise KeyboardInterrupt
        return reencrypt(value, purpose=purpose)

    monkeypatch.setattr(crypto, "reencrypt", failing_on_the_third_row)
    with pytest.raises(KeyboardInterrupt):
        field_keys_rotate(hall=hall, batch_size=1)
    assert current_schema_name() == "public"

    # the two finished batches stay; the interrupted one was rolled back whole
    rows = raw_values(hall)
    assert [{crypto.key_id(v) for v in values} for values in rows.values()] == [{"new"}, {"new"}, {"old"}, {"old"}]

    monkeypatch.setattr(crypto, "reencrypt", reencrypt)
    report = field_keys_rotate(hall=hall, batch_size=1)
    assert (report.rows, report.values, report.left) == (6, 14, 0)
    assert key_ids(hall) == {"new"}
