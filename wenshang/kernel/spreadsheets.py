"""User text made inert in every spreadsheet and CSV file the portal writes (exports, reports, import
templates and problem lists).

A spreadsheet program runs a cell that begins with ``=``, ``+``, ``-`` or ``@`` as a formula, and
a tab or carriage return at the start of a CSV field can hide such a character (OWASP, "CSV
Injection"). Full-width forms (＝ ＋ － ＠), which a Chinese input method types, and leading spaces
before any of these are treated the same way. Numbers, dates and empty cells are left as they are,
so figures stay figures.

- CSV: ``csv_value(value)`` puts an apostrophe before such text, as OWASP recommends.
- XLSX: ``xlsx_cell(sheet, value)`` writes such text as a text cell marked "quote prefix", so the
  spreadsheet shows the text exactly as entered and keeps it text when someone edits the cell.

Every writer goes through these two, which share one test (``formula_like``); a test writes each
dangerous prefix through every output.
"""
import datetime as dt
import re

from openpyxl.cell import WriteOnlyCell

FORMULA_START = ("=", "+", "-", "@", "\t", "\r", "\n", "＝", "＋", "－", "＠")
LEADING_SPACE = " \u3000\u00a0"
# Characters XML 1.0 cannot hold (openpyxl refuses them): removed rather than failing the file.
ILLEGAL_CHARACTERS = re.compile(r"[\000-\010\013\014\016-\037]")


def formula_like(text):
    """Whether a spreadsheet program could take ``text`` for a formula."""
    return isinstance(text, str) and text.lstrip(LEADING_SPACE).startswith(FORMULA_START)


def csv_value(value):
    """``value`` as a CSV field: dangerous text prefixed with an apostrophe; dates in ISO form."""
    if isinstance(value, str):
        return "'" + value if formula_like(value) else value
    if isinstance(value, dt.datetime):
        return value.strftime("%Y-%m-%d %H:%M:%S")
    if isinstance(value, dt.date):
        return value.isoformat()
    return value


def xlsx_cell(sheet, value, font=None, fill=None, alignment=None, number_format=None):
    """``value`` as it goes into a row of the write-only ``sheet``: text is always text, never a
    formula. Unstyled values that need no marking are returned as they are (fast for big exports)."""
    if isinstance(value, str):
        value = ILLEGAL_CHARACTERS.sub("", value)
        dangerous = formula_like(value)
    else:
        dangerous = False
    if not dangerous and font is None and fill is None and alignment is None and number_format is None:
        return value
    cell = WriteOnlyCell(sheet, value=value)
    if isinstance(value, str):
        cell.data_type = "s"
        cell.quotePrefix = dangerous
    if font is not None:
        cell.font = font
    if fill is not None:
        cell.fill = fill
    if alignment is not None:
        cell.alignment = alignment
    if number_format is not None:
        cell.number_format = number_format
    return cell


def set_text(cell, value):
    """For a worksheet that is not write-only: store ``value`` in ``cell`` the same way."""
    if isinstance(value, str):
        value = ILLEGAL_CHARACTERS.sub("", value)
        cell.value = value
        cell.data_type = "s"
        if formula_like(value):
            cell.quotePrefix = True
    else:
        cell.value = value
    return cell
