"""casework/fields.py: EncryptedTextField seals on the way in, opens on the way out, refuses lookups."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from django.core.exceptions import FieldError
from django.db import connection, models
from django.test.utils import isolate_apps

from casework import crypto
from casework.fields import EncryptedTextField

PHONE = "13812345678"


@pytest.fixture
def person_model() -> Iterator[type[models.Model]]:
    """A throwaway model with encrypted fields, registered in an isolated app registry."""
    with isolate_apps("casework"):

        class Person(models.Model):
            phone = EncryptedTextField(purpose="test.person.phone")
            address = EncryptedTextField(purpose="test.person.address", blank=True, null=True)
            phone_index = models.CharField(max_length=64)

            class Meta:
                app_label = "casework"
                db_table = "test_encrypted_person"

            def __str__(self) -> str:
                return f"person {self.pk}"

        yield Person


def test_prep_value_seals_and_db_value_opens() -> None:
    field = EncryptedTextField(purpose="case.phone")

    stored = field.get_prep_value(PHONE)

    assert stored.startswith("v1:")
    assert PHONE not in stored
    assert crypto.decrypt(stored, purpose="case.phone") == PHONE
    assert field.from_db_value(stored, None, connection) == PHONE


@pytest.mark.parametrize("empty", [None, ""])
def test_none_and_empty_are_kept_as_they_are(empty: str | None) -> None:
    field = EncryptedTextField(purpose="case.address", null=True, blank=True)

    assert field.get_prep_value(empty) == empty
    assert field.from_db_value(empty, None, connection) == empty


def test_value_of_another_field_does_not_open() -> None:
    stored = EncryptedTextField(purpose="case.phone").get_prep_value(PHONE)

    with pytest.raises(crypto.DecryptionError):
        EncryptedTextField(purpose="case.document_number").from_db_value(stored, None, connection)


def test_purpose_is_kept_in_migrations() -> None:
    _name, path, _args, kwargs = EncryptedTextField("phone", purpose="case.phone", blank=True).deconstruct()

    assert path == "casework.fields.EncryptedTextField"
    assert kwargs == {"purpose": "case.phone", "blank": True, "verbose_name": "phone"}


@pytest.mark.parametrize(
    "kwargs", [{"purpose": ""}, {"purpose": "x", "unique": True}, {"purpose": "x", "db_index": True}]
)
def test_misuse_is_refused(kwargs: dict[str, object]) -> None:
    with pytest.raises(ValueError):
        EncryptedTextField(**kwargs)  # type: ignore[arg-type]


def test_only_isnull_lookups(person_model: type[models.Model]) -> None:
    manager = person_model._default_manager

    assert "IS NULL" in str(manager.filter(address__isnull=True).query)
    for lookup in ["phone", "phone__exact", "phone__icontains", "phone__startswith", "phone__in"]:
        value: object = [PHONE] if lookup.endswith("__in") else PHONE
        with pytest.raises(FieldError, match="encrypted"):
            manager.filter(**{lookup: value})
    with pytest.raises(FieldError):
        manager.filter(phone__lower=PHONE)


@pytest.mark.django_db
def test_database_holds_only_ciphertext(person_model: type[models.Model]) -> None:
    # given a table for the model (created inside the test's transaction, so it is rolled back)
    with connection.schema_editor() as editor:
        editor.create_model(person_model)

    # when a row is saved through the ORM
    person = person_model._default_manager.create(phone=PHONE, address="", phone_index="x")

    # then the column holds a sealed value, and reading the row gives the plain text back
    with connection.cursor() as cursor:
        cursor.execute("SELECT phone, address FROM test_encrypted_person WHERE id = %s", [person.pk])
        raw_phone, raw_address = cursor.fetchone()
    assert raw_phone.startswith("v1:")
    assert PHONE not in raw_phone
    assert raw_address == ""
    again = person_model._default_manager.get(pk=person.pk)
    assert (again.phone, again.address) == (PHONE, "")  # type: ignore[attr-defined]
    assert person_model._default_manager.filter(address__isnull=True).count() == 0
