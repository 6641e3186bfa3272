"""Closed quarters: the records that belong to a quarter a township has had approved refuse to be
created, changed or deleted, on every write path.

The kernel knows only the refusal (``PeriodLocked``, a ``ValidationError`` every path already shows
as it shows a rule of the data: next to the field on a form, a 400 from the API, a problem of an
import's row, a message in the admin) and the one way past it: a correction request being applied
(``correcting(request)``). Which quarters are locked, and which quarter a record belongs to, is
decided by the quarter-close feature (``wenshang.closing``), which listens to every write through
``wenshang.kernel.changes`` and, for the paths that check a record before writing it (the imports'
check), registers ``use_checker``.
"""
from contextlib import contextmanager
from contextvars import ContextVar

from django.core.exceptions import ValidationError

_correcting = ContextVar("wenshang_locks_correcting", default=None)
_checker = None  # callable() -> a function(obj) raising PeriodLocked, with its own memo


class PeriodLocked(ValidationError):
    """A write to a record of a locked quarter. ``period``: (year, quarter); ``place``: the township
    or county (a name) whose quarter it is."""

    def __init__(self, message, period=None, place=None, field=None):
        super().__init__({field: [message]} if field else message, code="period_locked")
        self.period, self.place = period, place


@contextmanager
def correcting(request):
    """Writes in this block apply an approved correction request: locked quarters let them pass."""
    token = _correcting.set(request)
    try:
        yield
    finally:
        _correcting.reset(token)


def correction():
    """The correction request being applied, if any."""
    return _correcting.get()


def use_checker(factory):
    """Register ``factory()`` → check(obj): raises ``PeriodLocked`` for a record about to be written."""
    global _checker
    _checker = factory


def checker():
    """A check of records about to be written (one lookup of the locked quarters per check made);
    does nothing until the quarter close is installed, or while a correction is applied."""
    if _checker is None:
        return lambda obj: None
    check = _checker()

    def run(obj):
        if _correcting.get() is None:
            check(obj)

    return run
