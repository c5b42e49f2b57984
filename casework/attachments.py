"""Encrypted file storage (docs/online-reporting.md, "Encrypted files"): photos of online reports today,
attachments of cases later.

Envelope encryption: each file gets its own random 256-bit data key; its content is sealed with it
(AES-256-GCM, the storage name as associated data) and written through Django's storage API
(``STORAGES["private"]``: a FileSystemStorage under ``PRIVATE_FILES_ROOT`` by default, never served). The
data key is kept in the row, sealed by the field keys of casework/crypto.py (``StoredFile.data_key``,
an EncryptedTextField): ``rotate_field_keys`` re-seals the data keys and never rewrites a file.

What a file is, is read from its first bytes (magic numbers), never from its name or the browser's
Content-Type.
"""

from __future__ import annotations

import base64
import os
import uuid
from collections.abc import Iterable
from typing import Any

from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from django.core.files.base import ContentFile
from django.core.files.storage import Storage, storages
from django.utils import timezone

from casework.models import StoredFile
from hallplatform.schemas import current_schema_name

_NONCE_BYTES = 12
_FORMAT = b"BCF1"  # the format of a stored file: magic, nonce, AES-256-GCM ciphertext and tag

JPEG = "image/jpeg"
PNG = "image/png"
PDF = "application/pdf"
_MAGIC = ((b"\xff\xd8\xff", JPEG), (b"\x89PNG\r\n\x1a\n", PNG), (b"%PDF-", PDF))
EXTENSIONS = {JPEG: "jpg", PNG: "png", PDF: "pdf"}


def private_storage() -> Storage:
    return storages["private"]


def file_sniff(content: bytes) -> str:
    """The content type of ``content`` read from its first bytes: JPEG, PNG or PDF; "" otherwise."""
    for magic, content_type in _MAGIC:
        if content.startswith(magic):
            return content_type
    return ""


def _associated_data(storage_name: str) -> bytes:
    return f"bancheng:file:{storage_name}".encode()


def file_store(
    *, content: bytes, content_type: str, written: list[str], report: Any = None, case: Any = None
) -> StoredFile:
    """Seal ``content`` under a new data key, write it through the private storage and record it (in the
    caller's transaction). The storage name is appended to ``written`` as soon as the file exists: if
    the transaction fails, the caller removes those files with ``files_discard`` (a storage write
    cannot be rolled back)."""
    data_key = AESGCM.generate_key(bit_length=256)
    name = f"{current_schema_name()}/{timezone.now():%Y/%m}/{uuid.uuid4().hex}.bin"
    nonce = os.urandom(_NONCE_BYTES)
    sealed = AESGCM(data_key).encrypt(nonce, content, _associated_data(name))
    saved = private_storage().save(name, ContentFile(_FORMAT + nonce + sealed))
    written.append(saved)
    return StoredFile.objects.create(
        storage_name=saved,
        content_type=content_type,
        size=len(content),
        data_key=base64.b64encode(data_key).decode(),
        created_at=timezone.now(),
        report=report,
        case=case,
    )


def file_read(stored: StoredFile) -> bytes:
    """The plain content of ``stored`` (raises if the file was altered or the data key does not fit)."""
    with private_storage().open(stored.storage_name, "rb") as handle:
        blob = handle.read()
    if not blob.startswith(_FORMAT):
        raise ValueError(f"{stored.storage_name} is not a stored file")
    blob = blob[len(_FORMAT) :]
    nonce, sealed = blob[:_NONCE_BYTES], blob[_NONCE_BYTES:]
    key = base64.b64decode(str(stored.data_key))
    return AESGCM(key).decrypt(nonce, sealed, _associated_data(stored.storage_name))


def files_discard(names: Iterable[str]) -> None:
    """Remove written files whose rows were rolled back (a refused or failed save leaves nothing)."""
    storage = private_storage()
    for name in names:
        if storage.exists(name):
            storage.delete(name)
