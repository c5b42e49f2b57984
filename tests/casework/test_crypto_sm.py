"""SM4-GCM and HMAC-SM3 for the personal data at rest (casework/crypto.py; the 密评, GB/T 39786), and
rotation between them and AES-256-GCM / HMAC-SHA256 through the key ids (casework/key_rotation.py),
both ways, with real cases in the hall schemas."""

from __future__ import annotations

import base64
import hashlib
import hmac
from typing import Any

import pytest
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives import hmac as crypto_hmac
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from django.core.exceptions import ImproperlyConfigured
from django.db import connection

from casework import crypto
from casework.crypto import DecryptionError, blind_index, blind_index_candidates, decrypt, encrypt, reencrypt
from casework.key_rotation import field_keys_rotate
from casework.models import Case
from casework.selectors import case_list_earlier_of_person
from hallplatform.audit.models import AuditEvent
from hallplatform.schemas import use_hall_schema
from tests.casework.test_case_register import ID_NUMBER
from tests.casework.test_crypto import PHONE, b64key
from tests.casework.test_rotate_field_keys import COLUMNS, PLAIN, raw_values, register_cases, run


@pytest.fixture
def ring(monkeypatch: pytest.MonkeyPatch, settings: Any) -> Any:
    """Configures the keys and algorithms: ``ring(("new", "sm4-gcm", 2), ("old", "aes-256-gcm", 1),
    index="hmac-sm3")``; FIELD_CIPHER follows the first key, as it must."""

    def configure(*entries: tuple[str, str, int], index: str = crypto.HMAC_SHA256) -> None:
        parts = [f"{kid}:{cipher}:{b64key(fill, crypto.CIPHERS[cipher][1])}" for kid, cipher, fill in entries]
        monkeypatch.setenv(crypto.KEYS_ENV, ",".join(parts))
        monkeypatch.setenv(crypto.INDEX_KEY_ENV, b64key(9))
        settings.FIELD_CIPHER = entries[0][1]
        settings.BLIND_INDEX_HASH = index

    yield configure
    crypto._load.cache_clear()


def payload(value: str) -> bytes:
    encoded = value.rsplit(":", 1)[1]
    return base64.urlsafe_b64decode(encoded + "=" * (-len(encoded) % 4))


# --- SM4-GCM --------------------------------------------------------------------------------------------
def test_sm4_gcm_gives_the_rfc_8998_test_vector() -> None:
    key = bytes.fromhex("0123456789ABCDEFFEDCBA9876543210")
    nonce = bytes.fromhex("00001234567800000000ABCD")
    aad = bytes.fromhex("FEEDFACEDEADBEEFFEEDFACEDEADBEEFABADDAD2")
    plaintext = bytes.fromhex("AAAAAAAAAAAAAAAABBBBBBBBBBBBBBBBCCCCCCCCCCCCCCCCDDDDDDDDDDDDDDDD")
    plaintext += bytes.fromhex("EEEEEEEEEEEEEEEEFFFFFFFFFFFFFFFFEEEEEEEEEEEEEEEEAAAAAAAAAAAAAAAA")

    sealed = crypto._sm4_gcm_seal(key, nonce, plaintext, aad)

    assert sealed[:-16].hex().upper() == (
        "17F399F08C67D5EE19D0DC9969C4BB7D5FD46FD3756489069157B282BB200735"
        "D82710CA5C22F0CCFA7CBF93D496AC15A56834CBCF98C397B4024A2691233B8D"
    )
    assert sealed[-16:].hex().upper() == "83DE3541E4C2B58177E065A9BF7B62EC"
    assert crypto._sm4_gcm_open(key, nonce, sealed, aad) == plaintext


def test_a_value_sealed_with_sm4_is_sm4_gcm_under_its_key(ring: Any) -> None:
    ring(("s1", crypto.SM4_GCM, 5))

    value = encrypt(PHONE, purpose="case.phone")

    assert value.startswith("sm4v1:s1:") and PHONE not in value
    assert crypto.cipher_of(value) == crypto.SM4_GCM
    assert decrypt(value, purpose="case.phone") == PHONE
    # opened independently, with SM4 in GCM mode and the documented associated data
    blob = payload(value)
    opener = Cipher(algorithms.SM4(bytes([5]) * 16), modes.GCM(blob[:12], blob[-16:])).decryptor()
    opener.authenticate_additional_data(b"bancheng:sm4v1:s1:case.phone")
    assert (opener.update(blob[12:-16]) + opener.finalize()).decode() == PHONE
    assert encrypt(PHONE, purpose="case.phone") != value  # a fresh nonce each time


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda v: v.replace("sm4v1:", "v1:", 1), "marked aes-256-gcm, but the key 's1' is an sm4-gcm key"),
        (lambda v: v[:-3] + ("A" if v[-3] != "A" else "B") + v[-2:], "does not authenticate"),
    ],
)
def test_an_altered_or_relabelled_sm4_value_is_refused(ring: Any, change: Any, message: str) -> None:
    ring(("s1", crypto.SM4_GCM, 5))
    value = encrypt(PHONE, purpose="case.phone")

    with pytest.raises(DecryptionError, match=message):
        decrypt(change(value), purpose="case.phone")
    with pytest.raises(DecryptionError, match="does not authenticate"):
        decrypt(value, purpose="case.document_number")


def test_the_cipher_setting_must_match_the_key_that_seals(ring: Any, settings: Any) -> None:
    ring(("old", crypto.AES_256_GCM, 1), ("new", crypto.SM4_GCM, 2))
    settings.FIELD_CIPHER = crypto.SM4_GCM

    with pytest.raises(ImproperlyConfigured, match=r"FIELD_CIPHER is sm4-gcm, but the first key .*'old'"):
        encrypt(PHONE, purpose="case.phone")

    settings.FIELD_CIPHER = "des"
    with pytest.raises(ImproperlyConfigured, match="FIELD_CIPHER must be one of aes-256-gcm, sm4-gcm"):
        encrypt(PHONE, purpose="case.phone")
    settings.FIELD_CIPHER = crypto.AES_256_GCM
    settings.BLIND_INDEX_HASH = "md5"
    with pytest.raises(ImproperlyConfigured, match="BLIND_INDEX_HASH must be one of"):
        blind_index("phone", PHONE)


def test_values_of_either_cipher_open_and_reencrypt_moves_them_both_ways(ring: Any) -> None:
    ring(("a1", crypto.AES_256_GCM, 1))
    aes_value = encrypt(PHONE, purpose="case.phone")
    assert aes_value.startswith("v1:a1:")  # the default format, unchanged

    ring(("s1", crypto.SM4_GCM, 2), ("a1", crypto.AES_256_GCM, 1))
    assert decrypt(aes_value, purpose="case.phone") == PHONE
    sm4_value = reencrypt(aes_value, purpose="case.phone")
    assert sm4_value.startswith("sm4v1:s1:") and decrypt(sm4_value, purpose="case.phone") == PHONE
    assert reencrypt(sm4_value, purpose="case.phone") == sm4_value

    ring(("a2", crypto.AES_256_GCM, 3), ("s1", crypto.SM4_GCM, 2))
    back = reencrypt(sm4_value, purpose="case.phone")
    assert back.startswith("v1:a2:") and decrypt(back, purpose="case.phone") == PHONE


def test_development_keys_switch_cipher_with_the_setting(
    monkeypatch: pytest.MonkeyPatch, settings: Any, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.delenv(crypto.KEYS_ENV, raising=False)
    monkeypatch.delenv(crypto.INDEX_KEY_ENV, raising=False)
    settings.DEBUG = True
    aes_value = encrypt(PHONE, purpose="case.phone")

    settings.FIELD_CIPHER = crypto.SM4_GCM
    sm4_value = encrypt(PHONE, purpose="case.phone")

    assert aes_value.startswith("v1:dev:") and sm4_value.startswith("sm4v1:dev-sm4:")
    assert decrypt(aes_value, purpose="case.phone") == decrypt(sm4_value, purpose="case.phone") == PHONE
    crypto._load.cache_clear()


# --- HMAC-SM3 blind index ----------------------------------------------------------------------------------
def test_the_sm3_index_is_hmac_sm3_of_purpose_and_value(ring: Any) -> None:
    ring(("a1", crypto.AES_256_GCM, 1), index=crypto.HMAC_SM3)
    message = b"phone\x00" + PHONE.encode()
    mac = crypto_hmac.HMAC(bytes([9]) * 32, hashes.SM3())
    mac.update(message)
    expected = "sm3:" + base64.urlsafe_b64encode(mac.finalize()).decode().rstrip("=")

    index = blind_index("phone", PHONE)

    assert index == expected and len(index) == 47 <= Case._meta.get_field("phone_index").max_length  # type: ignore[operator]
    assert crypto.blind_index_hash_of(index) == crypto.HMAC_SM3
    sha256 = hmac.new(bytes([9]) * 32, message, hashlib.sha256).hexdigest()
    assert blind_index_candidates("phone", PHONE) == [expected, sha256]  # current first, then the other

    ring(("a1", crypto.AES_256_GCM, 1))  # the default: HMAC-SHA256 in hex, as before
    assert blind_index("phone", PHONE) == sha256
    assert crypto.blind_index_hash_of(sha256) == crypto.HMAC_SHA256
    assert blind_index_candidates("phone", PHONE) == [sha256, expected]


# --- Rotation between the algorithms, with real rows ------------------------------------------------------
def index_values(hall: Any) -> set[str]:
    use_hall_schema(hall)
    with connection.cursor() as cursor:
        cursor.execute("SELECT phone_index, document_index FROM casework_case")
        return {value for row in cursor.fetchall() for value in row}


def assert_all_open_and_are_found(hall: Any, count: int) -> None:
    use_hall_schema(hall)
    cases = list(Case.objects.order_by("pk"))
    assert len(cases) == count
    assert {(c.applicant_name, c.phone, c.document_number, c.address, c.problem) for c in cases} == {
        tuple(PLAIN[column] for column in COLUMNS)
    }
    assert len(case_list_earlier_of_person(phone="138 1234 5678")) == count
    assert len(case_list_earlier_of_person(document_type="resident_id", document_number=ID_NUMBER)) == count


@pytest.mark.parametrize(
    ("before", "after", "old_format", "new_format"),
    [
        ((crypto.AES_256_GCM, crypto.HMAC_SHA256), (crypto.SM4_GCM, crypto.HMAC_SM3), "v1:", "sm4v1:"),
        ((crypto.SM4_GCM, crypto.HMAC_SM3), (crypto.AES_256_GCM, crypto.HMAC_SHA256), "sm4v1:", "v1:"),
    ],
    ids=["aes-to-sm4", "sm4-to-aes"],
)
def test_rotating_to_the_other_algorithms_reseals_and_reindexes_every_case(
    ring: Any, demo: dict[str, Any], before: tuple[str, str], after: tuple[str, str], old_format: str, new_format: str
) -> None:
    wengyuan, nanxiong = demo["wengyuan"], demo["nanxiong"]
    old_cipher, old_hash = before
    new_cipher, new_hash = after
    # given cases sealed and indexed with the old algorithms in two halls
    ring(("old", old_cipher, 1), index=old_hash)
    register_cases(wengyuan, 3)
    register_cases(nanxiong, 2)
    old_indexes = index_values(wengyuan)
    assert {crypto.blind_index_hash_of(i) for i in old_indexes} == {old_hash}
    assert all(v.startswith(f"{old_format}old:") for values in raw_values(wengyuan).values() for v in values)

    # when the new algorithms' key is put first (FIELD_CIPHER and BLIND_INDEX_HASH switched with it)
    ring(("new", new_cipher, 2), ("old", old_cipher, 1), index=new_hash)
    # then before any rotation the cases open and a search finds them; a new case takes the new algorithms
    assert_all_open_and_are_found(wengyuan, 3)
    [repeat] = register_cases(wengyuan, 1)
    assert raw_values(wengyuan)[repeat.pk][1].startswith(f"{new_format}new:")
    assert_all_open_and_are_found(wengyuan, 4)
    assert {crypto.blind_index_hash_of(i) for i in index_values(wengyuan)} == {old_hash, new_hash}

    # when the command runs
    dry = run("--dry-run")
    output = run("--batch-size", "2")

    # then every value is sealed with the new cipher and every index computed with the new hash
    assert (
        "wengyuan: 18 values under old keys (old: 18); current key new; dry run, nothing changed; "
        f"6 blind index values to recompute with {new_hash}"
    ) in dry
    assert "Blind index values of another hash in all: 10." in dry
    assert (
        f"wengyuan: 18 values under old keys (old: 18); re-encrypted 18 values in 6 rows under new; 0 left; "
        f"6 blind index values of another hash: recomputed 6 with {new_hash}, 0 left"
    ) in output
    assert "Every value is under the current key." in output
    for hall in (wengyuan, nanxiong):
        values = [v for row in raw_values(hall).values() for v in row]
        assert all(v.startswith(f"{new_format}new:") for v in values)
        assert {crypto.blind_index_hash_of(i) for i in index_values(hall)} == {new_hash}
        assert len(index_values(hall)) == 2  # one person: one phone index, one document index
    assert index_values(wengyuan).isdisjoint(old_indexes)
    audit = AuditEvent.objects.filter(action="keys.rotate", hall=wengyuan).latest("pk")
    assert {k: audit.changes[k] for k in ("key", "cipher", "index_hash", "indexes", "indexes_left")} == {
        "key": "new", "cipher": new_cipher, "index_hash": new_hash, "indexes": 6, "indexes_left": 0,
    }  # fmt: skip

    # and with the old key gone the cases open and the person is found by phone and ID number
    ring(("new", new_cipher, 2), index=new_hash)
    assert_all_open_and_are_found(wengyuan, 4)
    assert_all_open_and_are_found(nanxiong, 2)
    settled = raw_values(wengyuan), index_values(wengyuan)
    again = field_keys_rotate(hall=wengyuan)
    assert (again.values, again.indexes, again.indexes_before) == (0, 0, 0)
    assert (raw_values(wengyuan), index_values(wengyuan)) == settled


def test_switching_only_the_index_hash_recomputes_the_indexes_and_leaves_the_values(
    ring: Any, demo: dict[str, Any]
) -> None:
    hall = demo["wengyuan"]
    ring(("k1", crypto.AES_256_GCM, 1))
    register_cases(hall, 2)
    stored = raw_values(hall)
    ring(("k1", crypto.AES_256_GCM, 1), index=crypto.HMAC_SM3)

    report = field_keys_rotate(hall=hall, batch_size=1)

    assert raw_values(hall) == stored  # same key: nothing re-sealed
    assert (report.values, report.indexes_before, report.indexes, report.indexes_left) == (0, 4, 4, 0)
    assert {crypto.blind_index_hash_of(i) for i in index_values(hall)} == {crypto.HMAC_SM3}
    assert_all_open_and_are_found(hall, 2)


def test_an_index_whose_source_cannot_be_opened_is_reported_and_left(ring: Any, demo: dict[str, Any]) -> None:
    hall = demo["wengyuan"]
    ring(("lost", crypto.AES_256_GCM, 7))
    [lost] = register_cases(hall, 1)
    ring(("k1", crypto.AES_256_GCM, 1), index=crypto.HMAC_SM3)  # the key "lost" was dropped
    before = index_values(hall)

    report = field_keys_rotate(hall=hall)

    assert index_values(hall) == before
    assert (report.indexes, report.indexes_left) == (0, 2)
    assert f"casework.Case.phone_index id={lost.pk}: UnknownKeyError" in report.failures
    assert all("13812345678" not in failure for failure in report.failures)
