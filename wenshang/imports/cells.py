"""Problems and cells: how one cell of a spreadsheet is read (spaces, full-width characters,
numbers, dates, choices, yes/no, codes Excel rounded), and the problem a file, row or cell gets.

* Every cell is stripped of leading and trailing spaces (also the ideographic space and NBSP).
* Full-width digits and letters (０-９, Ａ-Ｚ) are made half-width everywhere; in codes, ID numbers,
  numbers, dates, choices and yes/no cells all full-width punctuation too. Free text keeps its
  Chinese punctuation (the “（）” of a certificate number are part of it).
* Dates: Excel dates, Excel serial numbers (45356), and text such as 2024-03-05, 2024/3/5,
  2024.3.5, 2024年3月5日 or 20240305.
* Choices: the Chinese label, the English label or the code. Yes/no: 是/否 (also Y/N, 1/0, √/×).
* A code or ID number that Excel stored as a number and rounded (more than 15 digits) is refused
  with a message saying so.
* Problems are stored masked: whoever reads a problem list sees no full ID or mobile number.
"""
from __future__ import annotations

import datetime as dt
import re
import unicodedata
from decimal import Decimal, InvalidOperation

from django.utils.translation import gettext as _

from wenshang.kernel.validators import mask_id_number, mask_phone

# ---------------------------------------------------------------------------------------------
# Problems
# ---------------------------------------------------------------------------------------------


class Refused(Exception):
    """The file cannot be read at all (empty, too large, not a spreadsheet, wrong columns)."""

    def __init__(self, problems):
        super().__init__("; ".join(p["message"] for p in problems))
        self.problems = problems


def problem(message, row=None, column="", col="", value="", code="invalid"):
    """One problem: the spreadsheet row (None for the whole file), the column header and letter,
    the cell's value as read, and the message."""
    if value is None:
        value = ""
    value = mask_personal_text(value if isinstance(value, str) else _display(value))
    if len(value) > 100:
        value = value[:99] + "…"
    return {"row": row, "column": column, "col": col, "value": value, "message": mask_personal_text(str(message)), "code": code}


# An 18-character ID number or an 11-digit mobile number anywhere in a message or value. Problems
# are stored masked (the job page, the admin and any download show them as stored): whoever reads
# a problem list sees no full personal number, whatever their rights.
_ID_NUMBER_IN_TEXT = re.compile(r"(?<![0-9A-Za-z])\d{17}[0-9Xx](?![0-9A-Za-z])")
_MOBILE_IN_TEXT = re.compile(r"(?<![0-9])1[3-9]\d{9}(?![0-9])")


def mask_personal_text(text):
    """``text`` with every ID number and mobile number in it masked."""
    text = _ID_NUMBER_IN_TEXT.sub(lambda m: mask_id_number(m[0]), text)
    return _MOBILE_IN_TEXT.sub(lambda m: mask_phone(m[0]), text)


def masked_cell(mask, value):
    """A cell of a personal column (``mask`` is ``mask_id_number`` or ``mask_phone``) as shown in
    a problem: masked, and all stars when it is too short to keep its ends."""
    text = value if isinstance(value, str) else _display(value)
    if mask is None or not text:
        return text
    if len(text) < (11 if mask is mask_id_number else 8):
        return "*" * len(text)
    return mask(text)


def _display(value):
    if isinstance(value, dt.datetime):
        return value.strftime("%Y-%m-%d %H:%M:%S").removesuffix(" 00:00:00")
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer() and abs(value) < 2**53:
        return str(int(value))
    if isinstance(value, (list, tuple)):
        return "、".join(map(str, value))
    return str(value)


def col_letter(index):
    """0 → A, 26 → AA."""
    letters = ""
    index += 1
    while index:
        index, rem = divmod(index - 1, 26)
        letters = chr(65 + rem) + letters
    return letters



# ---------------------------------------------------------------------------------------------
# Cells
# ---------------------------------------------------------------------------------------------

_SPACES = {0x3000: " ", 0xA0: " ", 0x200B: None, 0x200C: None, 0x200D: None, 0xFEFF: None, 0x2060: None}
# Full-width digits and letters (and odd spaces): everywhere.
TEXT_TABLE = {
    **{0xFF10 + i: 0x30 + i for i in range(10)},
    **{0xFF21 + i: 0x41 + i for i in range(26)},
    **{0xFF41 + i: 0x61 + i for i in range(26)},
    **_SPACES,
}
# All of the full-width ASCII block (！ to ～), the yuan sign and the minus sign: codes, numbers, dates.
CODE_TABLE = {**{0xFF01 + i: 0x21 + i for i in range(94)}, 0xFFE5: "¥", 0x2212: "-", 0x2014: "-", 0x3002: ".", **_SPACES}

EMPTY = object()  # an empty cell
INVALID = object()  # a cell that could not be read (its problem is recorded)


class Formula(str):
    """A cell holding a formula (its text, beginning with =)."""


class ErrorValue(str):
    """A cell showing an error such as #N/A."""


class CellError(Exception):
    def __init__(self, message, code="invalid"):
        super().__init__(message)
        self.message = message
        self.code = code


# Characters some table above changes: most cells have none and skip ``translate`` (slow with a dict).
_TRANSLATED = re.compile("[\uff01-\uff5e\u3000\xa0\u200b-\u200d\ufeff\u2060\uffe5\u2212\u2014\u3002]")


def _as_text(raw, table):
    if raw is None:
        return ""
    if raw.__class__ is str or isinstance(raw, str):
        if raw.isascii() or _TRANSLATED.search(raw) is None:
            return raw.strip()
        return raw.translate(table).strip()
    if isinstance(raw, bool):
        return "是" if raw else "否"
    if isinstance(raw, float):
        if raw.is_integer() and abs(raw) < 2**53:
            return str(int(raw))
        return repr(raw)
    if isinstance(raw, dt.datetime):
        return _display(raw)
    if isinstance(raw, dt.date):
        return raw.isoformat()
    return str(raw).strip()


def parse_text(raw, epoch=None):
    s = _as_text(raw, TEXT_TABLE)
    return s if s else EMPTY


_SCIENTIFIC = re.compile(r"\d(?:\.\d+)?E\+?\d+", re.IGNORECASE)
_WHITESPACE = re.compile(r"\s+")


def parse_code(raw, epoch=None):
    """Codes and ID numbers: half-width, upper case, no spaces; refused when Excel rounded them."""
    if isinstance(raw, float) and (not raw.is_integer() or abs(raw) >= 1e15):
        raise CellError(_number_as_text_message(), "number_as_text")
    s = _WHITESPACE.sub("", _as_text(raw, CODE_TABLE)).upper()
    if not s:
        return EMPTY
    if _SCIENTIFIC.fullmatch(s):
        raise CellError(_number_as_text_message(), "number_as_text")
    return s


def _number_as_text_message():
    return _(
        "Excel stored this code as a number and rounded it (it keeps 15 digits). "
        "Format the column as text and type the code again."
    )


def parse_name(raw, epoch=None):
    """A name used as a key (training, station, joint committee, project): inner runs of spaces kept single."""
    s = _WHITESPACE.sub(" ", _as_text(raw, TEXT_TABLE))
    return s if s else EMPTY


_INT_RE = re.compile(r"[+-]?\d+(?:\.0*)?")
_DEC_RE = re.compile(r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)")
# Thousands separators only in their places: 1,234 and 12,345.67, not 1,5, 12,34 or 1,,000.
_GROUPED_RE = re.compile(r"[+-]?\d{1,3}(?:,\d{3})+(?:\.\d*)?")


def _ungrouped(s, raw):
    """A number's text without its thousands separators, or CellError when a comma is not one."""
    if "," not in s:
        return s
    if not _GROUPED_RE.fullmatch(s):
        raise CellError(_("“%(value)s” is not a number: a comma may only separate thousands (1,234.50); "
                          "write decimals with a point (1.5).") % {"value": str(raw).strip()}, "number")
    return s.replace(",", "")


def parse_int(raw, epoch=None):
    if isinstance(raw, bool):
        raise CellError(_("Enter a whole number."), "int")
    if isinstance(raw, int):
        return raw
    if isinstance(raw, float):
        if raw.is_integer():
            return int(raw)
        raise CellError(_("Enter a whole number."), "int")
    if isinstance(raw, (dt.date, dt.time)):
        raise CellError(_("Enter a whole number."), "int")
    s = _as_text(raw, CODE_TABLE)
    if not s:
        return EMPTY
    if " " in s:  # "1 5" is not 15
        raise CellError(_("Enter a whole number."), "int")
    s = _ungrouped(s, raw)
    if not _INT_RE.fullmatch(s):
        raise CellError(_("Enter a whole number."), "int")
    return int(s.split(".")[0])


def parse_decimal(raw, epoch=None):
    if isinstance(raw, bool) or isinstance(raw, (dt.date, dt.time)):
        raise CellError(_("Enter a number."), "number")
    if isinstance(raw, int):
        return Decimal(raw)
    if isinstance(raw, float):
        if raw != raw or raw in (float("inf"), float("-inf")):
            raise CellError(_("Enter a number."), "number")
        return Decimal(repr(raw))
    s = _as_text(raw, CODE_TABLE)
    if s.startswith(("¥", "$")):
        s = s[1:].lstrip()
    s = s.removesuffix("元").removesuffix("%").rstrip()
    if not s:
        return EMPTY
    if " " in s:  # "1 5" is not 15
        raise CellError(_("Enter a number."), "number")
    s = _ungrouped(s, raw)
    if not _DEC_RE.fullmatch(s):
        raise CellError(_("Enter a number."), "number")
    try:
        return Decimal(s)
    except InvalidOperation:
        raise CellError(_("Enter a number."), "number")


_DATE_RE = re.compile(
    r"(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?(?:[ T]\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?)?"
)
_COMPACT_DATE_RE = re.compile(r"(\d{4})(\d{2})(\d{2})")
_SERIAL_RE = re.compile(r"\d{1,7}(?:\.\d+)?")
EPOCH_1900 = dt.date(1899, 12, 30)


def _date_message():
    return _("Enter a date such as 2024-03-05, 2024/3/5 or 2024年3月5日.")


def _serial_date(number, epoch):
    if 1900 <= number <= 2100:
        raise CellError(_("%(value)s looks like a year: enter the whole date, e.g. 2024-03-05.") % {"value": int(number)}, "date")
    if not 1 <= number < 2958466:
        raise CellError(_date_message(), "date")
    base = EPOCH_1900 if epoch is None or epoch.year == 1899 else dt.date(1904, 1, 1)
    return base + dt.timedelta(days=int(number))


def _checked_date(year, month, day, text):
    try:
        value = dt.date(year, month, day)
    except ValueError:
        raise CellError(_("%(value)s is not a date in the calendar.") % {"value": text}, "date")
    if not 1900 <= value.year <= 2100:
        raise CellError(_date_message(), "date")
    return value


def parse_date(raw, epoch=None):
    if isinstance(raw, dt.datetime):
        return _checked_date(raw.year, raw.month, raw.day, _display(raw))
    if isinstance(raw, dt.date):
        return raw
    if isinstance(raw, bool) or isinstance(raw, dt.time):
        raise CellError(_date_message(), "date")
    if isinstance(raw, (int, float)):
        return _serial_date(raw, epoch)
    s = _WHITESPACE.sub(" ", _as_text(raw, CODE_TABLE))
    if not s:
        return EMPTY
    m = _DATE_RE.fullmatch(s)
    if m:
        return _checked_date(int(m[1]), int(m[2]), int(m[3]), s)
    m = _COMPACT_DATE_RE.fullmatch(s)
    if m:
        return _checked_date(int(m[1]), int(m[2]), int(m[3]), s)
    if _SERIAL_RE.fullmatch(s):
        return _serial_date(float(s), epoch)
    raise CellError(_date_message(), "date")


TRUE_WORDS = {"是", "y", "yes", "true", "t", "1", "√", "✓", "✔", "对", "有"}
FALSE_WORDS = {"否", "n", "no", "false", "f", "0", "×", "✗", "✘", "x", "不", "不是", "无"}


def parse_bool(raw, epoch=None):
    if isinstance(raw, bool):
        return raw
    if isinstance(raw, (int, float)) and raw in (0, 1):
        return bool(raw)
    s = _as_text(raw, CODE_TABLE).casefold()
    if not s:
        return EMPTY
    if s in TRUE_WORDS:
        return True
    if s in FALSE_WORDS:
        return False
    raise CellError(_("Enter 是 or 否."), "bool")


_LIST_SPLIT = re.compile(r"[\s,;、，；/|]+")


def parse_code_list(raw, epoch=None):
    s = _as_text(raw, CODE_TABLE)
    if not s:
        return EMPTY
    return tuple(dict.fromkeys(p.upper() for p in _LIST_SPLIT.split(s) if p))


def choice_key(text):
    return _WHITESPACE.sub("", unicodedata.normalize("NFKC", str(text))).casefold()


def _is_blank(raw):
    return raw is None or (raw.__class__ is str and not raw.strip())


PARSERS = {"text": parse_text, "code": parse_code, "name": parse_name, "int": parse_int, "decimal": parse_decimal,
           "date": parse_date, "bool": parse_bool, "list": parse_code_list}
