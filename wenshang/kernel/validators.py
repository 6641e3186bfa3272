"""Validators shared by models, forms, imports and the API (one validation path).

Messages are English source strings translated to Chinese (the default language).
"""
import re
from datetime import date
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.utils.deconstruct import deconstructible
from django.utils.translation import gettext_lazy as _

# ISO 7064 MOD 11-2, as used by GB 11643 for the 18th character of a national ID number.
ID_WEIGHTS = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2]
ID_CHECK = "10X98765432"

# GB 32100: unified social credit code, 18 characters from this 31-character set.
CREDIT_CHARSET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
CREDIT_WEIGHTS = [1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28]

ID_RE = re.compile(r"^\d{17}[\dX]$")
CREDIT_RE = re.compile(rf"^[{CREDIT_CHARSET}]{{18}}$")
MOBILE_RE = re.compile(r"^1[3-9]\d{9}$")


def id_check_char(first17: str) -> str:
    return ID_CHECK[sum(int(c) * w for c, w in zip(first17, ID_WEIGHTS)) % 11]


def credit_check_char(first17: str) -> str:
    total = sum(CREDIT_CHARSET.index(c) * w for c, w in zip(first17, CREDIT_WEIGHTS))
    return CREDIT_CHARSET[(31 - total % 31) % 31]


def validate_id_number(value):
    """An 18-digit national ID number (GB 11643) with its ISO 7064 MOD 11-2 check character."""
    value = (value or "").upper()
    if not ID_RE.match(value):
        raise ValidationError(
            _("A national ID number has 18 characters: 17 digits and a digit or X."), code="id_format"
        )
    try:
        date(int(value[6:10]), int(value[10:12]), int(value[12:14]))
    except ValueError:
        raise ValidationError(_("The date of birth in this ID number does not exist."), code="id_birth")
    if id_check_char(value[:17]) != value[17]:
        raise ValidationError(
            _("The check character of this ID number is wrong; please check the number."), code="id_check"
        )


def validate_credit_code(value):
    """An 18-character unified social credit code (GB 32100) with its check character."""
    value = (value or "").upper()
    if not CREDIT_RE.match(value):
        raise ValidationError(
            _("A unified social credit code has 18 characters: digits and capital letters except I, O, Z, S, V."),
            code="credit_format",
        )
    if credit_check_char(value[:17]) != value[17]:
        raise ValidationError(
            _("The check character of this unified social credit code is wrong; please check the code."),
            code="credit_check",
        )


def validate_mobile(value):
    """A mainland mobile number: 11 digits beginning with 13 to 19."""
    if not MOBILE_RE.match(value or ""):
        raise ValidationError(
            _("Enter a mainland mobile number: 11 digits beginning with 13 to 19."), code="mobile"
        )


def validate_non_negative(value):
    if value is not None and Decimal(value) < 0:
        raise ValidationError(_("An amount cannot be negative."), code="negative")


def validate_positive(value):
    if value is not None and Decimal(value) <= 0:
        raise ValidationError(_("This must be greater than zero."), code="not_positive")


@deconstructible
class DivisionCodeValidator:
    """Official division codes: all digits, of the given length (county 6, township 9, village 12)."""

    def __init__(self, length):
        self.length = length

    def __call__(self, value):
        if not re.fullmatch(rf"\d{{{self.length}}}", value or ""):
            raise ValidationError(
                _("An official division code here has %(length)d digits.") % {"length": self.length},
                code="division_code",
            )

    def __eq__(self, other):
        return isinstance(other, DivisionCodeValidator) and other.length == self.length


def check_date_range(start, end, end_field="end_date"):
    """End dates are not before start dates; raise on the end field."""
    if start and end and end < start:
        raise ValidationError({end_field: _("The end date cannot be before the start date.")}, code="date_order")


def mask_id_number(value):
    """370830********1234: the region and the last four characters stay."""
    if not value:
        return value
    return value[:6] + "*" * (len(value) - 10) + value[-4:]


def mask_phone(value):
    if not value:
        return value
    return value[:3] + "****" + value[-4:]
