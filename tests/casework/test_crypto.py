"""casework/crypto.py: authenticated encryption of personal data, key rotation, blind indexes."""

from __future__ import annotations

import base64
import logging
from typing import Any

import pytest
from django.core.exceptions import ImproperlyConfigured

from casework import crypto
from casework.crypto import DecryptionError, UnknownKeyError, blind_index, decrypt, encrypt, key_id, reencrypt

PHONE = "13812345678"
PROD_SECRET = "a-real-deployment-secret-key-with-enough-entropy-0123456789"


def b64key(fill: int, size: int = 32) -> str:
    return base64.b64encode(bytes([fill]) * size).decode()


@pytest.fixture
def no_key_env(monkeypatch: pytest.MonkeyPatch) -> pytest.MonkeyPatch:
    monkeypatch.delenv(crypto.KEYS_ENV, raising=False)
    monkeypatch.delenv(crypto.INDEX_KEY_ENV, raising=False)
    return monkeypatch


@pytest.fixture
def keys(no_key_env: pytest.MonkeyPatch) -> Any:
    """Sets FIELD_ENCRYPTION_KEYS (and a blind-index key) to the given ``kid:fill`` pairs."""

    def configure(*pairs: tuple[str, int], index_fill: int = 9) -> None:
        no_key_env.setenv(crypto.KEYS_ENV, ",".join(f"{kid}:{b64key(fill)}" for kid, fill in pairs))
        no_key_env.setenv(crypto.INDEX_KEY_ENV, b64key(index_fill))

    return configure


def _flip(value: str, position: int) -> str:
    prefix, payload = value.rsplit(":", 1)
    blob = bytearray(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    blob[position] ^= 0x01
    return f"{prefix}:{base64.urlsafe_b64encode(bytes(blob)).decode().rstrip('=')}"


# --- Round trip and format ------------------------------------------------------------------------------
def test_round_trip(keys: Any) -> None:
    keys(("k1", 1))

    value = encrypt(PHONE, purpose="case.phone")

    assert value.startswith("v1:k1:")
    assert PHONE not in value
    assert decrypt(value, purpose="case.phone") == PHONE


def test_round_trip_of_chinese_text_with_development_keys(no_key_env: pytest.MonkeyPatch) -> None:
    address = "广东省韶关市翁源县龙仙镇建设路1号"

    value = encrypt(address, purpose="case.address")

    assert value.startswith("v1:dev:")
    assert decrypt(value, purpose="case.address") == address


def test_each_encryption_uses_a_fresh_nonce(keys: Any) -> None:
    keys(("k1", 1))

    assert encrypt(PHONE, purpose="case.phone") != encrypt(PHONE, purpose="case.phone")


# --- Refusals -------------------------------------------------------------------------------------------
@pytest.mark.parametrize("position", [0, 11, 12, -1])  # nonce, first ciphertext byte, tag
def test_tampered_value_is_refused(keys: Any, position: int) -> None:
    keys(("k1", 1))
    value = encrypt(PHONE, purpose="case.phone")

    with pytest.raises(DecryptionError) as excinfo:
        decrypt(_flip(value, position), purpose="case.phone")

    assert PHONE not in str(excinfo.value)


def test_value_of_another_field_is_refused(keys: Any) -> None:
    keys(("k1", 1))
    value = encrypt(PHONE, purpose="case.phone")

    with pytest.raises(DecryptionError, match=r"purpose 'case\.document_number'"):
        decrypt(value, purpose="case.document_number")


def test_relabelled_key_id_is_refused(keys: Any) -> None:
    keys(("k1", 1), ("k2", 1))  # even the same key bytes: the key id is authenticated
    value = encrypt(PHONE, purpose="case.phone")

    with pytest.raises(DecryptionError):
        decrypt(value.replace("v1:k1:", "v1:k2:"), purpose="case.phone")


def test_unknown_key_id_is_named(keys: Any) -> None:
    keys(("old", 1))
    value = encrypt(PHONE, purpose="case.phone")
    keys(("new", 2))

    with pytest.raises(UnknownKeyError, match=r"key id 'old'.*configured: new"):
        decrypt(value, purpose="case.phone")


@pytest.mark.parametrize("value", ["13812345678", "v2:k1:AAAA", "v1::AAAA", "v1:k1:", "v1:k1:!!!", "v1:k1:AAAA"])
def test_malformed_values_are_refused(keys: Any, value: str) -> None:
    keys(("k1", 1))

    with pytest.raises(DecryptionError):
        decrypt(value, purpose="case.phone")


def test_purpose_is_required(keys: Any) -> None:
    keys(("k1", 1))

    with pytest.raises(ValueError, match="purpose"):
        encrypt(PHONE, purpose="")


# --- Rotation -------------------------------------------------------------------------------------------
def test_rotation(keys: Any) -> None:
    # given a value sealed under the old key
    keys(("k1", 1))
    old = encrypt(PHONE, purpose="case.phone")

    # when a new key is put first
    keys(("k2", 2), ("k1", 1))

    # then the old value still opens, new values use the new key, and reencrypt moves it over
    assert decrypt(old, purpose="case.phone") == PHONE
    assert key_id(encrypt(PHONE, purpose="case.phone")) == "k2"
    moved = reencrypt(old, purpose="case.phone")
    assert key_id(moved) == "k2"
    assert decrypt(moved, purpose="case.phone") == PHONE
    assert reencrypt(moved, purpose="case.phone") == moved  # already current: unchanged

    # and once the old key is dropped, only re-encrypted values open
    keys(("k2", 2))
    assert decrypt(moved, purpose="case.phone") == PHONE
    with pytest.raises(UnknownKeyError):
        decrypt(old, purpose="case.phone")


def test_reencrypt_checks_the_purpose(keys: Any) -> None:
    keys(("k1", 1))
    old = encrypt(PHONE, purpose="case.phone")
    keys(("k2", 2), ("k1", 1))

    with pytest.raises(DecryptionError):
        reencrypt(old, purpose="case.address")


# --- Blind index ----------------------------------------------------------------------------------------
def test_blind_index_is_stable_and_separated_by_purpose(keys: Any) -> None:
    keys(("k1", 1))

    index = blind_index("phone", PHONE)

    assert index == blind_index("phone", PHONE)
    assert len(index) == 64
    assert int(index, 16) >= 0
    assert index != blind_index("phone", "13812345679")
    assert index != blind_index("document:resident_id", PHONE)
    assert blind_index("ab", "c") != blind_index("a", "bc")


def test_blind_index_depends_on_its_key_only(keys: Any) -> None:
    keys(("k1", 1), index_fill=9)
    first = blind_index("phone", PHONE)

    keys(("k2", 2), ("k1", 1), index_fill=9)  # rotating encryption keys keeps the index
    assert blind_index("phone", PHONE) == first

    keys(("k1", 1), index_fill=10)
    assert blind_index("phone", PHONE) != first


def test_development_index_key_differs_from_a_configured_one(keys: Any, no_key_env: pytest.MonkeyPatch) -> None:
    dev = blind_index("phone", PHONE)
    keys(("k1", 1))

    assert blind_index("phone", PHONE) != dev


# --- Configuration --------------------------------------------------------------------------------------
def test_production_without_keys_is_improperly_configured(no_key_env: pytest.MonkeyPatch, settings: Any) -> None:
    settings.DEBUG = False
    settings.SECRET_KEY = PROD_SECRET

    with pytest.raises(ImproperlyConfigured, match="FIELD_ENCRYPTION_KEYS and BLIND_INDEX_KEY"):
        encrypt(PHONE, purpose="case.phone")
    with pytest.raises(ImproperlyConfigured):
        blind_index("phone", PHONE)


def test_production_without_index_key_is_improperly_configured(no_key_env: pytest.MonkeyPatch, settings: Any) -> None:
    settings.DEBUG = False
    settings.SECRET_KEY = PROD_SECRET
    no_key_env.setenv(crypto.KEYS_ENV, f"k1:{b64key(1)}")

    with pytest.raises(ImproperlyConfigured, match="BLIND_INDEX_KEY"):
        blind_index("phone", PHONE)


def test_production_with_keys_works(keys: Any, settings: Any) -> None:
    settings.DEBUG = False
    settings.SECRET_KEY = PROD_SECRET
    keys(("k1", 1))

    assert decrypt(encrypt(PHONE, purpose="case.phone"), purpose="case.phone") == PHONE


def test_debug_mode_derives_development_keys(no_key_env: pytest.MonkeyPatch, settings: Any) -> None:
    settings.DEBUG = True
    settings.SECRET_KEY = PROD_SECRET

    assert key_id(encrypt(PHONE, purpose="case.phone")) == "dev"


def test_development_keys_follow_the_secret_key(no_key_env: pytest.MonkeyPatch, settings: Any) -> None:
    settings.SECRET_KEY = "dev-insecure-one"
    value = encrypt(PHONE, purpose="case.phone")
    first = blind_index("phone", PHONE)
    settings.SECRET_KEY = "dev-insecure-two"

    assert blind_index("phone", PHONE) != first
    with pytest.raises(DecryptionError):
        decrypt(value, purpose="case.phone")


def test_development_keys_warn_once(
    no_key_env: pytest.MonkeyPatch, settings: Any, caplog: pytest.LogCaptureFixture
) -> None:
    settings.SECRET_KEY = "dev-insecure-warn-once-test"

    with caplog.at_level(logging.WARNING, logger="casework.crypto"):
        encrypt(PHONE, purpose="case.phone")
        blind_index("phone", PHONE)

    assert [r.getMessage() for r in caplog.records].count(
        "FIELD_ENCRYPTION_KEYS and BLIND_INDEX_KEY not set: using keys derived from SECRET_KEY "
        "(development only; docs/personal-data.md)."
    ) == 1


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        (f"k1:{b64key(1, 16)}", "has 16 bytes"),
        ("k1:not base64!", "not valid base64"),
        (f"k1:{b64key(1)},k1:{b64key(2)}", "appears twice"),
        (b64key(1), "each entry is <key id>:"),
        (f"bad id:{b64key(1)}", "each entry is <key id>:"),
        (" , ", "no key"),
        (f"k1:des:{b64key(1, 8)}", "names the cipher 'des'"),
        (f"k1:sm4-gcm:{b64key(1)}", "has 32 bytes; sm4-gcm needs 16"),
        (f"k1:aes-256-gcm:{b64key(1, 16)}", "has 16 bytes; aes-256-gcm needs 32"),
    ],
)
def test_malformed_keys_are_refused_even_in_development(no_key_env: pytest.MonkeyPatch, raw: str, message: str) -> None:
    no_key_env.setenv(crypto.KEYS_ENV, raw)

    with pytest.raises(ImproperlyConfigured, match=message):
        encrypt(PHONE, purpose="case.phone")


def test_short_index_key_is_refused(keys: Any, no_key_env: pytest.MonkeyPatch) -> None:
    keys(("k1", 1))
    no_key_env.setenv(crypto.INDEX_KEY_ENV, b64key(1, 16))

    with pytest.raises(ImproperlyConfigured, match="at least 32"):
        blind_index("phone", PHONE)


def test_url_safe_base64_keys_are_accepted(no_key_env: pytest.MonkeyPatch) -> None:
    key = bytes(range(224, 256))
    no_key_env.setenv(crypto.KEYS_ENV, "k1:" + base64.urlsafe_b64encode(key).decode().rstrip("="))

    assert crypto.keyring().keys == {"k1": key}
