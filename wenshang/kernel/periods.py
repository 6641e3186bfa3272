"""Quarters and the day of reference: the one calendar helper of the dashboards, the reports, the
village profile and the lists."""
import datetime as dt

from django.conf import settings
from django.utils import timezone


def reference_date():
    """The day "current" and "overdue" are judged on: today, or the day the data describe
    (``PORTAL_DATA_AS_OF``) if that is earlier."""
    return min(timezone.localdate(), settings.PORTAL_DATA_AS_OF)


def quarter_of(date):
    return date.year, (date.month - 1) // 3 + 1


def quarter_dates(year, quarter):
    """(first day, last day) of a quarter."""
    start = dt.date(year, 3 * quarter - 2, 1)
    end = dt.date(year + (quarter == 4), 1 if quarter == 4 else 3 * quarter + 1, 1) - dt.timedelta(days=1)
    return start, end


def previous_quarter(year, quarter):
    return (year - 1, 4) if quarter == 1 else (year, quarter - 1)


def year_dates(year):
    return dt.date(year, 1, 1), dt.date(year, 12, 31)
