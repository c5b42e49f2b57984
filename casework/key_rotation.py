"""Key rotation of the personal data at rest (docs/personal-data.md, "Rotating keys").

Every ``EncryptedTextField`` of the hall apps is re-sealed under the current key of
``FIELD_ENCRYPTION_KEYS``, one hall at a time, in batches: each batch is its own transaction and locks
its rows (``FOR UPDATE SKIP LOCKED``), so staff keep working meanwhile and a stopped run loses nothing.
Only values under another key are touched, so a run is idempotent and a second one resumes where the
first stopped. Values are rewritten with raw SQL: the field's own ``get_prep_value`` would seal again.
The current key's cipher may differ from the old one's (AES-256-GCM ↔ SM4-GCM): a key id names both.

Then the blind index columns (``BLIND_INDEXES``) computed with the other ``BLIND_INDEX_HASH`` (told
apart by their form, crypto.blind_index_hash_of) are recomputed from the decrypted values, the same way.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django.apps import apps
from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import connection, models, transaction

from casework import crypto
from casework.fields import EncryptedTextField
from casework.models import Case
from casework.services import document_index, phone_index
from hallplatform.audit.services import audit_record
from hallplatform.schemas import use_hall_schema, use_public_schema

DEFAULT_BATCH_SIZE = 500


@dataclass(frozen=True)
class EncryptedTable:
    """A hall table with encrypted columns."""

    model: type[models.Model]
    fields: tuple[EncryptedTextField, ...]

    @property
    def label(self) -> str:
        return self.model._meta.label


@dataclass(frozen=True)
class BlindIndexColumn:
    """A blind index column, computed by ``compute`` from the row's ``sources`` (encrypted ones decrypted)."""

    model: type[models.Model]
    column: str
    sources: tuple[str, ...]
    compute: Callable[..., str]


BLIND_INDEXES = (
    BlindIndexColumn(Case, "phone_index", ("phone",), phone_index),
    BlindIndexColumn(Case, "document_index", ("document_type", "document_number"), document_index),
)


@dataclass
class KeyRotationReport:
    """What a rotation did in one hall (or, in a dry run, what it would do)."""

    hall_code: str
    current_key: str
    dry_run: bool
    # values under a key other than the current one, by key id ("" for a value that is not sealed)
    before: Counter[str] = field(default_factory=Counter)
    rows: int = 0  # rows rewritten
    values: int = 0  # values re-sealed under the current key
    left: int = 0  # values still under another key afterwards (locked meanwhile, or failed)
    failures: list[str] = field(default_factory=list)  # "<model>.<field> id=<pk>: <error>", never the value
    index_hash: str = crypto.HMAC_SHA256
    indexes_before: int = 0  # blind index values computed with another hash than index_hash
    indexes: int = 0  # recomputed
    indexes_left: int = 0

    @property
    def to_rotate(self) -> int:
        return sum(self.before.values())

    def summary(self) -> str:
        keys = ", ".join(f"{kid or 'not sealed'}: {count}" for kid, count in sorted(self.before.items()))
        old = f"{self.to_rotate} values under old keys" + (f" ({keys})" if keys else "")
        if self.dry_run:
            text = f"{self.hall_code}: {old}; current key {self.current_key}; dry run, nothing changed"
            if self.indexes_before:
                text += f"; {self.indexes_before} blind index values to recompute with {self.index_hash}"
            return text
        text = (
            f"{self.hall_code}: {old}; re-encrypted {self.values} values in {self.rows} rows under "
            f"{self.current_key}; {self.left} left"
        )
        if self.indexes_before:
            text += (
                f"; {self.indexes_before} blind index values of another hash: recomputed {self.indexes} "
                f"with {self.index_hash}, {self.indexes_left} left"
            )
        if self.failures:
            text += f"; {len(self.failures)} could not be opened"
        return text


def encrypted_tables() -> list[EncryptedTable]:
    """The models of the hall (tenant) apps with encrypted fields, found by the fields' type."""
    tenant_apps = set(settings.TENANT_APPS)
    tables = []
    for config in apps.get_app_configs():
        if config.name not in tenant_apps:
            continue
        for model in config.get_models():
            fields = tuple(f for f in model._meta.concrete_fields if isinstance(f, EncryptedTextField))
            if fields:
                tables.append(EncryptedTable(model=model, fields=fields))
    return tables


def _quote(name: str) -> str:
    return str(connection.ops.quote_name(name))


def _under_other_key(column: str) -> str:
    """SQL: the column holds a value not sealed under the key given as parameter (None and "" are kept as they are)."""
    return f"({_quote(column)} <> '' AND split_part({_quote(column)}, ':', 2) <> %s)"


def _count_by_key(table: EncryptedTable, current: str, report: KeyRotationReport) -> int:
    """Add the values under other keys to ``report.before``; returns their number."""
    total = 0
    with connection.cursor() as cursor:
        for f in table.fields:
            cursor.execute(
                f"SELECT split_part({_quote(f.column)}, ':', 2), count(*) FROM {_quote(table.model._meta.db_table)} "  # noqa: S608 (names from the model, values bound)
                f"WHERE {_under_other_key(f.column)} GROUP BY 1",
                [current],
            )
            for kid, count in cursor.fetchall():
                report.before[kid] += count
                total += count
    return total


def _count_left(table: EncryptedTable, current: str) -> int:
    columns = [f.column for f in table.fields]
    sql = " + ".join(f"count(*) FILTER (WHERE {_under_other_key(c)})" for c in columns)
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {sql} FROM {_quote(table.model._meta.db_table)}", [current] * len(columns))  # noqa: S608
        row = cursor.fetchone()
    return int(row[0]) if row else 0


def _rotate_table(table: EncryptedTable, current: str, batch_size: int, report: KeyRotationReport) -> None:
    meta = table.model._meta
    pk = _quote(meta.pk.column)
    db_table = _quote(meta.db_table)
    columns = [f.column for f in table.fields]
    needs = " OR ".join(_under_other_key(c) for c in columns)
    last: Any = None
    while True:
        with transaction.atomic(), connection.cursor() as cursor:
            after = "" if last is None else f"{pk} > %s AND "
            cursor.execute(
                f"SELECT {pk}, {', '.join(_quote(c) for c in columns)} FROM {db_table} "  # noqa: S608 (names from the model, values bound)
                f"WHERE {after}({needs}) ORDER BY {pk} LIMIT %s FOR UPDATE SKIP LOCKED",
                [*([] if last is None else [last]), *[current] * len(columns), batch_size],
            )
            rows = cursor.fetchall()
            if not rows:
                return
            for row_pk, *values in rows:
                changed: dict[str, str] = {}
                for f, value in zip(table.fields, values, strict=True):
                    if not value:
                        continue
                    try:
                        if crypto.needs_reencryption(value):
                            changed[f.column] = crypto.reencrypt(value, purpose=f.purpose)
                    except crypto.DecryptionError as exc:
                        report.failures.append(f"{table.label}.{f.name} id={row_pk}: {type(exc).__name__}: {exc}")
                if changed:
                    assignments = ", ".join(f"{_quote(column)} = %s" for column in changed)
                    cursor.execute(
                        f"UPDATE {db_table} SET {assignments} WHERE {pk} = %s",  # noqa: S608 (names from the model, values bound)
                        [*changed.values(), row_pk],
                    )
                    report.rows += 1
                    report.values += len(changed)
            last = rows[-1][0]


def _index_in_other_form(column: str, index_hash: str) -> str:
    """SQL: the blind index column holds a value computed with another hash than ``index_hash``."""
    sm3 = crypto.INDEX_HASHES[crypto.HMAC_SM3]
    if index_hash == crypto.HMAC_SM3:
        return f"({_quote(column)} <> '' AND left({_quote(column)}, {len(sm3)}) <> '{sm3}')"
    return f"(left({_quote(column)}, {len(sm3)}) = '{sm3}')"


def _count_indexes(model: type[models.Model], columns: list[BlindIndexColumn], index_hash: str) -> int:
    sql = " + ".join(f"count(*) FILTER (WHERE {_index_in_other_form(c.column, index_hash)})" for c in columns)
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {sql} FROM {_quote(model._meta.db_table)}")  # noqa: S608 (names from the model)
        row = cursor.fetchone()
    return int(row[0]) if row else 0


def _source_value(model: type[models.Model], name: str, value: Any) -> Any:
    model_field = model._meta.get_field(name)
    if isinstance(model_field, EncryptedTextField) and value:
        return crypto.decrypt(value, purpose=model_field.purpose)
    return value


def _reindex_table(
    model: type[models.Model],
    columns: list[BlindIndexColumn],
    index_hash: str,
    batch_size: int,
    report: KeyRotationReport,
) -> None:
    meta = model._meta
    pk = _quote(meta.pk.column)
    db_table = _quote(meta.db_table)
    sources = sorted({name for c in columns for name in c.sources})
    source_columns = [str(meta.get_field(name).column) for name in sources]  # type: ignore[union-attr]
    needs = " OR ".join(_index_in_other_form(c.column, index_hash) for c in columns)
    last: Any = None
    while True:
        with transaction.atomic(), connection.cursor() as cursor:
            after = "" if last is None else f"{pk} > %s AND "
            cursor.execute(
                f"SELECT {pk}, {', '.join(_quote(c.column) for c in columns)}, "  # noqa: S608 (names from the model, values bound)
                f"{', '.join(_quote(c) for c in source_columns)} FROM {db_table} "
                f"WHERE {after}({needs}) ORDER BY {pk} LIMIT %s FOR UPDATE SKIP LOCKED",
                [*([] if last is None else [last]), batch_size],
            )
            rows = cursor.fetchall()
            if not rows:
                return
            for row in rows:
                row_pk, indexes, stored = row[0], row[1 : 1 + len(columns)], row[1 + len(columns) :]
                changed: dict[str, str] = {}
                for c, old in zip(columns, indexes, strict=True):
                    if not old or crypto.blind_index_hash_of(old) == index_hash:
                        continue
                    try:
                        values = dict(zip(sources, stored, strict=True))
                        new = c.compute(*(_source_value(model, name, values[name]) for name in c.sources))
                    except (crypto.DecryptionError, ValidationError) as exc:
                        report.failures.append(f"{meta.label}.{c.column} id={row_pk}: {type(exc).__name__}")
                        continue
                    changed[c.column] = new
                if changed:
                    assignments = ", ".join(f"{_quote(column)} = %s" for column in changed)
                    cursor.execute(
                        f"UPDATE {db_table} SET {assignments} WHERE {pk} = %s",  # noqa: S608 (names from the model, values bound)
                        [*changed.values(), row_pk],
                    )
                    report.indexes += len(changed)
            last = rows[-1][0]


def _blind_indexes_by_model() -> dict[type[models.Model], list[BlindIndexColumn]]:
    by_model: dict[type[models.Model], list[BlindIndexColumn]] = {}
    for column in BLIND_INDEXES:
        by_model.setdefault(column.model, []).append(column)
    return by_model


def _case_index_keys_copy(hall_id: int) -> None:
    """The cross-hall index keeps the cases' blind indexes (duplicates across halls): after a
    recomputation, copy the new ones there, one statement for the hall."""
    with connection.cursor() as cursor:
        cursor.execute(
            """UPDATE coordination_caseindex AS row
            SET phone_index = c.phone_index, document_index = c.document_index
            FROM casework_case AS c
            WHERE row.hall_id = %s AND row.case_id = c.id
              AND (row.phone_index <> c.phone_index OR row.document_index <> c.document_index)""",
            [hall_id],
        )


def field_keys_rotate(*, hall: Any, batch_size: int = DEFAULT_BATCH_SIZE, dry_run: bool = False) -> KeyRotationReport:
    """Re-seal every encrypted value of ``hall`` under the current key, in batches of ``batch_size``
    rows, each its own transaction; with ``dry_run``, only count the values still under old keys.
    Then the blind indexes computed with another hash than BLIND_INDEX_HASH are recomputed the same way.
    A real run appends the audit event ``keys.rotate`` for the hall. Values that cannot be opened (a
    removed key, tampering) are left as they are and listed, without their content."""
    if batch_size < 1:
        raise ValueError("the batch size is at least 1")
    ring = crypto.keyring()
    current = ring.current
    report = KeyRotationReport(hall_code=hall.code, current_key=current, dry_run=dry_run, index_hash=ring.index_hash)
    tables = encrypted_tables()
    use_hall_schema(hall)
    try:
        for table in tables:
            _count_by_key(table, current, report)
            if not dry_run:
                _rotate_table(table, current, batch_size, report)
                report.left += _count_left(table, current)
        for model, columns in _blind_indexes_by_model().items():
            report.indexes_before += _count_indexes(model, columns, ring.index_hash)
            if not dry_run:
                _reindex_table(model, columns, ring.index_hash, batch_size, report)
                report.indexes_left += _count_indexes(model, columns, ring.index_hash)
        if not dry_run:
            _case_index_keys_copy(hall.pk)
    finally:
        use_public_schema()
    if not dry_run:
        with transaction.atomic():
            audit_record(
                action="keys.rotate",
                hall=hall,
                changes={
                    "key": current,
                    "before": dict(report.before),
                    "rows": report.rows,
                    "values": report.values,
                    "left": report.left,
                    "failures": len(report.failures),
                    "tables": [t.label for t in tables],
                    "cipher": ring.ciphers[current],
                    "index_hash": ring.index_hash,
                    "indexes": report.indexes,
                    "indexes_left": report.indexes_left,
                },
            )
    return report
