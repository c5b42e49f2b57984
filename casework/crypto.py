"""Encryption at rest of personal data, and keyed blind indexes to find it again (docs/personal-data.md).

A stored value is ``v1:<key id>:<base64url(nonce || ciphertext+tag)>``, sealed with AES-256-GCM. The
associated data binds it to its *purpose* (e.g. ``case.phone``) and key id, so a ciphertext copied into
another column, or relabelled with another key id, fails to decrypt instead of showing wrong data.

Keys come from the environment, read lazily at first use (not in settings.py):

- ``FIELD_ENCRYPTION_KEYS``: ``kid:base64key,kid:base64key…`` (32-byte keys). The first encrypts; all
  decrypt. Rotation: put a new key first, re-encrypt (``reencrypt``), then drop the old one.
- ``BLIND_INDEX_KEY``: base64, at least 32 bytes; the HMAC key of ``blind_index``.

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

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

logger = logging.getLogger(__name__)

VERSION = "v1"
KEYS_ENV = "FIELD_ENCRYPTION_KEYS"
INDEX_KEY_ENV = "BLIND_INDEX_KEY"
DEV_KEY_ID = "dev"
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


def _b64decode(text: str) -> bytes:
    """Standard or URL-safe base64, padding optional."""
    text = text.strip().replace("-", "+").replace("_", "/")
    return base64.b64decode(text + "=" * (-len(text) % 4), validate=True)


def _dev_allowed(secret_key: str, debug: bool) -> bool:
    return debug or secret_key.startswith(_INSECURE_SECRET_PREFIX)


def _derive(secret_key: str, info: bytes) -> bytes:
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=b"bancheng-personal-data", info=info).derive(
        secret_key.encode()
    )


def _parse_keys(raw: str) -> tuple[str, dict[str, bytes]]:
    keys: dict[str, bytes] = {}
    current = ""
    for item in (part.strip() for part in raw.split(",")):
        if not item:
            continue
        kid, sep, encoded = item.partition(":")
        kid = kid.strip()
        if not sep or not _KEY_ID.fullmatch(kid):
            raise ImproperlyConfigured(
                f"{KEYS_ENV}: each entry is <key id>:<base64 key>, the key id of A-Z a-z 0-9 _ -."
            )
        if kid in keys:
            raise ImproperlyConfigured(f"{KEYS_ENV}: key id {kid!r} appears twice.")
        try:
            key = _b64decode(encoded)
        except (binascii.Error, ValueError):
            raise ImproperlyConfigured(f"{KEYS_ENV}: the key {kid!r} is not valid base64.") from None
        if len(key) != 32:
            raise ImproperlyConfigured(f"{KEYS_ENV}: the key {kid!r} has {len(key)} bytes; AES-256 needs 32.")
        keys[kid] = key
        current = current or kid
    if not keys:
        raise ImproperlyConfigured(f"{KEYS_ENV} holds no key.")
    return current, keys


@functools.lru_cache(maxsize=8)
def _load(raw_keys: str | None, raw_index_key: str | None, secret_key: str, debug: bool) -> Keyring:
    """The keyring for one configuration (cached: a changed environment or setting is a new entry)."""
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
        current, keys = _parse_keys(raw_keys)
    else:
        current, keys = DEV_KEY_ID, {DEV_KEY_ID: _derive(secret_key, b"field-encryption")}
    if raw_index_key:
        try:
            index_key = _b64decode(raw_index_key)
        except (binascii.Error, ValueError):
            raise ImproperlyConfigured(f"{INDEX_KEY_ENV} is not valid base64.") from None
        if len(index_key) < 32:
            raise ImproperlyConfigured(f"{INDEX_KEY_ENV} has {len(index_key)} bytes; it needs at least 32.")
    else:
        index_key = _derive(secret_key, b"blind-index")
    return Keyring(current=current, keys=keys, index_key=index_key)


def keyring() -> Keyring:
    """The configured keys; raises ImproperlyConfigured when they are missing outside development."""
    return _load(os.environ.get(KEYS_ENV), os.environ.get(INDEX_KEY_ENV), settings.SECRET_KEY, settings.DEBUG)


def _associated_data(kid: str, purpose: str) -> bytes:
    return f"bancheng:{VERSION}:{kid}:{purpose}".encode()


def _require_purpose(purpose: str) -> None:
    if not purpose:
        raise ValueError("an encryption purpose is required (e.g. 'case.phone')")


def encrypt(plaintext: str, *, purpose: str) -> str:
    """Seal ``plaintext`` under the current key for ``purpose``: ``v1:<kid>:<base64url>``."""
    _require_purpose(purpose)
    ring = keyring()
    nonce = os.urandom(_NONCE_BYTES)
    sealed = AESGCM(ring.keys[ring.current]).encrypt(nonce, plaintext.encode(), _associated_data(ring.current, purpose))
    return f"{VERSION}:{ring.current}:{base64.urlsafe_b64encode(nonce + sealed).decode().rstrip('=')}"


def _split(value: str) -> tuple[str, bytes]:
    version, _, rest = value.partition(":")
    kid, _, payload = rest.partition(":")
    if version != VERSION or not _KEY_ID.fullmatch(kid) or not payload:
        raise DecryptionError(f"not a {VERSION} encrypted value")
    try:
        blob = _b64decode(payload)
    except (binascii.Error, ValueError):
        raise DecryptionError("the encrypted value is not valid base64") from None
    if len(blob) < _NONCE_BYTES + _TAG_BYTES:
        raise DecryptionError("the encrypted value is truncated")
    return kid, blob


def key_id(value: str) -> str:
    """The id of the key that sealed ``value``."""
    return _split(value)[0]


def decrypt(value: str, *, purpose: str) -> str:
    """Open a value sealed by ``encrypt`` for the same ``purpose``.

    Raises UnknownKeyError when its key id is not configured, DecryptionError when it was altered,
    sealed for another purpose or is not an encrypted value.
    """
    _require_purpose(purpose)
    kid, blob = _split(value)
    ring = keyring()
    key = ring.keys.get(kid)
    if key is None:
        raise UnknownKeyError(
            f"the value was encrypted with key id {kid!r}, which {KEYS_ENV} does not hold "
            f"(configured: {', '.join(ring.keys)})"
        )
    try:
        plaintext = AESGCM(key).decrypt(blob[:_NONCE_BYTES], blob[_NONCE_BYTES:], _associated_data(kid, purpose))
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


def blind_index(purpose: str, normalised_value: str) -> str:
    """HMAC-SHA256 (hex) of a normalised value under ``BLIND_INDEX_KEY``, separated by ``purpose``.

    Equal values give equal indexes, so a column of them can be searched for an exact match; without
    the key the index reveals nothing, not even by trying all mobile numbers.
    """
    _require_purpose(purpose)
    message = purpose.encode() + b"\x00" + normalised_value.encode()
    return hmac.new(keyring().index_key, message, hashlib.sha256).hexdigest()
