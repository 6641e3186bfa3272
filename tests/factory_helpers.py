"""What the per-app factory modules (``tests/<app>/factories.py``) share: the fixed clock, valid ID
numbers and credit codes, and ``made_by`` (an existing ``ModelViewTests.make()`` as a builder).

This module imports no factory module, so each of them can import it (``tests.factories``
collects them)."""
import datetime as dt

from django.utils import timezone

from wenshang.kernel.validators import credit_check_char, id_check_char

DAY = dt.date(2024, 3, 1)  # the fixed clock of the tests
MOMENT = timezone.make_aware(dt.datetime(2024, 3, 1, 9, 0))

__all__ = ["DAY", "MOMENT", "credit_code", "made_by", "valid_id"]


def valid_id(first17):
    """``first17`` (17 digits) completed with its check character: a valid national ID number."""
    return first17 + id_check_char(first17)


def credit_code(first17):
    """``first17`` completed with its check character: a valid unified social credit code."""
    return first17 + credit_check_char(first17)


def made_by(test_class):
    """The ``make()`` of an existing ``ModelViewTests`` subclass, as a builder."""
    return lambda township, n=0: test_class().make(township, n)
