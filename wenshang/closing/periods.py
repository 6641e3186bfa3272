"""Which quarter a record belongs to: the date its figures are counted by (``metrics.py``; a model may
name another with ``period_date``), a year's record counting with the first quarter of the next
year (when its figures are entered and reported); a record of no date
belongs to the quarter in which it was last changed (see ``wenshang.closing.guard``)."""
import datetime as dt
from functools import cache

from django.apps import apps
from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime

from wenshang.kernel.models import BaseModel
from wenshang.kernel.periods import quarter_of
from wenshang.web import figures

APPS = ("villages", "alliances", "grids", "finance", "talent")
PLACES = {"City", "County", "Township"}  # the geography holds the quarters, it does not belong to one


@cache
def guarded_models():
    """The models whose records a closed quarter locks: every record of the three chains."""
    return frozenset(
        m for label in APPS for m in apps.get_app_config(label).get_models()
        if issubclass(m, BaseModel) and m.__name__ not in PLACES
    )


@cache
def period_path(model):
    """(date lookup, is a year) that places ``model``'s records in a quarter, or None (no date)."""
    own = getattr(model, "period_date", None)
    if own:
        return own, False
    label = model._meta.label
    for m in figures.metrics().values():
        if m.model == label and m.date:
            return m.date, m.date_is_year
    return None


def quarter_of_value(value, is_year):
    """(year, quarter) of a date, a datetime or a year (its fourth quarter); None for no value."""
    if value is None or value == "":
        return None
    if is_year:  # a year's figures are entered after it ends: with the first quarter of the next year
        if isinstance(value, str) and "-" in value:
            value = parse_date(value[:10])
        year = value.year if isinstance(value, dt.date) else int(value)
        return year + 1, 1
    if isinstance(value, str):
        value = parse_datetime(value) or parse_date(value) if "T" in value or " " in value else parse_date(value)
        if value is None:
            return None
    if isinstance(value, dt.datetime):
        value = timezone.localtime(value).date() if timezone.is_aware(value) else value.date()
    return quarter_of(value)


def split(model, path):
    """(first field, the rest of the lookup) of a date lookup: the rest is a transform (``date``,
    ``year``) of a date field of the record, or a lookup on the related record."""
    first, _sep, rest = path.partition("__")
    return model._meta.get_field(first), rest


def current_period():
    """The quarter of today: records of it or later cannot be locked yet."""
    year, quarter = quarter_of(timezone.localdate())
    return year * 10 + quarter
