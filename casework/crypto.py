"""Encryption at rest of personal data, and keyed blind indexes to find it again (docs/personal-data.md).

A stored value is ``<format>:<key id>:<base64url(nonce || ciphertext+tag)>``: format ``v1`` is
AES-256-GCM, ``sm4v1`` is SM4-GCM (GB/T 32907, the commercial cipher of the 密评, GB/T 39786). The
associated data binds it to its format, *purpose* (e.g. ``case.phone``) and key id, so a ciphertext
copied into another column, or relabelled with another key id or format, fails to decrypt instead of
showing wrong data.

Keys come from the environment, read lazily at first use (not in settings.py):

- ``FIELD_ENCRYPTION_KEYS``: ``kid:base64key,kid:sm4-gcm:base64key…``; an entry names its algorithm
  (``aes-256-gcm``, the default, 32-byte keys; ``sm4-gcm``, 16-byte keys), so each key id has exactly
  one. The first encrypts and must be of the algorithm ``settings.FIELD_CIPHER``; all decrypt.
  Rotation, also from one algorithm to the other: put a new key first, re-encrypt (``reencrypt``),
  then drop the old one.
- ``BLIND_INDEX_KEY``: base64, at least 32 bytes; the HMAC key of ``blind_index``, computed with
  ``settings.BLIND_INDEX_HASH`` (HMAC-SHA256, or HMAC-SM3 whose values read ``sm3:…``).

Without them, development and tests (``DEBUG`` on, or the insecure development ``SECRET_KEY``) derive
keys from ``SECRET_KEY`` with HKDF under key id ``dev`` and log a warning once; anywhere else the first
use raises ImproperlyConfigured.
"""

from __future__ import annotations

import base64
import binascii
import functools
import hashlib
import hmac
import logging
import os
import re
from dataclasses import dataclass

from cryptography.exceptions import InvalidTag, UnsupportedAlgorithm
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives import hmac as crypto_hmac
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

logger = logging.getLogger(__name__)

VERSION = "v1"  # the format of AES-256-GCM values (the first and default one)
KEYS_ENV = "FIELD_ENCRYPTION_KEYS"
INDEX_KEY_ENV = "BLIND_INDEX_KEY"
DEV_KEY_ID = "dev"
DEV_SM4_KEY_ID = "dev-sm4"

AES_256_GCM = "aes-256-gcm"
SM4_GCM = "sm4-gcm"
# cipher -> (the format naming it in a stored value, its key length in bytes)
CIPHERS: dict[str, tuple[str, int]] = {AES_256_GCM: (VERSION, 32), SM4_GCM: ("sm4v1", 16)}
_CIPHER_OF_FORMAT = {fmt: cipher for cipher, (fmt, _) in CIPHERS.items()}

HMAC_SHA256 = "hmac-sha256"
HMAC_SM3 = "hmac-sm3"
# hash -> the prefix of its index values (HMAC-SHA256's are bare hex, as before SM3 was offered)
INDEX_HASHES: dict[str, str] = {HMAC_SHA256: "", HMAC_SM3: "sm3:"}
# settings.py falls back to a SECRET_KEY with this prefix when BANCHENG_INSECURE_DEV_KEY is set.
_INSECURE_SECRET_PREFIX = "dev-insecure-"  # noqa: S105 (a marker, not a secret)
_KEY_ID = re.compile(r"[A-Za-z0-9_-]{1,32}")
_NONCE_BYTES = 12
_TAG_BYTES = 16


class DecryptionError(ValueError):
    """A stored value cannot be opened: malformed, tampered with, sealed for another purpose, or under
    a key that is not configured. The message never contains the value."""


class UnknownKeyError(DecryptionError):
    pass


@dataclass(frozen=True)
class Keyring:
    current: str
    keys: dict[str, bytes]
    index_key: bytes
    ciphers: dict[str, str]  # key id -> cipher (AES_256_GCM or SM4_GCM)
    index_hash: str = HMAC_SHA256


def _b64decode(text: str) -> bytes:
    """Standard or URL-safe base64, padding optional."""
    text = text.strip().replace("-", "+").replace("_", "/")
    return base64.b64decode(text + "=" * (-len(text) % 4), validate=True)


def _dev_allowed(secret_key: str, debug: bool) -> bool:
    return debug or secret_key.startswith(_INSECURE_SECRET_PREFIX)


def _derive(secret_key: str, info: bytes, length: int = 32) -> bytes:
    return HKDF(algorithm=hashes.SHA256(), length=length, salt=b"bancheng-personal-data", info=info).derive(
        secret_key.encode()
    )


def _parse_keys(raw: str) -> tuple[str, dict[str, bytes], dict[str, str]]:
    """``kid:base64key`` (AES-256-GCM) or ``kid:<cipher>:base64key`` entries (base64 has no colon)."""
    keys: dict[str, bytes] = {}
    ciphers: dict[str, str] = {}
    current = ""
    for item in (part.strip() for part in raw.split(",")):
        if not item:
            continue
        kid, sep, encoded = item.partition(":")
        kid = kid.strip()
        if not sep or not _KEY_ID.fullmatch(kid):
            raise ImproperlyConfigured(
                f"{KEYS_ENV}: each entry is <key id>:[<cipher>:]<base64 key>, the key id of A-Z a-z 0-9 _ -."
            )
        cipher, sep, rest = encoded.partition(":")
        if sep:
            cipher, encoded = cipher.strip(), rest
            if cipher not in CIPHERS:
                raise ImproperlyConfigured(
                    f"{KEYS_ENV}: the key {kid!r} names the cipher {cipher!r}; known: {', '.join(CIPHERS)}."
                )
        else:
            cipher = AES_256_GCM
        if kid in keys:
            raise ImproperlyConfigured(f"{KEYS_ENV}: key id {kid!r} appears twice.")
        try:
            key = _b64decode(encoded)
        except (binascii.Error, ValueError):
            raise ImproperlyConfigured(f"{KEYS_ENV}: the key {kid!r} is not valid base64.") from None
        length = CIPHERS[cipher][1]
        if len(key) != length:
            raise ImproperlyConfigured(f"{KEYS_ENV}: the key {kid!r} has {len(key)} bytes; {cipher} needs {length}.")
        keys[kid] = key
        ciphers[kid] = cipher
        current = current or kid
    if not keys:
        raise ImproperlyConfigured(f"{KEYS_ENV} holds no key.")
    return current, keys, ciphers


# RFC 8998, appendix A.1: the SM4-GCM test vector (key, nonce, associated data, plaintext, ciphertext+tag).
_SM4_GCM_VECTOR = (
    "0123456789abcdeffedcba9876543210",
    "00001234567800000000abcd",
    "feedfacedeadbeeffeedfacedeadbeefabaddad2",
    "aaaaaaaaaaaaaaaabbbbbbbbbbbbbbbbccccccccccccccccdddddddddddddddd"
    "eeeeeeeeeeeeeeeeffffffffffffffffeeeeeeeeeeeeeeeeaaaaaaaaaaaaaaaa",
    "17f399f08c67d5ee19d0dc9969c4bb7d5fd46fd3756489069157b282bb200735"
    "d82710ca5c22f0ccfa7cbf93d496ac15a56834cbcf98c397b4024a2691233b8d"
    "83de3541e4c2b58177e065a9bf7b62ec",
)
# GB/T 32905-2016, appendix A.1: SM3("abc").
_SM3_ABC = "66c7f0f462eeedd9d1f2d46bdc10e4e24167c4875cf2f7a2297da02b8f4ba8e0"


@functools.cache
def _check_commercial_algorithms() -> None:
    """Known-answer tests of SM4-GCM and SM3 on this build of ``cryptography``/OpenSSL, once per
    process before the first use: a library built without them fails here, by name, not on a case."""
    key, nonce, aad, plaintext, sealed = (bytes.fromhex(part) for part in _SM4_GCM_VECTOR)
    try:
        if _sm4_gcm_seal(key, nonce, plaintext, aad) != sealed or _sm4_gcm_open(key, nonce, sealed, aad) != plaintext:
            raise ImproperlyConfigured("SM4-GCM does not give the RFC 8998 test vector on this system.")
        digest = hashes.Hash(hashes.SM3())
        digest.update(b"abc")
        if digest.finalize().hex() != _SM3_ABC:
            raise ImproperlyConfigured("SM3 does not give the GB/T 32905 test vector on this system.")
    except (UnsupportedAlgorithm, InvalidTag) as error:
        raise ImproperlyConfigured(
            f"SM4-GCM or SM3 is not supported by this build of cryptography/OpenSSL: {error}"
        ) from None


def _sm4_gcm_seal(key: bytes, nonce: bytes, plaintext: bytes, associated_data: bytes) -> bytes:
    encryptor = Cipher(algorithms.SM4(key), modes.GCM(nonce)).encryptor()
    encryptor.authenticate_additional_data(associated_data)
    return encryptor.update(plaintext) + encryptor.finalize() + encryptor.tag


def _sm4_gcm_open(key: bytes, nonce: bytes, sealed: bytes, associated_data: bytes) -> bytes:
    """Raises InvalidTag like AESGCM.decrypt."""
    decryptor = Cipher(algorithms.SM4(key), modes.GCM(nonce, sealed[-_TAG_BYTES:])).decryptor()
    decryptor.authenticate_additional_data(associated_data)
    return decryptor.update(sealed[:-_TAG_BYTES]) + decryptor.finalize()


@functools.lru_cache(maxsize=8)
def _load(
    raw_keys: str | None,
    raw_index_key: str | None,
    secret_key: str,
    debug: bool,
    field_cipher: str = AES_256_GCM,
    index_hash: str = HMAC_SHA256,
) -> Keyring:
    """The keyring for one configuration (cached: a changed environment or setting is a new entry)."""
    if field_cipher not in CIPHERS:
        raise ImproperlyConfigured(f"FIELD_CIPHER must be one of {', '.join(CIPHERS)}, not {field_cipher!r}.")
    if index_hash not in INDEX_HASHES:
        raise ImproperlyConfigured(f"BLIND_INDEX_HASH must be one of {', '.join(INDEX_HASHES)}, not {index_hash!r}.")
    missing = [name for name, raw in ((KEYS_ENV, raw_keys), (INDEX_KEY_ENV, raw_index_key)) if not raw]
    if missing and not _dev_allowed(secret_key, debug):
        raise ImproperlyConfigured(
            f"{' and '.join(missing)} not set: personal data cannot be encrypted (docs/personal-data.md)."
        )
    if missing:
        logger.warning(
            "%s not set: using keys derived from SECRET_KEY (development only; docs/personal-data.md).",
            " and ".join(missing),
        )
    if raw_keys:
        current, keys, ciphers = _parse_keys(raw_keys)
        if ciphers[current] != field_cipher:
            raise ImproperlyConfigured(
                f"FIELD_CIPHER is {field_cipher}, but the first key of {KEYS_ENV} ({current!r}), which seals "
                f"new values, is an {ciphers[current]} key: put a {field_cipher} key first (docs/personal-data.md)."
            )
    else:
        current, keys, ciphers = DEV_KEY_ID, {DEV_KEY_ID: _derive(secret_key, b"field-encryption")}, {}
        ciphers[DEV_KEY_ID] = AES_256_GCM
        # Development can switch FIELD_CIPHER back and forth: both derived keys always decrypt.
        keys[DEV_SM4_KEY_ID] = _derive(secret_key, b"field-encryption-sm4", 16)
        ciphers[DEV_SM4_KEY_ID] = SM4_GCM
        if field_cipher == SM4_GCM:
            current = DEV_SM4_KEY_ID
    if SM4_GCM in ciphers.values() or index_hash == HMAC_SM3:
        _check_commercial_algorithms()
    if raw_index_key:
        try:
            index_key = _b64decode(raw_index_key)
        except (binascii.Error, ValueError):
            raise ImproperlyConfigured(f"{INDEX_KEY_ENV} is not valid base64.") from None
        if len(index_key) < 32:
            raise ImproperlyConfigured(f"{INDEX_KEY_ENV} has {len(index_key)} bytes; it needs at least 32.")
    else:
        index_key = _derive(secret_key, b"blind-index")
    return Keyring(current=current, keys=keys, index_key=index_key, ciphers=ciphers, index_hash=index_hash)


def keyring() -> Keyring:
    """The configured keys; raises ImproperlyConfigured when they are missing outside development."""
    return _load(
        os.environ.get(KEYS_ENV),
        os.environ.get(INDEX_KEY_ENV),
        settings.SECRET_KEY,
        settings.DEBUG,
        getattr(settings, "FIELD_CIPHER", AES_256_GCM),
        getattr(settings, "BLIND_INDEX_HASH", HMAC_SHA256),
    )


def _associated_data(fmt: str, kid: str, purpose: str) -> bytes:
    return f"bancheng:{fmt}:{kid}:{purpose}".encode()


def _require_purpose(purpose: str) -> None:
    if not purpose:
        raise ValueError("an encryption purpose is required (e.g. 'case.phone')")


def encrypt(plaintext: str, *, purpose: str) -> str:
    """Seal ``plaintext`` under the current key for ``purpose``: ``<format>:<kid>:<base64url>``, the
    format ``v1`` (AES-256-GCM) or ``sm4v1`` (SM4-GCM) by the current key's cipher."""
    _require_purpose(purpose)
    ring = keyring()
    kid = ring.current
    cipher = ring.ciphers[kid]
    fmt = CIPHERS[cipher][0]
    nonce = os.urandom(_NONCE_BYTES)
    associated_data = _associated_data(fmt, kid, purpose)
    if cipher == SM4_GCM:
        sealed = _sm4_gcm_seal(ring.keys[kid], nonce, plaintext.encode(), associated_data)
    else:
        sealed = AESGCM(ring.keys[kid]).encrypt(nonce, plaintext.encode(), associated_data)
    return f"{fmt}:{kid}:{base64.urlsafe_b64encode(nonce + sealed).decode().rstrip('=')}"


def _split(value: str) -> tuple[str, str, bytes]:
    fmt, _, rest = value.partition(":")
    kid, _, payload = rest.partition(":")
    if fmt not in _CIPHER_OF_FORMAT or not _KEY_ID.fullmatch(kid) or not payload:
        raise DecryptionError(f"not an encrypted value (formats: {', '.join(_CIPHER_OF_FORMAT)})")
    try:
        blob = _b64decode(payload)
    except (binascii.Error, ValueError):
        raise DecryptionError("the encrypted value is not valid base64") from None
    if len(blob) < _NONCE_BYTES + _TAG_BYTES:
        raise DecryptionError("the encrypted value is truncated")
    return fmt, kid, blob


def key_id(value: str) -> str:
    """The id of the key that sealed ``value``."""
    return _split(value)[1]


def cipher_of(value: str) -> str:
    """The cipher that sealed ``value`` (AES_256_GCM or SM4_GCM), read from its format."""
    return _CIPHER_OF_FORMAT[_split(value)[0]]


def decrypt(value: str, *, purpose: str) -> str:
    """Open a value sealed by ``encrypt`` for the same ``purpose``.

    Raises UnknownKeyError when its key id is not configured, DecryptionError when it was altered,
    sealed for another purpose or is not an encrypted value.
    """
    _require_purpose(purpose)
    fmt, kid, blob = _split(value)
    ring = keyring()
    key = ring.keys.get(kid)
    if key is None:
        raise UnknownKeyError(
            f"the value was encrypted with key id {kid!r}, which {KEYS_ENV} does not hold "
            f"(configured: {', '.join(ring.keys)})"
        )
    cipher = _CIPHER_OF_FORMAT[fmt]
    if ring.ciphers[kid] != cipher:  # a key serves one cipher only
        raise DecryptionError(f"the value is marked {cipher}, but the key {kid!r} is an {ring.ciphers[kid]} key")
    nonce, sealed, associated_data = blob[:_NONCE_BYTES], blob[_NONCE_BYTES:], _associated_data(fmt, kid, purpose)
    try:
        if cipher == SM4_GCM:
            plaintext = _sm4_gcm_open(key, nonce, sealed, associated_data)
        else:
            plaintext = AESGCM(key).decrypt(nonce, sealed, associated_data)
    except InvalidTag:
        raise DecryptionError(
            f"the value does not authenticate under key {kid!r} for purpose {purpose!r} "
            "(altered, or sealed for another field)"
        ) from None
    return plaintext.decode()


def needs_reencryption(value: str) -> bool:
    """True when ``value`` is sealed under a key other than the current one."""
    return key_id(value) != keyring().current


def reencrypt(value: str, *, purpose: str) -> str:
    """``value`` sealed under the current key (unchanged if it already is): the step of a key rotation."""
    if not needs_reencryption(value):
        return value
    return encrypt(decrypt(value, purpose=purpose), purpose=purpose)


def _blind_index_with(index_hash: str, key: bytes, purpose: str, normalised_value: str) -> str:
    message = purpose.encode() + b"\x00" + normalised_value.encode()
    if index_hash == HMAC_SM3:
        mac = crypto_hmac.HMAC(key, hashes.SM3())
        mac.update(message)
        # base64url keeps the whole 256-bit MAC and the prefix within the 64 characters of the columns
        return INDEX_HASHES[HMAC_SM3] + base64.urlsafe_b64encode(mac.finalize()).decode().rstrip("=")
    return hmac.new(key, message, hashlib.sha256).hexdigest()


def blind_index(purpose: str, normalised_value: str) -> str:
    """HMAC of a normalised value under ``BLIND_INDEX_KEY``, separated by ``purpose``, with
    ``settings.BLIND_INDEX_HASH``: HMAC-SHA256 as 64 hex characters, or HMAC-SM3 as ``sm3:`` and 43
    base64url characters.

    Equal values give equal indexes, so a column of them can be searched for an exact match; without
    the key the index reveals nothing, not even by trying all mobile numbers.
    """
    _require_purpose(purpose)
    ring = keyring()
    return _blind_index_with(ring.index_hash, ring.index_key, purpose, normalised_value)


def blind_index_candidates(purpose: str, normalised_value: str) -> list[str]:
    """The value's index under the current hash first, then under the other one: a search matches
    rows indexed before BLIND_INDEX_HASH was switched and not yet recomputed (``rotate_field_keys``)."""
    _require_purpose(purpose)
    ring = keyring()
    candidates = [_blind_index_with(ring.index_hash, ring.index_key, purpose, normalised_value)]
    for name in INDEX_HASHES:
        if name != ring.index_hash:
            try:
                candidates.append(_blind_index_with(name, ring.index_key, purpose, normalised_value))
            except UnsupportedAlgorithm:  # a build without SM3 has made no SM3 index to find
                continue
    return candidates


def blind_index_hash_of(index: str) -> str:
    """The hash that computed a stored index value (by its prefix)."""
    return HMAC_SM3 if index.startswith(INDEX_HASHES[HMAC_SM3]) else HMAC_SHA256
