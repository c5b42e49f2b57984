"""hallplatform/personal.py: document and mobile validation, and masking."""

from __future__ import annotations

from datetime import date

import pytest
from django.core.exceptions import ValidationError

from hallplatform.personal import (
    DocumentType,
    credit_code_check_character,
    id_check_digit,
    mask_address,
    mask_id,
    mask_mobile,
    mask_name,
    mask_text,
    normalise_document,
    normalise_mobile,
    validate_document,
    validate_resident_id,
)

TODAY = date(2026, 6, 1)


# --- Resident ID (GB 11643) -------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("text", "value", "born"),
    [
        ("11010519491231002X", "11010519491231002X", date(1949, 12, 31)),  # the standard's own example
        ("440229199001011235", "440229199001011235", date(1990, 1, 1)),
        ("44022919900101003x", "44022919900101003X", date(1990, 1, 1)),  # check digit X, typed lower-case
        ("440229 19900101 1235", "440229199001011235", date(1990, 1, 1)),
        ("４４０２２９１９９００１０１１２３５", "440229199001011235", date(1990, 1, 1)),  # full-width
        ("440229200002290016", "440229200002290016", date(2000, 2, 29)),  # leap day
        ("440229190001011234", "440229190001011234", date(1900, 1, 1)),
    ],
)
def test_valid_resident_id(text: str, value: str, born: date) -> None:
    check = validate_resident_id(text, today=TODAY)

    assert (check.value, check.birth_date, check.warnings) == (value, born, [])


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("44022919900101123", "invalid_length"),
        ("4402291990010112355", "invalid_length"),
        ("", "invalid_length"),
        ("44022919900101A235", "invalid_characters"),
        ("X40229199001011235", "invalid_characters"),
        ("440229199002301234", "invalid_birth_date"),  # 30 February, correct check digit
        ("440229202701011230", "invalid_birth_date"),  # born after today, correct check digit
        ("44022918991231123X", "invalid_birth_date"),  # before 1900
        ("440229199001011234", "invalid_check_digit"),
        ("110105194912310021", "invalid_check_digit"),
    ],
)
def test_invalid_resident_id(text: str, code: str) -> None:
    with pytest.raises(ValidationError) as excinfo:
        validate_resident_id(text, today=TODAY)

    assert excinfo.value.code == code


def test_birth_date_today_is_allowed_tomorrow_is_not() -> None:
    number = "44022920260601123"
    number += id_check_digit(number)

    assert validate_resident_id(number, today=date(2026, 6, 1)).birth_date == date(2026, 6, 1)
    with pytest.raises(ValidationError):
        validate_resident_id(number, today=date(2026, 5, 31))


def test_unknown_region_is_a_warning_not_an_error() -> None:
    check = validate_resident_id("990229199001011232", today=TODAY)

    assert check.value == "990229199001011232"
    assert [w.code for w in check.warnings] == ["unknown_region"]
    assert "99" in str(check.warnings[0].message)


def test_error_message_names_the_length() -> None:
    with pytest.raises(ValidationError) as excinfo:
        validate_resident_id("4402291990", today=TODAY)

    assert "10" in excinfo.value.messages[0]


# --- Other documents ----------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("doc_type", "text", "value"),
    [
        (DocumentType.RESIDENT_ID, "440229199001011235", "440229199001011235"),
        (DocumentType.CREDIT_CODE, "91440229MA4XXXXXXF", "91440229MA4XXXXXXF"),
        (DocumentType.CREDIT_CODE, "9144030071526726xg", "9144030071526726XG"),
        (DocumentType.CREDIT_CODE, "914403001922038216", "914403001922038216"),
        (DocumentType.CREDIT_CODE, "91330100716105852F", "91330100716105852F"),
        (DocumentType.HMT_RESIDENCE, "810000198512310027", "810000198512310027"),
        (DocumentType.HMT_RESIDENCE, "830000200001010034", "830000200001010034"),
        (DocumentType.FOREIGN_PERMANENT, "911440198001011233", "911440198001011233"),
        (DocumentType.FOREIGN_PERMANENT, "usa440180010121", "USA440180010121"),  # old card, no check
        (DocumentType.PASSPORT, "E12345678", "E12345678"),
        (DocumentType.PASSPORT, "e1234 5678", "E12345678"),
        (DocumentType.OTHER, "  军官证  第 123 号 ", "军官证 第 123 号"),
    ],
)
def test_valid_documents(doc_type: str, text: str, value: str) -> None:
    assert validate_document(doc_type, text, today=TODAY).value == value


@pytest.mark.parametrize(
    ("doc_type", "text", "code"),
    [
        (DocumentType.CREDIT_CODE, "91440229MA4XXXXXX0", "invalid_check_digit"),
        (DocumentType.CREDIT_CODE, "91440229MA4IXXXXXF", "invalid_characters"),  # I is not in the charset
        (DocumentType.CREDIT_CODE, "91440229MA4XXXXXX", "invalid_length"),
        (DocumentType.HMT_RESIDENCE, "440229199001011235", "invalid_prefix"),
        (DocumentType.HMT_RESIDENCE, "810000198512310028", "invalid_check_digit"),
        (DocumentType.FOREIGN_PERMANENT, "440229199001011235", "invalid_prefix"),
        (DocumentType.FOREIGN_PERMANENT, "911440198001011234", "invalid_check_digit"),
        (DocumentType.FOREIGN_PERMANENT, "US4440180010121", "invalid_characters"),
        (DocumentType.PASSPORT, "E123", "invalid_passport"),
        (DocumentType.PASSPORT, "E1234567-8", "invalid_passport"),
        (DocumentType.PASSPORT, "E" * 21, "invalid_passport"),
        (DocumentType.OTHER, "   ", "required"),
        (DocumentType.OTHER, "x" * 51, "too_long"),
        ("driving_licence", "123456", "invalid_document_type"),
    ],
)
def test_invalid_documents(doc_type: str, text: str, code: str) -> None:
    with pytest.raises(ValidationError) as excinfo:
        validate_document(doc_type, text, today=TODAY)

    assert excinfo.value.code == code


def test_check_characters_of_the_standards() -> None:
    assert id_check_digit("11010519491231002") == "X"
    assert credit_code_check_character("91440229MA4XXXXXX") == "F"


def test_normalise_document_matches_validation() -> None:
    for doc_type, text in [
        (DocumentType.RESIDENT_ID, " 44022919900101003x "),
        (DocumentType.PASSPORT, "e1234 5678"),
        (DocumentType.OTHER, " 军官证  第123号"),
    ]:
        assert normalise_document(doc_type, text) == validate_document(doc_type, text, today=TODAY).value


# --- Mobiles ------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "text",
    [
        "13812345678",
        "+86 138 1234 5678",
        "+86-138-1234-5678",
        "8613812345678",
        "008613812345678",
        "１３８１２３４５６７８",
        "＋８６ １３８ １２３４ ５６７８",
        " 138 1234 5678 ",
    ],
)
def test_valid_mobile(text: str) -> None:
    assert normalise_mobile(text) == "13812345678"


@pytest.mark.parametrize(
    "text",
    [
        "12812345678",
        "1381234567",
        "138123456789",
        "02012345678",
        "+1 415 555 0100",
        "",
        "138abcd5678",
        "+8512812345678",
    ],
)
def test_invalid_mobile(text: str) -> None:
    with pytest.raises(ValidationError) as excinfo:
        normalise_mobile(text)

    assert excinfo.value.code == "invalid_mobile"


# --- Masking ------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("function", "text", "masked"),
    [
        (mask_mobile, "13812345678", "138****5678"),
        (mask_mobile, "+86 138 1234 5678", "138****5678"),
        (mask_id, "440229199001011234", "440***********1234"),
        (mask_id, "USA440180010121", "USA********0121"),
        (mask_id, "E12345678", "E******78"),
        (mask_id, "1234", "****"),
        (mask_id, "", ""),
        (mask_name, "张三丰", "张**"),
        (mask_name, "张三", "张*"),
        (mask_name, "张", "*"),
        (mask_name, "欧阳娜娜", "欧***"),
        (mask_name, "", ""),
        (mask_address, "广东省韶关市翁源县龙仙镇建设路1号", "广东省韶关市****"),
        (mask_address, "龙仙镇建设路1号", "龙仙镇建****"),
        (mask_address, "", ""),
    ],
)
def test_masks(function: object, text: str, masked: str) -> None:
    assert function(text) == masked  # type: ignore[operator]


def test_masked_id_keeps_length() -> None:
    assert len(mask_id("440229199001011234")) == 18


@pytest.mark.parametrize(
    ("text", "masked"),
    [
        ("请致电13812345678。", "请致电138****5678。"),
        ("电话 +86 138 1234 5678，谢谢", "电话 138****5678，谢谢"),
        ("电话１３８１２３４５６７８", "电话138****5678"),
        ("身份证440229199001011235，手机138-1234-5678", "身份证440***********1235，手机138****5678"),
        ("证件 44022919900101003x 已核", "证件 440***********003x 已核"),
        ("案件 440229-2026-00017 已转办", "案件 440229-2026-00017 已转办"),
        ("订单号 1381234567890123 未变", "订单号 1381234567890123 未变"),
        ("", ""),
    ],
)
def test_mask_text(text: str, masked: str) -> None:
    assert mask_text(text) == masked
