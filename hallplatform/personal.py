"""Personal data wherever the platform meets it: validating and normalising mobile and document
numbers, and masking them (one masking for every app: casework, the cross-hall index, notices).

Pure functions, no database. Normalised values are what is encrypted and what the blind index is
computed over (casework/crypto.py), so the same number typed two ways finds the same person.
Masked values are what lists, exports, logs and notices show (docs/personal-data.md).
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from datetime import date
from typing import TYPE_CHECKING

from django.core.exceptions import ValidationError
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise


class DocumentType(models.TextChoices):
    RESIDENT_ID = "resident_id", _("Resident ID card")
    HMT_RESIDENCE = "hmt_residence", _("Residence permit for Hong Kong, Macao and Taiwan residents")
    FOREIGN_PERMANENT = "foreign_permanent", _("Foreign permanent resident ID card")
    PASSPORT = "passport", _("Passport")
    CREDIT_CODE = "credit_code", _("Unified social credit code")
    OTHER = "other", _("Other")


# --- Finding numbers inside free text (shared with notifications/privacy.py) -----------------------
# ASCII or full-width digits: people paste both.
_D = "[0-9０-９]"
# A mainland mobile number, possibly with +86 / 0086 and written 3-4-4 with spaces or hyphens, not
# part of a longer digit run.
MOBILE_IN_TEXT = re.compile(
    rf"(?<!{_D})(?:(?:[+＋]?[8８][6６]|[0０]{{2}}[8８][6６])[ \-－\u3000]?)?"
    rf"[1１][3-9３-９]{_D}(?:[ \-－\u3000]?{_D}{{4}}){{2}}(?!{_D})"
)
# An 18-character identity document number (resident ID, residence permits): 17 digits and a digit or X.
ID_NUMBER_IN_TEXT = re.compile(
    r"(?<![0-9A-Za-z０-９Ａ-Ｚａ-ｚ])[0-9０-９]{17}[0-9０-９XxＸｘ](?![0-9A-Za-z０-９Ａ-Ｚａ-ｚ])"
)


# --- Mobile numbers -------------------------------------------------------------------------------
_MOBILE = re.compile(r"1[3-9][0-9]{9}")
_SEPARATORS = re.compile(r"[\s\-‐‑‒–—―().]")


def _fold(text: str) -> str:
    """Full-width digits, letters, ``＋`` and the ideographic space become their ASCII forms."""
    return unicodedata.normalize("NFKC", text or "")


def normalise_mobile(text: str) -> str:
    """``+86 138-1234-5678`` / ``１３８１２３４５６７８`` / ``008613812345678`` → ``13812345678``.

    Raises ValidationError (code ``invalid_mobile``) unless a mainland mobile number remains.
    """
    digits = _SEPARATORS.sub("", _fold(text))
    if digits.startswith("+86"):
        digits = digits[3:]
    elif digits.startswith("0086"):
        digits = digits[4:]
    elif digits.startswith("86") and len(digits) == 13:
        digits = digits[2:]
    if not _MOBILE.fullmatch(digits):
        raise ValidationError(
            _("Enter a mainland mobile number: 11 digits starting with 13 to 19."), code="invalid_mobile"
        )
    return digits


# --- Contact phones: mobiles, landlines, extensions ------------------------------------------------
# A landline: a trunk prefix 0 and area code (010 and 02x: three digits with the 0; others four),
# a local number of 7 or 8 digits not starting with 0 or 1, and possibly an extension of 1 to 6
# digits (written 转123, ext. 123, x123, #123, 分机123 or as a third hyphenated group).
_LANDLINE = re.compile(r"(0(?:10|2[0-9]|[3-9][0-9]{2}))([2-9][0-9]{6,7})")
_EXTENSION_MARK = re.compile(r"(?:转|分机|ext\.?|x|#)", re.IGNORECASE)
_EXTENSION = re.compile(r"[0-9]{1,6}")
# The normalised landline: ``0751-8888888`` or ``0751-8888888-123`` (with the extension).
_LANDLINE_NORMALISED = re.compile(r"(0[0-9]{2,3})-([0-9]{7,8})(?:-([0-9]{1,6}))?")


def _landline(text: str) -> str:
    """``(0751) 888 8888 转 123`` → ``0751-8888888-123``; raises ValidationError if it is not one."""
    value = _fold(text).strip()
    invalid = ValidationError(
        _(
            "Enter a mainland mobile number (11 digits starting with 13 to 19) or a landline with its "
            "area code, e.g. 0751-8888888, possibly with an extension (0751-8888888-123)."
        ),
        code="invalid_phone",
    )
    main, extension = value, ""
    if _EXTENSION_MARK.search(value):
        main, extension = _EXTENSION_MARK.split(value, maxsplit=1)
    main = main.strip()
    if main.startswith("+86") or main.startswith("0086"):
        main = "0" + main[3 if main.startswith("+") else 4 :].lstrip(" -")
    groups = [group for group in re.split(r"[\-‐‑‒–—―]", re.sub(r"[()（）]", "-", main)) if group.strip()]
    if not extension and len(groups) == 3:  # 0751-8888888-123
        extension = groups.pop()
    digits = re.sub(r"[\s.]", "", "".join(groups))
    extension = re.sub(r"[\s\-]", "", extension)
    match = _LANDLINE.fullmatch(digits)
    if match is None or (extension and not _EXTENSION.fullmatch(extension)):
        raise invalid
    return f"{match.group(1)}-{match.group(2)}" + (f"-{extension}" if extension else "")


def normalise_phone(text: str) -> str:
    """A contact phone as stored and blind-indexed: a mobile exactly as ``normalise_mobile`` gives it
    (``13812345678``: the form of every number registered before landlines were accepted), or a
    landline as ``0751-8888888`` / ``0751-8888888-123`` (area code, number, extension).

    Raises ValidationError (code ``invalid_phone``) when it is neither.
    """
    try:
        return normalise_mobile(text)
    except ValidationError:
        return _landline(text)


def is_mobile(phone: str) -> bool:
    """Whether a stored (normalised) phone is a mobile, the only kind an SMS can reach."""
    return bool(_MOBILE.fullmatch(phone or ""))


def phone_last_four(phone: str) -> str:
    """The last four digits of a stored phone's main number (a landline's extension left out)."""
    match = _LANDLINE_NORMALISED.fullmatch(phone or "")
    digits = match.group(2) if match else re.sub(r"\D", "", phone or "")
    return digits[-4:]


# --- Identity documents ---------------------------------------------------------------------------
@dataclass(frozen=True)
class IdWarning:
    """Something unusual that does not make the number invalid (the window decides)."""

    code: str
    message: StrOrPromise


@dataclass(frozen=True)
class IdCheck:
    """A valid document number: its normalised form, soft warnings, and the birth date it encodes."""

    value: str
    warnings: list[IdWarning] = field(default_factory=list)
    birth_date: date | None = None


# GB/T 2260 province-level codes: the first two digits of a resident ID number.
PROVINCE_CODES = frozenset(
    [*range(11, 16), *range(21, 24), *range(31, 38), *range(41, 47), *range(50, 55), *range(61, 66), 71, 81, 82, 91]
)
_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_ID_CHECK = "10X98765432"
_ID_18 = re.compile(r"[0-9]{17}[0-9X]")
_EARLIEST_BIRTH = date(1900, 1, 1)

_CREDIT_CHARSET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
_CREDIT_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)
_FOREIGN_OLD = re.compile(r"[A-Z]{3}[0-9]{12}")
_PASSPORT = re.compile(r"[A-Z0-9]{5,20}")
OTHER_MAX_LENGTH = 50


def id_check_digit(first17: str) -> str:
    """GB 11643 check character of the first 17 digits."""
    return _ID_CHECK[sum(int(c) * w for c, w in zip(first17, _ID_WEIGHTS, strict=True)) % 11]


def credit_code_check_character(first17: str) -> str:
    """GB 32100 check character of the first 17 characters of a unified social credit code."""
    total = sum(_CREDIT_CHARSET.index(c) * w for c, w in zip(first17, _CREDIT_WEIGHTS, strict=True))
    return _CREDIT_CHARSET[(31 - total % 31) % 31]


def _compact(text: str) -> str:
    return re.sub(r"\s", "", _fold(text)).upper()


def _check_18(value: str, *, today: date | None) -> date:
    """Length, characters, birth date (positions 7-14) and check digit of an 18-character number."""
    if len(value) != 18:
        raise ValidationError(
            _("The number must have 18 characters; this one has %(length)d."),
            code="invalid_length",
            params={"length": len(value)},
        )
    if not _ID_18.fullmatch(value):
        raise ValidationError(_("The number must be 17 digits followed by a digit or X."), code="invalid_characters")
    try:
        born = date(int(value[6:10]), int(value[10:12]), int(value[12:14]))
    except ValueError:
        born = None
    if born is None or born < _EARLIEST_BIRTH or born > (today or timezone.localdate()):
        raise ValidationError(
            _("The birth date in the number (%(digits)s) is not a possible date."),
            code="invalid_birth_date",
            params={"digits": value[6:14]},
        )
    if value[17] != id_check_digit(value[:17]):
        raise ValidationError(
            _("The check digit (last character) does not match; check the number."), code="invalid_check_digit"
        )
    return born


def validate_resident_id(text: str, *, today: date | None = None) -> IdCheck:
    """A 居民身份证 number (GB 11643), normalised (spaces removed, ``x`` → ``X``).

    Errors name what is wrong (length, characters, birth date, check digit); an unknown province
    prefix is only a warning, since codes change and the card in hand is what counts.
    """
    value = _compact(text)
    born = _check_18(value, today=today)
    warnings = []
    if int(value[:2]) not in PROVINCE_CODES:
        warnings.append(
            IdWarning(
                "unknown_region",
                _("The region code %(code)s is not a known province; check the number.") % {"code": value[:2]},
            )
        )
    return IdCheck(value=value, warnings=warnings, birth_date=born)


def validate_hmt_residence(text: str, *, today: date | None = None) -> IdCheck:
    """港澳台居民居住证: like a resident ID, with region prefix 81 (HK), 82 (Macao) or 83 (Taiwan)."""
    value = _compact(text)
    born = _check_18(value, today=today)
    if value[:2] not in {"81", "82", "83"}:
        raise ValidationError(
            _("A residence permit number for Hong Kong, Macao or Taiwan residents starts with 81, 82 or 83."),
            code="invalid_prefix",
        )
    return IdCheck(value=value, birth_date=born)


def validate_foreign_permanent(text: str, *, today: date | None = None) -> IdCheck:
    """外国人永久居留身份证: the 2023 card (18 characters starting with 9, GB 11643 check digit) or
    the older card (3 letters of nationality and 12 digits, no check digit we can verify)."""
    value = _compact(text)
    if len(value) == 15:
        if not _FOREIGN_OLD.fullmatch(value):
            raise ValidationError(
                _("An old-style permanent residence card number is 3 letters followed by 12 digits."),
                code="invalid_characters",
            )
        return IdCheck(value=value)
    born = _check_18(value, today=today)
    if not value.startswith("9"):
        raise ValidationError(_("A foreign permanent resident ID number starts with 9."), code="invalid_prefix")
    return IdCheck(value=value, birth_date=born)


def validate_credit_code(text: str) -> IdCheck:
    """统一社会信用代码 (GB 32100): 18 characters of its charset, the last one a check character."""
    value = _compact(text)
    if len(value) != 18:
        raise ValidationError(
            _("A unified social credit code has 18 characters; this one has %(length)d."),
            code="invalid_length",
            params={"length": len(value)},
        )
    if any(c not in _CREDIT_CHARSET for c in value):
        raise ValidationError(
            _("A unified social credit code uses only digits and capital letters other than I, O, Z, S and V."),
            code="invalid_characters",
        )
    if value[17] != credit_code_check_character(value[:17]):
        raise ValidationError(
            _("The check character (last character) does not match; check the code."), code="invalid_check_digit"
        )
    return IdCheck(value=value)


def validate_passport(text: str) -> IdCheck:
    value = _compact(text)
    if not _PASSPORT.fullmatch(value):
        raise ValidationError(_("A passport number has 5 to 20 letters and digits."), code="invalid_passport")
    return IdCheck(value=value)


def validate_other_document(text: str) -> IdCheck:
    value = " ".join(_fold(text).split())
    if not value:
        raise ValidationError(_("Enter the document number."), code="required")
    if len(value) > OTHER_MAX_LENGTH:
        raise ValidationError(
            _("A document number has at most %(limit)d characters."),
            code="too_long",
            params={"limit": OTHER_MAX_LENGTH},
        )
    return IdCheck(value=value)


def validate_document(doc_type: str, number: str, *, today: date | None = None) -> IdCheck:
    """Validate and normalise a document number of the given DocumentType."""
    if doc_type == DocumentType.RESIDENT_ID:
        return validate_resident_id(number, today=today)
    if doc_type == DocumentType.HMT_RESIDENCE:
        return validate_hmt_residence(number, today=today)
    if doc_type == DocumentType.FOREIGN_PERMANENT:
        return validate_foreign_permanent(number, today=today)
    if doc_type == DocumentType.PASSPORT:
        return validate_passport(number)
    if doc_type == DocumentType.CREDIT_CODE:
        return validate_credit_code(number)
    if doc_type == DocumentType.OTHER:
        return validate_other_document(number)
    raise ValidationError(_("Choose a document type."), code="invalid_document_type")


def normalise_document(doc_type: str, number: str) -> str:
    """The normalised form of a document number without validating it (for blind-index lookups:
    the same function as registration uses, so a search finds what was stored)."""
    if doc_type == DocumentType.OTHER:
        return " ".join(_fold(number).split())
    return _compact(number)


# --- Masking --------------------------------------------------------------------------------------
def mask_mobile(text: str) -> str:
    """``13812345678`` → ``138****5678``; a landline as ``mask_phone`` masks it. Anything else is
    masked like an ID."""
    return mask_phone(text)


def mask_phone(text: str) -> str:
    """Any contact phone: a mobile ``138****5678``; a landline ``0751-***8888`` (area code and the
    last four digits of the number kept, an extension kept: it reaches a desk, not a person); anything
    else masked like an ID."""
    try:
        return mask_mobile_only(text)
    except ValidationError:
        pass
    try:
        value = _landline(text)
    except ValidationError:
        return mask_id(text)
    match = _LANDLINE_NORMALISED.fullmatch(value)
    assert match is not None
    number = match.group(2)
    masked = f"{match.group(1)}-{'*' * (len(number) - 4)}{number[-4:]}"
    return masked + (f"-{match.group(3)}" if match.group(3) else "")


def mask_mobile_only(text: str) -> str:
    """``13812345678`` → ``138****5678``; raises ValidationError if it is not a mobile."""
    digits = normalise_mobile(text)
    return digits[:3] + "****" + digits[-4:]


def mask_id(text: str) -> str:
    """``440229199001011234`` → ``440***********1234``: first 3 and last 4 kept, length kept.

    Short numbers (passports) keep less, so that most characters stay hidden.
    """
    value = re.sub(r"\s", "", text or "")
    n = len(value)
    if n >= 10:
        head, tail = 3, 4
    elif n >= 5:
        head, tail = 1, 2
    else:
        return "*" * n
    return value[:head] + "*" * (n - head - tail) + value[-tail:]


def mask_name(text: str) -> str:
    """``张三丰`` → ``张**``, ``张三`` → ``张*``; a one-character name is all stars."""
    value = (text or "").strip()
    if len(value) <= 1:
        return "*" * len(value)
    return value[0] + "*" * (len(value) - 1)


def mask_address(text: str) -> str:
    """``广东省韶关市翁源县龙仙镇…`` → ``广东省韶关市****``: at most the first 6 characters and never
    more than half of the address."""
    value = (text or "").strip()
    if not value:
        return ""
    return value[: min(6, len(value) // 2)] + "****"


def mask_text(text: str) -> str:
    """Mask every mobile and 18-character ID number found in a free text (logs, notices, exports)."""
    masked = ID_NUMBER_IN_TEXT.sub(lambda m: mask_id(_fold(m.group(0))), text or "")
    return MOBILE_IN_TEXT.sub(lambda m: mask_mobile(m.group(0)), masked)


def free_text(text: str | None, *, revealed: bool) -> str:
    """Free text as a reader sees it: the one rule for every text people write (notes, remarks,
    answers, requests, the problem as told), on every page, print, API field, export and notice.

    ``revealed`` is true only after the reader's audited reveal (casework.services.case_reveal_free_text,
    or an unmasked export recorded as such); otherwise every mobile and ID number in it is masked
    (``mask_text``), whoever reads it, the author included (docs/personal-data.md, "Masking of free text").
    """
    return (text or "") if revealed else mask_text(text or "")
