"""How amounts read: one rule for money and areas in pages, exports and reports.

- ``money(value)``: yuan as a county office writes them, thousands separated, always 2 places:
  below 10,000 in 元 (``9,800.00元``), below 100 million in 万元 (``102.10万元``), above in 亿元
  (``3.71亿元``). ``None`` reads ``—``.
- ``area(value, unit)``: an area with thousands separators and 2 places and its unit
  (``1,221.42亩``).
- ``number(value)``: a count or any other number, thousands separated (``199,900``; decimals kept
  to ``places`` when it has any).

The separators are written here, not taken from the locale: the pages, the report and the
exports read the same whatever the language. Spreadsheets keep amounts as numbers and take
``MONEY_FORMAT`` / ``AREA_FORMAT`` as the cells' number format.

Templates: ``{% load formats %}`` then ``{{ value|money }}``, ``{{ value|area:"mu" }}``, ``{{ value|number }}``.
"""
from decimal import ROUND_HALF_UP, Decimal

from django.db import models
from django.utils.translation import gettext as _

from wenshang.kernel.validators import validate_non_negative, validate_positive

YI = Decimal(100_000_000)
WAN = Decimal(10_000)
CENT = Decimal("0.01")
MONEY_FORMAT = "#,##0.00"  # XLSX number format of money cells (yuan)
AREA_FORMAT = "#,##0.00"


def _decimal(value):
    if isinstance(value, Decimal):
        return value
    if isinstance(value, float):
        return Decimal(repr(value))
    return Decimal(str(value))


def grouped(value, places=2):
    """``value`` rounded to ``places`` with thousands separators: 1234567.891 → ``1,234,567.89``."""
    d = _decimal(value).quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP) if places else \
        _decimal(value).quantize(Decimal(1), rounding=ROUND_HALF_UP)
    return f"{d:,.{places}f}"


def number(value, places=2):
    """A count or other number as read: ``199,900``; ``12.5`` keeps its decimals (at most ``places``)."""
    if value is None or value == "":
        return "—"
    d = _decimal(value)
    if d == d.to_integral_value():
        return grouped(d, 0)
    return grouped(d, places)


def money(value):
    """Yuan as read: 元 below 1万, 万元 below 1亿, 亿元 above; thousands separated, 2 places."""
    if value is None or value == "":
        return "—"
    d = _decimal(value)
    if abs(d) >= YI:
        return _("%(value)s × 100 million yuan") % {"value": grouped(d / YI)}
    if abs(d) >= WAN:
        return _("%(value)s × 10,000 yuan") % {"value": grouped(d / WAN)}
    return _("%(value)s yuan") % {"value": grouped(d)}


AREA_UNITS = {"mu": "%(value)s mu", "m2": "%(value)s m²", "km2": "%(value)s km²"}


def area(value, unit="mu"):
    """An area as read, with its unit: ``1,221.42亩``, ``12,345.60 m²``."""
    if value is None or value == "":
        return "—"
    if unit == "mu":
        return _("%(value)s mu") % {"value": grouped(value)}
    return AREA_UNITS.get(unit, "%(value)s") % {"value": grouped(value)}


def field_kind(field):
    """``"money"`` for a ``MoneyField``, ``"area"`` for an ``AreaField`` (wenshang/fields.py), else None."""
    if not isinstance(field, models.DecimalField):
        return None
    validators = field.validators
    if validate_non_negative in validators:
        return "money"
    if validate_positive in validators:
        return "area"
    return None


def area_unit(field):
    """The unit an ``AreaField`` states in its name: ``mu``, ``m2`` or ``km2``."""
    name = str(getattr(field, "verbose_name", ""))
    if "km²" in name:
        return "km2"
    if "m²" in name:
        return "m2"
    return "mu"


def field_value(field, value):
    """A field's value as pages show it: money and areas by the rules above, anything else as it is."""
    kind = field_kind(field)
    if value in (None, "") or kind is None:
        return value
    if kind == "money":
        return money(value)
    return grouped(value)  # the column's name carries the unit (m², 亩, km²)


def xlsx_format(field):
    """The XLSX number format of a field's cells: thousands separated for money and areas."""
    kind = field_kind(field)
    return MONEY_FORMAT if kind == "money" else AREA_FORMAT if kind == "area" else None


def figure(value, unit):
    """A figure as people read it: counts with separators, money in 元/万元/亿元, area in 亩,
    percentages; "—" for none."""
    if value is None:
        return "—"
    if unit == "yuan":
        return money(value)
    if unit == "mu":
        return area(value, "mu")
    if unit == "percent":
        return f"{number(value)}%"
    return number(value)
