"""Spreadsheet imports: a template per entity, upload of XLSX or CSV, a preview that lists every
problem with its row and column before anything is written, and an all-or-nothing commit that
updates the records it finds by their natural key instead of adding them twice.

Entry points
------------
* ``import_file(entity, path, user, dry_run=False, progress=None)``: check a file and, unless
  ``dry_run`` or it has problems, write it in one transaction (``manage.py import_data`` and the
  benchmark call it). Returns an ``ImportResult``.
* ``start_check(job)`` / ``start_commit(job, user)`` / ``run_job(job_id, phase)``: the same for an
  uploaded ``ImportJob``, in the request for small files and in the ``wenshang.run_import``
  Celery task from ``settings.IMPORT_ASYNC_ROWS`` rows on, with the job's ``progress`` kept.
* ``template_xlsx(entity)``: the template (Chinese headers, one example row, a notes sheet).
* ``SPECS``: the importable entities by their URL plural, each with its columns and natural key.

How a file is read
------------------
* The format is recognised from the bytes, not the name: XLSX (a zip holding ``xl/workbook.xml``)
  or CSV text, comma- or tab-separated, in UTF-8 with or without BOM or in GBK/GB18030 as WPS and
  older Excel write it (``utf-8-sig`` is tried first, then ``gb18030``). Empty files, files larger
  than ``settings.IMPORT_MAX_BYTES``, Excel 97-2003 ``.xls`` (and password-protected) workbooks,
  other zip files and binary files are refused with a message.
* An XLSX workbook is opened by openpyxl in read-only mode (``ExcelReader(read_only=True)``: the
  steps of ``load_workbook(read_only=True)`` but the sizing scan of every sheet that lacks a
  ``<dimension>``), which reads its sheet list, shared strings, date styles and epoch. The rows of
  the data sheet (named “数据” as in the template, otherwise the first sheet) are then streamed
  from the same archive by a small expat parser: openpyxl's per-cell ElementTree parsing takes
  about 35 s for 199,900 rows × 11 columns, expat about 7 s. Tests compare the rows with
  openpyxl's own ``iter_rows``, and ``load_workbook`` is used should openpyxl's reader change.
* **Formulas are refused**, cell by cell with the row and column: the values cached beside a
  formula are missing in files written by programs and can be stale in files from Excel, and the
  import must write what the user sees. The message asks to paste the cells as values
  (选择性粘贴 → 数值). Error cells (``#N/A``) are refused the same way.
* **Merged cells are refused**, each range with its first row and column.
* The first non-empty row holds the column headers; every column of the template must be there,
  in any order, and no other (missing, renamed and extra columns are each reported). Empty rows
  are skipped; row numbers are the spreadsheet's (the header is usually row 1).

How a cell is read
------------------
* Every cell is stripped of leading and trailing spaces (also the ideographic space and NBSP).
* Full-width digits and letters (０-９, Ａ-Ｚ) are made half-width everywhere; in codes, ID numbers,
  numbers, dates, choices and yes/no cells all full-width punctuation too. Free text keeps its
  Chinese punctuation (the “（）” of a certificate number are part of it).
* Dates: Excel dates, Excel serial numbers (45356), and text such as 2024-03-05, 2024/3/5,
  2024.3.5, 2024年3月5日 or 20240305.
* Choices: the Chinese label, the English label or the code. Yes/no: 是/否 (also Y/N, 1/0, √/×).
* Foreign keys by natural key: township by 9-digit code, village by 12-digit code, grid by
  15-digit code, enterprise by credit code, person by ID number, household by the head's ID
  number, homestead by parcel code, training, station and joint committee by name.
* A code or ID number that Excel stored as a number and rounded (more than 15 digits) is refused
  with a message saying so.

How a row is checked (no query per row)
---------------------------------------
The records named in the file are loaded once (``__in`` queries in chunks): the foreign keys by
natural key, the existing records by the entity's natural key, and the values of other unique
fields. Each row is then checked in memory with the model fields' validators and the model's
``clean()`` (its related objects come from the loaded dictionaries), against the unique keys and
against the user's scope: ``permission_filter(user, model, "add")`` for new records and
``"change"`` for existing ones; a township user may import only rows whose township (the
record's ``scope_path``) is their own, and change only records that are. Two rows with the same
natural key are reported with both row numbers. The template's example row is refused.

How it is written
-----------------
Only a file without any problem is written, in one transaction, whose rights are read again:
changed records first (an ``UPDATE … FROM`` a temporary table filled by COPY on PostgreSQL,
``executemany`` elsewhere; unchanged rows are not written), each logged as an update with the
changed fields before and after; then new records, with ids taken from the sequence, and their
create entries. On PostgreSQL both go through ``write_rows``, a streamed COPY (the database parses
one part while Python prepares the next) whose escaping skips ``str.translate`` when there is
nothing to escape; ``wenshang.bulk.insert_rows`` and ``audit.log_bulk_create`` write the same rows
(a test compares the change log) but spend 10 s escaping the Chinese JSON of 199,900 entries.
Elsewhere ``insert_rows`` is used. Credit records recount their households' totals (as
``grids.services.recount_points`` does, in bulk), and new or changed villages, people,
enterprises and projects are indexed for the global search (``search.index_objects``).

Speed (199,900 homestead parcels on PostgreSQL, end to end with validation, on the 2-core dev
machine): CSV about 24 s to create them all, 15 s to re-import them unchanged, 28 s to update
them all; XLSX about 31 s to create, 23 s unchanged.
"""
from __future__ import annotations

import csv
import datetime as dt
import io
import itertools
import json
import logging
import os
import re
import threading
import unicodedata
import zipfile
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from xml.parsers import expat

from django.conf import settings
from django.core.exceptions import NON_FIELD_ERRORS, PermissionDenied, ValidationError
from django.db import connections, models, router, transaction
from django.db.models import OuterRef, Subquery, Sum
from django.db.models.functions import Coalesce
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from alliances import models as am
from finance import models as fm
from grids import models as gm
from talent import models as tm
from villages import models as vm

from . import audit, privacy
from .bulk import insert_rows
from .models import ImportJob, ObjectChange, SearchEntry
from .scope import permission_filter
from .spreadsheets import set_text
from .validators import (
    DivisionCodeValidator,
    credit_check_char,
    id_check_char,
    mask_id_number,
    mask_phone,
    validate_credit_code,
    validate_id_number,
    validate_mobile,
)

logger = logging.getLogger(__name__)

DATA_SHEET = "数据"
NOTES_SHEET = "说明"
CHOICES_SHEET = "选项"
MAX_PROBLEMS = 5000  # kept per import; the rest are counted
HEADER_SCAN_ROWS = 10  # non-empty rows looked at for the column headers (title rows above them)
PROGRESS_EVERY = 2000  # rows between two progress reports
XLSX_MIME = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def max_bytes():
    return getattr(settings, "IMPORT_MAX_BYTES", 50 * 1024 * 1024)


def async_rows():
    return getattr(settings, "IMPORT_ASYNC_ROWS", 5000)


def max_unpacked_bytes():
    """The most a workbook (XLSX or ODS, a zip) may unpack to, all its parts together."""
    return getattr(settings, "IMPORT_MAX_UNPACKED_BYTES", 200 * 1024 * 1024)


def max_compression_ratio():
    """The most a part of a workbook larger than 1 MB may unpack to, in times its packed size."""
    return getattr(settings, "IMPORT_MAX_COMPRESSION_RATIO", 100)


def retention_days():
    """Days an uploaded file and its problem list are kept (``purge_old_jobs``)."""
    return getattr(settings, "IMPORT_RETENTION_DAYS", 30)


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


# ---------------------------------------------------------------------------------------------
# Reading files
# ---------------------------------------------------------------------------------------------

OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"


def _not_a_spreadsheet():
    return problem(
        _("This file is not a spreadsheet: upload an Excel workbook (.xlsx) or a CSV file, e.g. the template."),
        code="not_spreadsheet",
    )


@dataclass
class Table:
    """The rows of one sheet: ``rows`` yields (row number, [cell values]); ``merged`` lists the
    merged ranges, known once the rows have been read (XLSX keeps them after the cells)."""

    kind: str
    rows: object
    estimated_rows: int | None = None
    epoch: object = None
    merged: list = field(default_factory=list)
    closer: object = None
    sheet: str = ""  # the title of the sheet read (XLSX and ODS)

    def close(self):
        if self.closer is not None:
            self.closer()
            self.closer = None


def sniff(path):
    """'xlsx' or 'csv' from the file's first bytes, or raise Refused."""
    size = os.path.getsize(path)
    if size == 0:
        raise Refused([problem(_("The file is empty."), code="empty")])
    limit = max_bytes()
    if size > limit:
        raise Refused([problem(
            _("The file is %(size)s MB; at most %(limit)s MB can be imported at once. Split it into several files.")
            % {"size": f"{size / 1024 / 1024:.1f}", "limit": f"{limit / 1024 / 1024:g}"},
            code="too_large",
        )])
    with open(path, "rb") as fh:
        head = fh.read(8)
    if head.startswith(b"PK\x03\x04"):
        return "xlsx"
    if head.startswith(OLE_MAGIC):
        raise Refused([problem(
            _("Excel 97-2003 workbooks (.xls) and password-protected workbooks cannot be read. "
              "Save the file as an Excel workbook (.xlsx) or CSV, without a password, and upload it again."),
            code="xls",
        )])
    return "csv"


def open_table(path):
    kind = sniff(path)
    if kind == "csv":
        return _open_csv(path)
    names = _checked_archive(path)
    if "xl/workbook.xml" in names:
        return _open_xlsx(path)
    if "content.xml" in names and _is_ods(path, names):
        return _open_ods(path)
    raise Refused([_not_a_spreadsheet()])


def _checked_archive(path):
    """The names in a zip (XLSX, ODS), or Refused when it would unpack to too much: its parts
    together to more than ``IMPORT_MAX_UNPACKED_BYTES``, or a part above 1 MB to more than
    ``IMPORT_MAX_COMPRESSION_RATIO`` times its packed size (a zip bomb). Only the zip's directory
    is read. Python's zipfile never unpacks a part beyond the size its directory states, so what
    is read later stays within these limits."""
    try:
        with zipfile.ZipFile(path) as archive:
            infos = archive.infolist()
    except (zipfile.BadZipFile, OSError, ValueError, EOFError):
        raise Refused([_not_a_spreadsheet()])
    unpacked = sum(info.file_size for info in infos)
    limit = max_unpacked_bytes()
    if unpacked > limit:
        raise Refused([problem(
            _("The file unpacks to %(size)s MB; at most %(limit)s MB can be read. It was not read: split it into several files.")
            % {"size": f"{unpacked / 1024 / 1024:.1f}", "limit": f"{limit / 1024 / 1024:g}"},
            code="zip_bomb",
        )])
    ratio = max_compression_ratio()
    for info in infos:
        if info.file_size > 1024 * 1024 and info.file_size > ratio * max(1, info.compress_size):
            raise Refused([problem(
                _("A part of the file (%(part)s) unpacks to %(times)d times its size, far more than a spreadsheet does. "
                  "It was not read: open the file in Excel or WPS, check it and save it again.")
                % {"part": info.filename, "times": info.file_size // max(1, info.compress_size)},
                code="zip_bomb",
            )])
    return {info.filename for info in infos}


def _read_member(archive, name, limit=4 * 1024 * 1024):
    """A small part of a zip (settings, mimetype), read in chunks up to ``limit`` bytes (None
    beyond: such a part is not what it claims to be)."""
    chunks, size = [], 0
    with archive.open(name) as src:
        while True:
            chunk = src.read(65536)
            if not chunk:
                return b"".join(chunks)
            size += len(chunk)
            if size > limit:
                return None
            chunks.append(chunk)


def _decode(data):
    """Text of a CSV file: UTF-8 (BOM or not) first, then GB18030 (a superset of GBK)."""
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            return data.decode("utf-16")
        except UnicodeDecodeError:
            pass
    elif b"\x00" not in data[:65536]:
        for encoding in ("utf-8-sig", "gb18030"):
            try:
                return data.decode(encoding)
            except UnicodeDecodeError:
                continue
    raise Refused([_not_a_spreadsheet()])


def _open_csv(path):
    with open(path, "rb") as fh:
        data = fh.read()
    text = _decode(data)
    del data
    sample = text[:65536]
    controls = sum(1 for ch in sample if unicodedata.category(ch) == "Cc" and ch not in "\t\r\n")
    if controls > len(sample) // 100 + 1:
        raise Refused([_not_a_spreadsheet()])
    first_line = sample.split("\n", 1)[0]
    delimiter = "\t" if first_line.count("\t") > first_line.count(",") else ","
    estimated = text.count("\n") + 1
    reader = csv.reader(io.StringIO(text), delimiter=delimiter)

    def rows():
        try:
            yield from enumerate(reader, start=1)
        except csv.Error as exc:
            raise Refused([problem(_("The CSV file could not be read: %(error)s") % {"error": exc}, code="csv")])

    return Table("csv", rows(), estimated_rows=estimated)


def _open_xlsx(path):
    try:
        with zipfile.ZipFile(path) as archive:
            names = set(archive.namelist())
    except (zipfile.BadZipFile, OSError):
        raise Refused([_not_a_spreadsheet()])
    if "xl/workbook.xml" not in names:
        raise Refused([_not_a_spreadsheet()])
    fh = open(path, "rb")  # a file object: openpyxl then does not judge the file by its name
    try:
        book = _read_workbook(fh)
    except Exception:  # noqa: BLE001 - openpyxl raises many kinds for a damaged file
        fh.close()
        raise Refused([_damaged()])

    def close():
        book.archive.close()
        fh.close()

    sheet = _choose_sheet(book.sheets, book.active)
    if sheet is None:
        close()
        raise Refused([problem(_("The workbook has no worksheet."), code="empty")])
    title, target, visible = sheet
    try:
        info = book.archive.getinfo(target)
    except KeyError:
        close()
        raise Refused([_damaged()])
    if info.file_size > max_bytes() * 40:
        close()
        raise Refused([problem(_("The worksheet is too large to import at once. Split it into several files."), code="too_large")])
    with book.archive.open(target) as src:
        m = _DIMENSION_RE.search(src.read(4096).decode("utf-8", "replace"))
    table = Table("xlsx", None, estimated_rows=int(m[1]) if m else None, epoch=book.epoch, closer=close, sheet=title)
    table.rows = _xlsx_rows(book, target, table)
    return table


def _choose_sheet(sheets, active):
    """The sheet to read of [(title, part, visible)]: the visible sheet named like the template's
    (数据), else the active sheet when it is visible, else the first visible one. Hidden sheets
    (state hidden or veryHidden) are never read: what is imported is what the user sees."""
    visible = [sheet for sheet in sheets if sheet[2]]
    for sheet in visible:
        if sheet[0] == DATA_SHEET:
            return sheet
    for sheet in visible:
        if sheet[0] == active:
            return sheet
    return visible[0] if visible else None


_DIMENSION_RE = re.compile(r'<(?:\w+:)?dimension ref="[A-Z]+\d+:[A-Z]+(\d+)"')


@dataclass
class _Book:
    archive: object
    sheets: list  # [(title, path in the archive, visible)] of the worksheets, in order
    shared_strings: list
    date_styles: set
    epoch: object
    active: str = ""  # the title of the active sheet (workbook.xml's activeTab)


def _read_workbook(fh):
    """The workbook's sheets, shared strings, date styles and epoch, read by openpyxl in read-only
    mode: the steps of ``load_workbook(read_only=True)`` except building worksheet objects, whose
    constructor scans a whole sheet to size it when the file has no ``<dimension>`` (as files
    written by programs often lack), 10 s for the county's parcels."""
    try:
        from openpyxl.reader.excel import ExcelReader
        from openpyxl.styles.stylesheet import apply_stylesheet

        reader = ExcelReader(fh, read_only=True, data_only=False, keep_links=False)
        reader.read_manifest()
        reader.read_strings()
        reader.read_workbook()
        apply_stylesheet(reader.archive, reader.wb)
        wb = reader.wb
        active_tab = getattr(wb, "_active_sheet_index", 0)  # activeTab counts every sheet, charts and hidden ones too
        sheets, active = [], ""
        for position, sheet in enumerate(reader.parser.sheets):
            if position == active_tab:
                active = sheet.name
            try:
                rel = reader.parser.rels.get(sheet.id) if sheet.id else None
            except KeyError:
                rel = None
            if rel is None or rel.target not in reader.valid_files or "chartsheet" in rel.Type:
                continue
            sheets.append((sheet.name, rel.target, (sheet.state or "visible") == "visible"))
        return _Book(reader.archive, sheets, reader.shared_strings, set(getattr(wb, "_date_formats", ())), wb.epoch, active)
    except (ImportError, AttributeError, TypeError):  # another openpyxl: the public way
        import openpyxl

        fh.seek(0)
        wb = openpyxl.load_workbook(fh, read_only=True, data_only=False)
        sheets = [(ws.title, ws._worksheet_path, ws.sheet_state == "visible") for ws in wb.worksheets]
        strings = wb.worksheets[0]._shared_strings if wb.worksheets else []
        return _Book(wb._archive, sheets, strings, set(getattr(wb, "_date_formats", ())), wb.epoch, wb.active.title if wb.active else "")


def _ref_index(ref):
    """Column index (0-based) from a cell reference such as AB12."""
    n = 0
    for ch in ref:
        o = ord(ch)
        if 65 <= o <= 90:
            n = n * 26 + o - 64
        elif 97 <= o <= 122:
            n = n * 26 + o - 96
        else:
            break
    return n - 1


_MERGE_RE = re.compile(r"([A-Za-z]+)(\d+)")


def _xlsx_rows(book, target, table):
    """Yield (row number, values) of a worksheet, streamed with expat.

    Values as openpyxl gives them (str, int, float, bool, datetime for date-styled numbers), with
    formulas as ``Formula`` and error cells as ``ErrorValue``; merged ranges go to ``table.merged``.
    """
    from openpyxl.utils.datetime import from_excel

    shared = book.shared_strings
    date_styles = book.date_styles
    epoch = book.epoch
    ready = []
    local = {}
    state = {"row": None, "number": 0, "col": -1, "type": "n", "style": 0, "value": None, "formula": None, "text": False}
    buf = []

    def name_of(name):
        short = local.get(name)
        if short is None:
            short = local[name] = name.rpartition(" ")[2].rpartition(":")[2]
        return short

    def start(name, attrs):
        name = name_of(name)
        if name == "c":
            ref = attrs.get("r")
            state["col"] = _ref_index(ref) if ref else state["col"] + 1
            state["type"] = attrs.get("t", "n")
            style = attrs.get("s")
            state["style"] = int(style) if style else 0
            state["value"] = state["formula"] = None
        elif name == "v" or name == "t":
            buf.clear()
            state["text"] = True
        elif name == "f":
            buf.clear()
            state["text"] = True
            state["formula"] = "="
        elif name == "row":
            number = attrs.get("r")
            state["number"] = int(number) if number else state["number"] + 1
            state["row"] = []
            state["col"] = -1
        elif name == "mergeCell":
            ref = attrs.get("ref", "")
            m = _MERGE_RE.match(ref)
            if m:
                table.merged.append((ref, int(m[2]), _ref_index(m[1])))
        elif name == "rPh":
            state["text"] = False  # phonetic runs are not part of the value

    def end(name):
        name = name_of(name)
        if name == "v":
            state["value"] = "".join(buf)
            state["text"] = False
        elif name == "t":
            if state["text"]:
                state["value"] = (state["value"] or "") + "".join(buf)
            state["text"] = False
        elif name == "f":
            state["formula"] = "=" + "".join(buf)
            state["text"] = False
        elif name == "c":
            kind, value = state["type"], state["value"]
            if state["formula"] is not None:
                value = Formula(state["formula"])
            elif value is None:
                return
            elif kind == "s":
                value = shared[int(value)]
            elif kind == "n":
                value = float(value) if ("." in value or "E" in value or "e" in value) else int(value)
                if state["style"] in date_styles:
                    try:
                        value = from_excel(value, epoch)
                    except (ValueError, OverflowError):
                        pass
            elif kind == "b":
                value = value == "1"
            elif kind == "e":
                value = ErrorValue(value)
            elif kind == "d":
                try:
                    value = dt.datetime.fromisoformat(value.rstrip("Z"))
                except ValueError:
                    pass
            row, col = state["row"], state["col"]
            if row is None or col < 0:
                return
            if col >= len(row):
                row.extend([None] * (col - len(row) + 1))
            row[col] = value
        elif name == "row":
            ready.append((state["number"], state["row"]))
            state["row"] = None

    def chars(data):
        if state["text"]:
            buf.append(data)

    parser = expat.ParserCreate(namespace_separator=" ")
    parser.buffer_text = True
    parser.StartElementHandler = start
    parser.EndElementHandler = end
    parser.CharacterDataHandler = chars
    try:
        with book.archive.open(target) as src:
            while True:
                chunk = src.read(1 << 20)
                parser.Parse(chunk, not chunk)
                if ready:
                    yield from ready
                    ready.clear()
                if not chunk:
                    break
    except (expat.ExpatError, zipfile.BadZipFile, KeyError, EOFError, OSError, IndexError, ValueError):
        raise Refused([_damaged()])
    yield from ready


def _damaged():
    return problem(
        _("The workbook could not be read: it may be damaged. Open it in Excel or WPS, save it again and upload it."),
        code="damaged",
    )


# -- OpenDocument spreadsheets (.ods, as LibreOffice and WPS save them) ---------------------------

_ODS_MIME = b"application/vnd.oasis.opendocument.spreadsheet"
_OFFICE = "urn:oasis:names:tc:opendocument:xmlns:office:1.0 "
_TABLE = "urn:oasis:names:tc:opendocument:xmlns:table:1.0 "
_TEXT = "urn:oasis:names:tc:opendocument:xmlns:text:1.0 "
_STYLE = "urn:oasis:names:tc:opendocument:xmlns:style:1.0 "
_CONFIG = "urn:oasis:names:tc:opendocument:xmlns:config:1.0 "
MAX_SHEET_ROWS = 1048576  # Excel's and LibreOffice's last row
MAX_SHEET_COLUMNS = 16384


def _is_ods(path, names):
    if "mimetype" not in names:
        return False
    try:
        with zipfile.ZipFile(path) as archive:
            mime = _read_member(archive, "mimetype", limit=200)
    except (zipfile.BadZipFile, OSError, ValueError, EOFError):
        return False
    return mime is not None and mime.strip().startswith(_ODS_MIME)


def _expat_stream(archive, name, parser):
    """Feed a part of the zip to an expat parser in chunks, never more than the unpacked limit."""
    read = 0
    limit = max_unpacked_bytes()
    with archive.open(name) as src:
        while True:
            chunk = src.read(1 << 20)
            read += len(chunk)
            if read > limit:
                raise Refused([_damaged()])
            parser.Parse(chunk, not chunk)
            yield
            if not chunk:
                return


def _ods_active(archive):
    """The name of the active table (settings.xml's ActiveTable), or ""."""
    try:
        data = _read_member(archive, "settings.xml")
    except KeyError:
        return ""
    if data is None:
        return ""
    found = {"name": "", "in": False, "text": []}

    def start(name, attrs):
        if name == _CONFIG + "config-item" and attrs.get(_CONFIG + "name") == "ActiveTable" and not found["name"]:
            found["in"] = True

    def end(name):
        if found["in"] and name == _CONFIG + "config-item":
            found["name"] = "".join(found["text"])
            found["in"] = False

    def chars(text):
        if found["in"]:
            found["text"].append(text)

    parser = expat.ParserCreate(namespace_separator=" ")
    parser.StartElementHandler, parser.EndElementHandler, parser.CharacterDataHandler = start, end, chars
    try:
        parser.Parse(data, True)
    except expat.ExpatError:
        return ""
    return found["name"]


def _ods_sheets(archive):
    """[(name, index, visible)] of the tables in content.xml: a table is hidden when its style
    says ``table:display="false"`` (LibreOffice's Hide Sheet)."""
    hidden_styles, tables = set(), []
    state = {"style": None, "depth": 0}

    def start(name, attrs):
        if name == _STYLE + "style" and attrs.get(_STYLE + "family") == "table":
            state["style"] = attrs.get(_STYLE + "name")
        elif name == _STYLE + "table-properties" and state["style"] and attrs.get(_TABLE + "display") == "false":
            hidden_styles.add(state["style"])
        elif name == _TABLE + "table":
            if state["depth"] == 0:
                tables.append((attrs.get(_TABLE + "name", ""), len(tables), attrs.get(_TABLE + "style-name")))
            state["depth"] += 1

    def end(name):
        if name == _STYLE + "style":
            state["style"] = None
        elif name == _TABLE + "table":
            state["depth"] -= 1

    parser = expat.ParserCreate(namespace_separator=" ")
    parser.StartElementHandler, parser.EndElementHandler = start, end
    for _step in _expat_stream(archive, "content.xml", parser):
        pass
    return [(name, index, style not in hidden_styles) for name, index, style in tables]


def _ods_value(cell, text):
    """A cell's value as the XLSX reader gives it: str, int, float, bool, datetime or Formula."""
    formula = cell.get(_TABLE + "formula")
    if formula:
        return Formula("=" + formula.partition("=")[2] if "=" in formula else formula)
    kind = cell.get(_OFFICE + "value-type")
    if kind in ("float", "percentage", "currency"):
        value = cell.get(_OFFICE + "value", "")
        try:
            return int(value) if re.fullmatch(r"-?\d+", value) else float(value)
        except ValueError:
            return text
    if kind == "date":
        try:
            return dt.datetime.fromisoformat(cell.get(_OFFICE + "date-value", "").rstrip("Z"))
        except ValueError:
            return text
    if kind == "boolean":
        return cell.get(_OFFICE + "boolean-value") == "true"
    return text if text else None


def _ods_rows(archive, index, table):
    """Yield (row number, values) of the ``index``-th table of content.xml, streamed with expat.
    Repeated rows and cells (``number-rows-repeated``, ``number-columns-repeated``) are expanded
    when they hold something and only counted when empty (LibreOffice pads sheets with a million
    empty rows); merged cells (``number-columns-spanned``/``-rows-spanned``) go to ``table.merged``."""
    ready = []
    state = {"table": -1, "depth": 0, "number": 0, "row": None, "row_repeat": 1, "blanks": 0,
             "cell": None, "paragraphs": None, "note": 0}

    def here():
        return state["depth"] == 1 and state["table"] == index

    def start(name, attrs):
        if name == _TABLE + "table":
            if state["depth"] == 0:
                state["table"] += 1
            state["depth"] += 1
        elif not here():
            return
        elif name == _TABLE + "table-row":
            state["row"], state["blanks"] = [], 0
            state["row_repeat"] = max(1, int(attrs.get(_TABLE + "number-rows-repeated", "1") or 1))
        elif name in (_TABLE + "table-cell", _TABLE + "covered-table-cell") and state["row"] is not None:
            state["cell"] = (name, attrs)
            state["paragraphs"] = []
        elif name == _OFFICE + "annotation":
            state["note"] += 1
        elif state["cell"] is not None and not state["note"]:
            paragraphs = state["paragraphs"]
            if name == _TEXT + "p" or name == _TEXT + "h":
                paragraphs.append([])
            elif paragraphs and name == _TEXT + "s":
                paragraphs[-1].append(" " * int(attrs.get(_TEXT + "c", "1") or 1))
            elif paragraphs and name == _TEXT + "tab":
                paragraphs[-1].append("\t")
            elif paragraphs and name == _TEXT + "line-break":
                paragraphs[-1].append("\n")

    def end(name):
        if name == _TABLE + "table":
            state["depth"] -= 1
        elif not here():
            return
        elif name == _OFFICE + "annotation":
            state["note"] -= 1
        elif name in (_TABLE + "table-cell", _TABLE + "covered-table-cell") and state["cell"] is not None:
            kind, attrs = state["cell"]
            state["cell"] = None
            repeat = max(1, int(attrs.get(_TABLE + "number-columns-repeated", "1") or 1))
            text = "\n".join("".join(p) for p in state["paragraphs"])
            value = _ods_value(attrs, text) if kind == _TABLE + "table-cell" else None
            row = state["row"]
            column = len(row) + state["blanks"]
            if kind == _TABLE + "table-cell":
                across = int(attrs.get(_TABLE + "number-columns-spanned", "1") or 1)
                down = int(attrs.get(_TABLE + "number-rows-spanned", "1") or 1)
                if across > 1 or down > 1:
                    number = state["number"] + 1
                    ref = f"{col_letter(column)}{number}:{col_letter(column + across - 1)}{number + down - 1}"
                    table.merged.append((ref, number, column))
            if value is None or (value.__class__ is str and not value.strip()):
                state["blanks"] += repeat
                return
            repeat = min(repeat, MAX_SHEET_COLUMNS - column)
            if repeat <= 0:
                return
            row.extend([None] * state["blanks"])
            state["blanks"] = 0
            row.extend([value] * repeat)
        elif name == _TABLE + "table-row" and state["row"] is not None:
            row, repeat = state["row"], state["row_repeat"]
            state["row"] = None
            if not row:
                state["number"] += repeat
                return
            for _i in range(min(repeat, MAX_SHEET_ROWS - state["number"])):
                state["number"] += 1
                ready.append((state["number"], row))  # the same list: the importer does not change it

    def chars(data):
        if state["cell"] is not None and state["paragraphs"] and not state["note"]:
            state["paragraphs"][-1].append(data)

    parser = expat.ParserCreate(namespace_separator=" ")
    parser.buffer_text = True
    parser.StartElementHandler, parser.EndElementHandler, parser.CharacterDataHandler = start, end, chars
    try:
        for _step in _expat_stream(archive, "content.xml", parser):
            if ready:
                yield from ready
                ready.clear()
            if state["number"] >= MAX_SHEET_ROWS:
                break
    except (expat.ExpatError, zipfile.BadZipFile, KeyError, EOFError, OSError, ValueError):
        raise Refused([_damaged()])
    yield from ready


def _open_ods(path):
    """An OpenDocument spreadsheet: the visible table named 数据, else the active table (when
    visible), else the first visible one; its rows streamed from content.xml."""
    archive = zipfile.ZipFile(path)
    try:
        sheets = _ods_sheets(archive)
        active = _ods_active(archive)
    except Refused:
        archive.close()
        raise
    except (expat.ExpatError, zipfile.BadZipFile, KeyError, EOFError, OSError, ValueError):
        archive.close()
        raise Refused([_damaged()])
    chosen = _choose_sheet([(name, index, visible) for name, index, visible in sheets], active)
    if chosen is None:
        archive.close()
        raise Refused([problem(_("The workbook has no worksheet."), code="empty")])
    name, index, _visible = chosen
    table = Table("ods", None, estimated_rows=None, closer=archive.close, sheet=name)
    table.rows = _ods_rows(archive, index, table)
    return table


def estimate_rows(path):
    """A cheap guess of the number of data rows (to choose between the request and a task)."""
    try:
        kind = sniff(path)
    except Refused:
        return 0
    if kind == "csv":
        with open(path, "rb") as fh:
            count = sum(chunk.count(b"\n") for chunk in iter(lambda: fh.read(1 << 20), b""))
        return max(0, count - 1)
    try:
        with zipfile.ZipFile(path) as archive:
            if "content.xml" in archive.namelist():  # ODS: about 500 bytes a row
                return archive.getinfo("content.xml").file_size // 500
            sheets = [i for i in archive.infolist() if i.filename.startswith("xl/worksheets/") and i.filename.endswith(".xml")]
            if not sheets:
                return 0
            sheet = max(sheets, key=lambda i: i.file_size)
            with archive.open(sheet) as src:
                head = src.read(4096).decode("utf-8", "replace")
            m = re.search(r'<(?:\w+:)?dimension ref="[A-Z]+\d+:[A-Z]+(\d+)"', head)
            if m:  # a dimension may lie: a large sheet is not taken for a small one
                return max(0, int(m[1]) - 1, sheet.file_size // 2000)
            return sheet.file_size // 400
    except (zipfile.BadZipFile, OSError, KeyError):
        return 0


# ---------------------------------------------------------------------------------------------
# Column specs
# ---------------------------------------------------------------------------------------------


def _zh(text):
    with translation.override("zh-hans"):
        return str(text)


def _en(text):
    with translation.override("en"):
        return str(text)


class Column:
    """One column of a file: its header, how a cell is read, and what it fills."""

    def __init__(self, header, kind, parse, *, required=False, empty=None, help="", field=None, ref=None,
                 validators=(), choices=None, labels=(), aliases=(), mask=None):
        self.header = header
        self.kind = kind
        self.parse = parse
        self.required = required
        self.empty = empty
        self.help = help
        self.field = field
        self.ref = ref
        self.validators = list(validators)
        self.choices = choices
        self.labels = list(labels)
        self.aliases = aliases
        self.mask = mask
        self.position = 0
        self.index = None  # of the field among the model's concrete fields
        self.quantum = None  # decimals: written with the field's places (186.5 → 186.50), as stored
        self.places = None

    def __repr__(self):
        return f"<Column {self.header}>"


class F:
    """A plain model field: one column. ``header`` defaults to the field's Chinese verbose name."""

    def __init__(self, name, header=None, *, required=None, kind=None, help=""):
        self.name, self.header, self.required, self.kind, self.help = name, header, required, kind, help


class R:
    """A foreign key given by natural key: one or more columns, matched to ``lookups`` on the
    related model (a column may be shared with another foreign key, e.g. the township code)."""

    def __init__(self, name, headers, lookups, *, required=None, help="", select=(), public=None):
        self.name = name
        self.headers = [headers] if isinstance(headers, str) else list(headers)
        self.lookups = [lookups] if isinstance(lookups, str) else list(lookups)
        self.required, self.help, self.select, self.public = required, help, tuple(select), public


class M:
    """A many-to-many field given as a list of natural keys in one column."""

    def __init__(self, name, header, lookup, *, help=""):
        self.name, self.header, self.lookup, self.help = name, header, lookup, help


CODE_FIELDS_VALIDATED = ("validate_id_number", "validate_credit_code", "validate_mobile", "DivisionCodeValidator")
GEOGRAPHY = (vm.County, vm.Township, vm.Village, gm.Grid)


def _field_kind(field):
    if field.choices:
        return "choice"
    if isinstance(field, models.BooleanField):
        return "bool"
    if isinstance(field, models.DateTimeField):
        raise ValueError(f"{field} is a DateTimeField: not importable")
    if isinstance(field, models.DateField):
        return "date"
    if isinstance(field, models.DecimalField):
        return "decimal"
    if isinstance(field, models.IntegerField):
        return "int"
    names = {getattr(v, "__name__", type(v).__name__) for v in field.validators}
    if names & set(CODE_FIELDS_VALIDATED):
        return "code"
    return "text"


PARSERS = {"text": parse_text, "code": parse_code, "name": parse_name, "int": parse_int, "decimal": parse_decimal,
           "date": parse_date, "bool": parse_bool, "list": parse_code_list}


def _kind_help(kind, field=None):
    validators = getattr(field, "validators", ())
    if validate_id_number in validators:
        return _("An 18-character national ID number (the last may be X).")
    if validate_credit_code in validators:
        return _("An 18-character unified social credit code.")
    if validate_mobile in validators:
        return _("An 11-digit mobile number.")
    division = next((v for v in validators if isinstance(v, DivisionCodeValidator)), None)
    if division is not None:
        return _("A %(length)d-digit division code.") % {"length": division.length}
    if kind == "date":
        return _("A date: 2024-03-05, 2024/3/5 or 2024年3月5日.")
    if kind == "bool":
        return _("是 or 否.")
    if kind == "int":
        return _("A whole number.")
    if kind == "decimal":
        places = getattr(field, "decimal_places", 2)
        return _("A number with at most %(places)d decimal places.") % {"places": places}
    if kind == "choice":
        return _("One of the values listed (in the template, pick it from the list).")
    if kind in ("text", "code") and getattr(field, "max_length", None):
        return _("At most %(length)d characters.") % {"length": field.max_length}
    return ""


def column_help(column):
    """What to enter in a column, in the current language."""
    if column.help:
        return str(column.help)
    ref = column.ref
    if isinstance(ref, BoundM2M):
        target = _lookup_field(ref.model, ref.lookup)
        return _("The %(field)s of each %(model)s, separated by 、 or commas.") % {
            "field": target.verbose_name, "model": ref.model._meta.verbose_name}
    if isinstance(ref, BoundRef):
        lookup = ref.lookups[ref.columns.index(column)]
        target = _lookup_field(ref.model, lookup)
        owner = target.model._meta.verbose_name
        return _("The %(field)s of the %(owner)s (already recorded in the portal).") % {"field": target.verbose_name, "owner": owner}
    return _kind_help(column.kind, column.field)


@dataclass(eq=False)
class BoundRef:
    name: str
    field: object
    model: object
    columns: list
    lookups: list
    primary: list  # the columns that belong to this key alone (empty → no reference)
    required: bool
    public: bool
    select: tuple
    found: dict = None
    index: int = 0  # of the field among the model's concrete fields


@dataclass(eq=False)
class BoundM2M:
    name: str
    field: object
    model: object
    column: Column
    lookup: str
    found: dict = None


class Spec:
    """An importable entity: its model, its columns (template order), its natural key and rules."""

    def __init__(self, plural, model, key, items, *, examples, derived=(), notes="", frozen=None, checks=(), after_write=None,
                 key_help=""):
        self.plural = plural
        self.model = model
        self.key = tuple(key)
        self._items = items
        self.examples = examples
        self.derived = tuple(derived)
        self.notes = notes
        self.frozen = frozen or {}
        self.checks = tuple(checks)
        self.after_write = after_write
        self.key_help = key_help
        self._bound = False
        self._lock = threading.Lock()

    def __repr__(self):
        return f"<Spec {self.plural}>"

    # -- binding ------------------------------------------------------------------------------
    def bind(self):
        if self._bound:
            return self
        with self._lock:
            if not self._bound:
                self._bind()
        return self

    def _bind(self):
        opts = self.model._meta
        personal = privacy.personal_fields(self.model)
        columns, by_header, plain, refs, m2m = [], {}, [], [], []

        def add(column):
            if column.header in by_header:
                raise ValueError(f"{self.plural}: two columns named {column.header}")
            column.position = len(columns)
            columns.append(column)
            by_header[column.header] = column
            return column

        for item in self._items:
            if isinstance(item, F):
                f = opts.get_field(item.name)
                kind = item.kind or _field_kind(f)
                choices = labels = None
                parse = PARSERS.get(kind)
                if kind == "choice":
                    choices, labels = self._choice_map(f)
                    parse = _choice_parser(choices, labels)
                required = item.required if item.required is not None else (not f.blank and not f.has_default())
                if f.has_default():
                    empty = f.get_default()
                else:
                    empty = None if f.null else ("" if f.empty_strings_allowed else None)
                column = Column(
                    item.header or _zh(f.verbose_name), kind, parse, required=required, empty=empty,
                    help=item.help, field=f, validators=f.validators, choices=choices,
                    labels=labels or (), aliases=(f.name, _en(f.verbose_name)), mask=personal.get(f.attname),
                )
                plain.append(add(column))
            elif isinstance(item, R):
                f = opts.get_field(item.name)
                related = f.related_model
                own = []
                cols = []
                for header, lookup in zip(item.headers, item.lookups):
                    if header in by_header:
                        cols.append(by_header[header])
                        continue
                    target = _lookup_field(related, lookup)
                    kind = "name" if not isinstance(target, models.CharField) or not _is_code_field(target) else "code"
                    mask = privacy.personal_fields(target.model).get(target.attname)
                    column = add(Column(header, kind, PARSERS[kind], help=item.help, mask=mask))
                    own.append(column)
                    cols.append(column)
                required = item.required if item.required is not None else not f.null
                bound = BoundRef(item.name, f, related, cols, list(item.lookups), own, required,
                                 item.public if item.public is not None else related in GEOGRAPHY, item.select)
                for column in own:
                    column.ref = bound
                    column.required = required
                refs.append(bound)
            elif isinstance(item, M):
                f = opts.get_field(item.name)
                column = add(Column(item.header, "list", parse_code_list, help=item.help))
                bound = BoundM2M(item.name, f, f.related_model, column, item.lookup)
                column.ref = bound
                m2m.append(bound)
        self.columns, self.by_header, self.plain, self.refs, self.m2m = columns, by_header, plain, refs, m2m
        self.written = [c.field.attname for c in plain] + [r.field.attname for r in refs] + [
            opts.get_field(n).attname for n in self.derived
        ]
        self.key_attnames = tuple(opts.get_field(n).attname for n in self.key)
        missing = [a for a in self.key_attnames if a not in self.written]
        if missing:
            raise ValueError(f"{self.plural}: natural key fields {missing} are not columns")
        self.field_columns = {c.field.name: c for c in plain}
        for r in refs:
            self.field_columns[r.name] = (r.primary or r.columns)[0]
        for m in m2m:
            self.field_columns[m.name] = m.column
        self.uniques = self._unique_sets()
        self._match = self._header_keys()
        # Instances are built positionally (Django's fast ``__init__`` path): defaults first.
        concrete = list(opts.concrete_fields)
        index = {f.attname: i for i, f in enumerate(concrete)}
        self.defaults = [None if f.primary_key or not f.has_default() or callable(f.default) else f.get_default() for f in concrete]
        self.callable_defaults = [(i, f) for i, f in enumerate(concrete) if f.has_default() and callable(f.default)]
        for column in plain:
            column.index = index[column.field.attname]
            if column.kind == "decimal":
                column.quantum = Decimal(1).scaleb(-column.field.decimal_places)
                column.places = column.field.decimal_places
        for r in refs:
            r.index = index[r.field.attname]
        self._bound = True

    def _choice_map(self, f):
        mapping, labels = {}, []
        for value, label in f.flatchoices:
            if value in ("", None):
                continue
            zh, en = _zh(label), _en(label)
            labels.append(zh)
            for key in (value, zh, en):
                mapping.setdefault(choice_key(key), value)
        return mapping, labels

    def _unique_sets(self):
        """Unique field sets other than the natural key, whose fields are all columns."""
        opts = self.model._meta
        sets = []
        for f in opts.concrete_fields:
            if f.unique and not f.primary_key:
                sets.append((f.name,))
        for constraint in opts.constraints:
            if isinstance(constraint, models.UniqueConstraint) and constraint.fields and constraint.condition is None:
                sets.append(tuple(constraint.fields))
        for together in opts.unique_together:
            sets.append(tuple(together))
        out = []
        for names in sets:
            attnames = tuple(opts.get_field(n).attname for n in names)
            if set(attnames) == set(self.key_attnames) or not set(attnames) <= set(self.written):
                continue
            out.append((names, attnames))
        return out

    def _header_keys(self):
        exact, loose = {}, {}
        for column in self.columns:
            for text in (column.header, *column.aliases):
                exact.setdefault(choice_key(text), column)
        for column in self.columns:
            key = _loose(column.header)
            if key in loose and loose[key] is not column:
                loose[key] = None  # ambiguous: only the exact header matches
            else:
                loose[key] = column
        return exact, loose

    def match_header(self, text):
        exact, loose = self._match
        column = exact.get(choice_key(text))
        return column if column is not None else loose.get(_loose(text))

    # -- the template ---------------------------------------------------------------------------
    def example_row(self):
        return [self.examples.get(c.header, "") for c in self.columns]


def _loose(text):
    """A header without its unit, 其中, 是否 and a trailing 号码/号 (面积（平方米） → 面积)."""
    key = choice_key(text)
    key = re.sub(r"\(.*?\)|\[.*?\]", "", key).removeprefix("其中:").removeprefix("是否")
    return key.removesuffix("号码").removesuffix("号").rstrip("*") or choice_key(text)


def _is_code_field(f):
    names = {getattr(v, "__name__", type(v).__name__) for v in f.validators}
    return bool(names & set(CODE_FIELDS_VALIDATED)) or f.name in ("code", "parcel_code", "credit_code", "head_id_number", "id_number")


def _filtered_in(qs, lookup, values, size):
    """``qs`` filtered by ``lookup__in`` each chunk of ``values`` in turn; on PostgreSQL one query
    with the values as a single array parameter (40 queries of 5,000 parameters take 3 s for the
    county's parcels, one array 0.3 s)."""
    values = list(values)
    if not values:
        return
    connection = connections[qs.db]
    if connection.vendor == "postgresql" and len(values) > size:
        from django.db.models.expressions import RawSQL

        db_type = _lookup_field(qs.model, lookup).db_type(connection)
        yield qs.filter(**{f"{lookup}__in": RawSQL(f"SELECT unnest(%s::{db_type}[])", [values])})
        return
    for start in range(0, len(values), size):
        yield qs.filter(**{f"{lookup}__in": values[start : start + size]})


def _lookup_field(model, lookup):
    parts = lookup.split("__")
    for part in parts[:-1]:
        model = model._meta.get_field(part).related_model
    return model._meta.get_field(parts[-1])


def _choice_parser(mapping, labels):
    def parse(raw, epoch=None):
        s = _as_text(raw, CODE_TABLE)
        if not s:
            return EMPTY
        try:
            return mapping[choice_key(s)]
        except KeyError:
            raise CellError(_("“%(value)s” is not one of: %(choices)s.") % {"value": s, "choices": "、".join(labels)}, "choice")

    return parse


# ---------------------------------------------------------------------------------------------
# The import
# ---------------------------------------------------------------------------------------------


@dataclass
class ImportResult:
    entity: str
    total_rows: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    problems: list = field(default_factory=list)
    problem_count: int = 0
    written: bool = False
    dry_run: bool = False
    sheet: str = ""  # the worksheet read (XLSX and ODS)
    header_row: int = 0  # the row of the column headers

    @property
    def ok(self):
        return self.problem_count == 0

    def add(self, p):
        self.problem_count += 1
        if len(self.problems) < MAX_PROBLEMS:
            self.problems.append(p)

    def listed_problems(self):
        """The problems kept, and a last line saying how many more there are."""
        more = self.problem_count - len(self.problems)
        if more <= 0:
            return list(self.problems)
        return [*self.problems, problem(_("… and %(count)d more problems, not listed. Correct these and check the file again.")
                                         % {"count": more}, code="more")]

    def summary(self):
        if not self.ok:
            return _("%(count)d problems found; nothing was imported.") % {"count": self.problem_count}
        counts = {"total": self.total_rows, "created": self.created, "updated": self.updated, "unchanged": self.unchanged}
        if self.written:
            return _("Imported %(total)d rows: %(created)d created, %(updated)d updated, %(unchanged)d unchanged.") % counts
        return _("%(total)d rows checked: %(created)d would be created, %(updated)d updated, %(unchanged)d unchanged.") % counts


@dataclass(eq=False)
class Row:
    number: int
    values: list
    raw: list
    bad: bool = False
    obj: object = None
    key: tuple = None
    pk: int = None
    changes: dict = None
    m2m: dict = None
    m2m_before: dict = None


LOG_COLUMNS = ["time", "user_id", "user_name", "source", "action", "content_type_id", "object_id", "object_repr",
               "township_id", "prechange_data", "postchange_data"]


class Importer:
    """Check (and write) one file of one entity as one user."""

    def __init__(self, spec, user, *, progress=None, source=None):
        self.spec = spec.bind()
        self.model = spec.model
        self.user = user
        self.progress = progress or (lambda fraction: None)
        self.source = source or audit.current_actor()[1]
        self.result = ImportResult(spec.plural)
        self.may_add = permission_filter(user, self.model, "add")
        self.may_change = permission_filter(user, self.model, "change")
        self._reported_columns = set()
        self._townships = None

    # -- helpers ---------------------------------------------------------------------------------
    def refuse_unless_permitted(self):
        if self.may_add is False:
            raise PermissionDenied(_("You may not import %(what)s.") % {"what": self.model._meta.verbose_name_plural})

    def row_problem(self, row, column, message, code="invalid", value=None):
        row.bad = True
        if column is None:
            self.result.add(problem(message, row.number, code=code))
            return
        raw = row.raw[column.position] if value is None else value
        raw = masked_cell(column.mask, raw) if raw is not None else raw
        self.result.add(problem(message, row.number, column.header, self.letters.get(column.position, ""), raw, code))

    def township_name(self, pk):
        if self._townships is None:
            self._townships = dict(vm.Township._base_manager.values_list("pk", "name"))
        return self._townships.get(pk, "—")

    def chunk_size(self):
        connection = connections[router.db_for_read(self.model)]
        return max(100, min(5000, (connection.features.max_query_params or 5000) - 50))

    # -- the whole run ---------------------------------------------------------------------------
    def run(self, path, *, commit):
        self.refuse_unless_permitted()
        result = self.result
        try:
            table = open_table(path)
        except Refused as exc:
            for p in exc.problems:
                result.add(p)
            return result
        result.sheet = table.sheet
        try:
            rows = self.read(table)
        except Refused as exc:
            for p in exc.problems:
                result.add(p)
            return result
        finally:
            table.close()
        result.total_rows = len(rows)
        if not rows and result.ok:
            result.add(problem(_("The file has no data rows below the column headers."), code="no_rows"))
        if result.ok or result.problem_count < MAX_PROBLEMS:
            self.check(rows)
        result.problems.sort(key=lambda p: (p["row"] or 0, len(p["col"]), p["col"]))
        self.progress(0.9 if commit else 1.0)
        if result.ok and commit:
            self.write(rows)
            result.written = True
        else:
            result.dry_run = not commit
        self.progress(1.0)
        return result

    # -- pass 1: read and parse --------------------------------------------------------------------
    def read(self, table):
        spec = self.spec
        rows = []
        header = None
        mapping = []
        epoch = table.epoch
        estimated = max(1, table.estimated_rows or 1)
        count = 0
        unheaded = {}
        source = iter(table.rows)
        first = self.find_header(source)
        if first is not None:
            header, raw, following = first
            self.result.header_row = header
            mapping = self.match_headers(raw, header)
            self.example = self.parse_example(epoch)
            source = itertools.chain(following, source)
        for number, raw in source:
            if not raw or all(_is_blank(v) for v in raw):
                continue
            count += 1
            if count % PROGRESS_EVERY == 0:
                self.progress(min(1.0, count / estimated) * 0.4)
            values = [EMPTY] * len(spec.columns)
            cells = [None] * len(spec.columns)
            row = Row(number, values, cells)
            width = len(mapping)
            for index, value in enumerate(raw):
                if index >= width or mapping[index] is None:
                    if not _is_blank(value) and index not in unheaded:
                        unheaded[index] = number
                        self.result.add(problem(
                            _("This cell is in a column without a header. Delete the column or give it one of the template's headers."),
                            number, "", col_letter(index), value, "extra_column",
                        ))
                        row.bad = True
                    continue
                column = mapping[index]
                cells[column.position] = value
                cls = value.__class__
                if cls is str:
                    pass
                elif cls is Formula:
                    self.row_problem(row, column, _("This cell holds a formula (%(formula)s). Copy the cells and paste them as values (选择性粘贴 → 数值), then import again.") % {"formula": value[:60]}, "formula")
                    values[column.position] = INVALID
                    continue
                if cls is ErrorValue:
                    self.row_problem(row, column, _("This cell shows an error (%(error)s).") % {"error": value}, "error_cell")
                    values[column.position] = INVALID
                    continue
                try:
                    values[column.position] = column.parse(value, epoch)
                except CellError as exc:
                    values[column.position] = INVALID
                    self.row_problem(row, column, exc.message, exc.code)
            for column in spec.columns:
                if values[column.position] is EMPTY and column.required and column.ref is None:
                    self.row_problem(row, column, _("Fill in this cell: the column is required."), "required")
            if self.example is not None and values == self.example:
                self.row_problem(row, None, _("This is the template's example row: delete it before importing."), "example_row")
            rows.append(row)
        if header is None:
            raise Refused([problem(_("The file is empty."), code="empty")])
        for ref, number, index in table.merged:
            if number < header:
                continue  # a title above the headers
            self.result.add(problem(
                _("Merged cells (%(range)s) cannot be imported: unmerge them and fill in every cell.") % {"range": ref},
                number, "", col_letter(index), "", "merged",
            ))
        self.progress(0.4)
        return rows

    def find_header(self, source):
        """The header row among the first non-empty rows: the one that names the most template
        columns (the first of them on a tie; the first non-empty row when none names any), so that
        a title row or two above the headers is skipped. Returns (row number, cells, the rows read
        after it) or None for an empty sheet."""
        head = []
        for number, raw in source:
            if not raw or all(_is_blank(v) for v in raw):
                continue
            head.append((number, raw))
            if len(head) == HEADER_SCAN_ROWS:
                break
        if not head:
            return None
        best, best_score = 0, 0
        for i, (_number, raw) in enumerate(head):
            matched = set()
            for text in raw:
                if not _is_blank(text) and isinstance(text, str):
                    column = self.spec.match_header(_as_text(text, TEXT_TABLE))
                    if column is not None:
                        matched.add(column.position)
            if len(matched) > best_score:
                best, best_score = i, len(matched)
        number, raw = head[best]
        return number, raw, head[best + 1:]

    def match_headers(self, raw, number):
        spec = self.spec
        mapping, seen, problems = [], {}, []
        self.letters = {}
        for index, text in enumerate(raw):
            if _is_blank(text):
                mapping.append(None)
                continue
            text = _as_text(text, TEXT_TABLE)
            column = spec.match_header(text)
            if column is None:
                problems.append(problem(
                    _("Unknown column “%(header)s”: the template has no such column. Rename it to a template header or delete it.")
                    % {"header": text}, number, text, col_letter(index), text, "unknown_column",
                ))
                mapping.append(None)
                continue
            if column.position in seen:
                problems.append(problem(
                    _("The column “%(header)s” appears twice (columns %(first)s and %(second)s).")
                    % {"header": column.header, "first": col_letter(seen[column.position]), "second": col_letter(index)},
                    number, column.header, col_letter(index), text, "duplicate_column",
                ))
                mapping.append(None)
                continue
            seen[column.position] = index
            self.letters[column.position] = col_letter(index)
            mapping.append(column)
        for column in spec.columns:
            if column.position not in seen:
                problems.append(problem(
                    _("The column “%(header)s” is missing. Download the template to see every column.") % {"header": column.header},
                    number, column.header, "", "", "missing_column",
                ))
        if problems:
            raise Refused(problems)
        return mapping

    def parse_example(self, epoch):
        values = []
        for column in self.spec.columns:
            raw = self.spec.examples.get(column.header, "")
            try:
                values.append(column.parse(raw, epoch))
            except CellError:
                return None
        return values

    # -- pass 2: references, rules, keys -------------------------------------------------------------
    def check(self, rows):
        spec = self.spec
        total = max(1, len(rows))
        self.load_refs(rows)
        self.progress(0.45)
        for i, row in enumerate(rows, start=1):
            self.build(row)
            if i % PROGRESS_EVERY == 0:
                self.progress(0.45 + 0.3 * i / total)
        self.progress(0.75)
        existing = self.load_existing(rows)
        uniques = self.load_uniques(rows)
        m2m_existing = self.load_m2m(existing)
        self.progress(0.8)
        seen = {}
        seen_unique = [{} for _ in uniques]
        for i, row in enumerate(rows, start=1):
            self.match(row, existing, seen, uniques, seen_unique, m2m_existing)
            if i % PROGRESS_EVERY == 0:
                self.progress(0.8 + 0.05 * i / total)
        for check in spec.checks:
            check(self, rows)
        result = self.result
        for row in rows:
            if row.bad or row.obj is None:
                continue
            if row.pk is None:
                result.created += 1
            elif row.changes or row.m2m_before is not None:
                result.updated += 1
            else:
                result.unchanged += 1
        if not result.ok:
            result.created = result.updated = result.unchanged = 0

    def load_refs(self, rows):
        """Load every referenced record once, by natural key (a query per chunk of keys)."""
        size = self.chunk_size()
        for ref in self.spec.refs:
            keys = set()
            positions = [c.position for c in ref.columns]
            for row in rows:
                key = tuple(row.values[p] for p in positions)
                if all(v is not EMPTY and v is not INVALID for v in key):
                    keys.add(key)
            ref.found = self._load_by_lookups(ref.model, ref.lookups, keys, ref.public, ref.select, size)
        for m in self.spec.m2m:
            keys = set()
            for row in rows:
                value = row.values[m.column.position]
                if value is not EMPTY and value is not INVALID:
                    keys.update((k,) for k in value)
            m.found = self._load_by_lookups(m.model, [m.lookup], keys, m.model in GEOGRAPHY, (), size)

    def _load_by_lookups(self, model, lookups, keys, public, select, size):
        found = {}
        if not keys:
            return found
        qs = model._base_manager.all()
        if not public:
            allowed = permission_filter(self.user, model, "view")
            if allowed is False:
                return found
            if allowed is not True:
                qs = qs.filter(allowed)
        relations = {lk.rpartition("__")[0] for lk in lookups if "__" in lk} | set(select)
        scope = getattr(model, "scope_path", None)
        if scope and "__" in scope:
            relations.add(scope.rpartition("__")[0])
        if relations:
            qs = qs.select_related(*sorted(relations))
        first = lookups[0]
        normalizers = [PARSERS["code" if _is_code_field(_lookup_field(model, lk)) else "name"] for lk in lookups]
        for chunk in _filtered_in(qs, first, sorted({k[0] for k in keys}), size):
            for obj in chunk:
                key = []
                for lookup, normalize in zip(lookups, normalizers):
                    value = obj
                    for part in lookup.split("__"):
                        value = getattr(value, part, None) if value is not None else None
                    value = normalize(value) if value is not None else EMPTY
                    key.append(value)
                found.setdefault(tuple(key), []).append(obj)
        return found

    def build(self, row):
        """The model instance of a row: values, references, field validators and ``clean()``."""
        spec = self.spec
        values = row.values
        fields = spec.defaults[:]
        for i, f in spec.callable_defaults:
            fields[i] = f.get_default()
        for column in spec.plain:
            value = values[column.position]
            if value is INVALID:
                continue
            if value is EMPTY:
                value = column.empty
            else:
                valid = True
                for validator in column.validators:
                    try:
                        validator(value)
                    except ValidationError as exc:
                        valid = False
                        for message in exc.messages:
                            self.row_problem(row, column, message, "validator")
                if valid and column.places is not None and value.as_tuple().exponent > -column.places:
                    value = value.quantize(column.quantum)
            fields[column.index] = value
        targets = []
        for ref in spec.refs:
            target = self.resolve(row, ref)
            if target is not None:
                fields[ref.index] = target.pk
                targets.append((ref.field, target))
        obj = self.model(*fields)
        for f, target in targets:
            f.set_cached_value(obj, target)
        for m in spec.m2m:
            value = values[m.column.position]
            if value is INVALID:
                continue
            targets = []
            missing = []
            for code in () if value is EMPTY else value:
                hits = m.found.get((code,))
                if hits:
                    targets.append(hits[0])
                else:
                    missing.append(code)
            if missing:
                self.row_problem(row, m.column, _("No %(model)s with the code %(codes)s.") % {
                    "model": m.model._meta.verbose_name, "codes": "、".join(missing)}, "not_found")
            row.m2m = {**(row.m2m or {}), m.name: sorted(t.pk for t in targets)}
        if not row.bad:
            try:
                obj.clean()
            except ValidationError as exc:
                self.clean_problems(row, exc)
            except (TypeError, ValueError, AttributeError, ArithmeticError) as exc:
                self.row_problem(row, None, _("This row could not be checked: %(error)s") % {"error": exc}, "clean")
        row.obj = obj
        key = tuple(getattr(obj, a) for a in spec.key_attnames)
        # An empty text part is a key only when it is meant to be empty (a project loan has no
        # borrower ID number), not when the cell could not be read.
        if not any(v is None for v in key) and not (row.bad and "" in key):
            row.key = key

    def resolve(self, row, ref):
        values = [row.values[c.position] for c in ref.columns]
        if any(v is INVALID for v in values):
            return None
        own = [row.values[c.position] for c in ref.primary] if ref.primary else values
        if all(v is EMPTY for v in own):
            if ref.required:
                self.row_problem(row, (ref.primary or ref.columns)[0], _("Fill in this cell: the column is required."), "required")
            return None
        for column, value in zip(ref.columns, values):
            if value is EMPTY:
                self.row_problem(row, column, _("Fill in this cell as well: it is part of the %(what)s.") % {
                    "what": ref.field.verbose_name}, "required")
                return None
        hits = ref.found.get(tuple(values))
        column = (ref.primary or ref.columns)[0]
        shown = " / ".join(masked_cell(c.mask, v) for c, v in zip(ref.columns, values))
        if not hits:
            self.row_problem(row, column, _("No %(model)s found for “%(value)s”.") % {
                "model": ref.model._meta.verbose_name, "value": shown}, "not_found")
            return None
        if len(hits) > 1:
            self.row_problem(row, column, _("Several %(model)s match “%(value)s”: change them on the website instead.") % {
                "model": ref.model._meta.verbose_name_plural, "value": shown}, "ambiguous")
            return None
        return hits[0]

    def clean_problems(self, row, exc):
        spec = self.spec
        if hasattr(exc, "error_dict"):
            for name, errors in exc.error_dict.items():
                column = None if name == NON_FIELD_ERRORS else spec.field_columns.get(name)
                for error in errors:
                    for message in error.messages:
                        self.row_problem(row, column, message, "clean")
        else:
            for message in exc.messages:
                self.row_problem(row, None, message, "clean")

    def load_existing(self, rows):
        """{natural key: [(pk, township id, *written values)]} of the records the file names."""
        spec = self.spec
        keys = [row.key for row in rows if row.key is not None]
        if not keys:
            return {}
        width = len(spec.key_attnames)
        distinct = [len({k[i] for k in keys}) for i in range(width)]
        pick = max(range(width), key=lambda i: distinct[i])
        attname = spec.key_attnames[pick]
        values = list({k[pick] for k in keys} - {None})
        scope = self.model.scope_path or "pk"
        fields = ["pk", scope, *spec.written]
        positions = [spec.written.index(a) + 2 for a in spec.key_attnames]
        existing = {}
        size = self.chunk_size()
        qs = self.model._base_manager.order_by()
        for chunk in _filtered_in(qs, attname, values, size):
            for record in chunk.values_list(*fields):
                existing.setdefault(tuple(record[p] for p in positions), []).append(record)
        return existing

    def load_uniques(self, rows):
        """For each other unique set: {values: pk} of existing records sharing a value with the file."""
        out = []
        size = self.chunk_size()
        for names, attnames in self.spec.uniques:
            first = attnames[0]
            values = sorted({getattr(row.obj, first) for row in rows if row.obj is not None} - {None, ""}, key=str)
            known = {}
            scope = self.model.scope_path or "pk"
            for chunk in _filtered_in(self.model._base_manager.order_by(), first, values, size):
                for record in chunk.values_list("pk", scope, *attnames):
                    known[tuple(record[2:])] = (record[0], record[1] if scope != "pk" else None)
            out.append((names, attnames, known))
        return out

    def load_m2m(self, existing):
        if not self.spec.m2m:
            return {}
        pks = [records[0][0] for records in existing.values() if len(records) == 1]
        out = {}
        for m in self.spec.m2m:
            through = m.field.remote_field.through
            source = m.field.m2m_field_name() + "_id"
            target = m.field.m2m_reverse_field_name() + "_id"
            links = {}
            for chunk in _filtered_in(through._default_manager.order_by(), source, pks, self.chunk_size()):
                for a, b in chunk.values_list(source, target):
                    links.setdefault(a, set()).add(b)
            out[m.name] = links
        return out

    def scope_column(self):
        path = self.model.scope_path or ""
        first = path.split("__")[0]
        return self.spec.field_columns.get(first)

    def match(self, row, existing, seen, uniques, seen_unique, m2m_existing):
        spec, obj = self.spec, row.obj
        if obj is None:
            return
        # Scope of the record as the file states it.
        refused = False
        if self.may_add is not True:
            township = audit.township_id_of(obj)
            if (township is not None or not row.bad) and township != self.user.township_id:
                column = self.scope_column()
                what = self._scope_object(obj)
                if township is None:
                    message = _("Only county users may import records without a township.")
                else:
                    # Another township is never named (what the file states is shown, not where it is).
                    message = _("%(what)s is not in your township: you may import only records of %(own)s.") % {
                        "what": what, "own": self.township_name(self.user.township_id)}
                self.row_problem(row, column, message, "scope")
                refused = True
        key = row.key
        if key is None:
            return
        first = seen.get(key)
        if first is not None:
            self.row_problem(row, self._key_column(), _("Rows %(first)d and %(row)d are the same record (%(key)s): keep one of them.") % {
                "first": first, "row": row.number, "key": self._key_text(row)}, "duplicate_row")
            return
        seen[key] = row.number
        records = existing.get(key, ())
        if len(records) > 1:
            self.row_problem(row, self._key_column(), _("Several existing records match %(key)s: change them on the website instead.") % {
                "key": self._key_text(row)}, "ambiguous")
            return
        if records:
            record = records[0]
            row.pk = record[0]
            own = self.may_change is True or (record[1] is not None and record[1] == self.user.township_id)
            if self.may_change is False or not own:
                if refused:
                    return  # one message for the row is enough
                if own:
                    message = _("The existing record %(key)s belongs to %(township)s: you may not change it.") % {
                        "key": self._key_text(row), "township": self.township_name(record[1])}
                else:
                    # Neither whether nor where the record exists is told: a record out of the
                    # user's reach gets the message a unique conflict with it would get.
                    message = self._out_of_reach(spec.key)
                self.row_problem(row, self._key_column(), message, "scope")
                return
            changes = {}
            for attname, before in zip(spec.written, record[2:]):
                after = getattr(obj, attname)
                if before != after:
                    changes[attname] = (before, after)
            row.changes = changes
            for name, message in spec.frozen.items():
                attname = self.model._meta.get_field(name).attname
                if attname in changes:
                    self.row_problem(row, spec.field_columns.get(name), message, "frozen")
            for m in spec.m2m:
                before = sorted(m2m_existing.get(m.name, {}).get(row.pk, ()))
                if row.m2m is not None and sorted(row.m2m.get(m.name, [])) != before:
                    row.m2m_before = {**(row.m2m_before or {}), m.name: before}
        for (names, attnames, known), seen_here in zip(uniques, seen_unique):
            values = tuple(getattr(obj, a) for a in attnames)
            if any(v is None or v == "" for v in values):
                continue
            column = spec.field_columns.get(names[-1])
            other, township = known.get(values, (None, None))
            label = "、".join(str(self.model._meta.get_field(n).verbose_name) for n in names)
            if other is not None and other != row.pk:
                if self.may_change is True or (township is not None and township == self.user.township_id):
                    message = _("Another record already has this %(fields)s.") % {"fields": label}
                else:
                    message = self._out_of_reach(names)
                self.row_problem(row, column, message, "unique")
            elif values in seen_here:
                self.row_problem(row, column, _("Rows %(first)d and %(row)d have the same %(fields)s.") % {
                    "first": seen_here[values], "row": row.number, "fields": label}, "unique")
            else:
                seen_here[values] = row.number

    def _scope_object(self, obj):
        path = (self.model.scope_path or "").split("__")
        if len(path) > 1:
            target = getattr(obj, path[0], None)
            if target is not None:
                return f"{target._meta.verbose_name}“{target}”"
        return _("This record")

    def _key_column(self):
        return self.spec.field_columns.get(self.spec.key[0])

    def _key_text(self, row):
        parts = []
        for name in self.spec.key:
            column = self.spec.field_columns.get(name)
            if column is not None:
                parts.append(f"{column.header} {masked_cell(column.mask, row.raw[column.position])}")
        return "，".join(parts)

    def _out_of_reach(self, names):
        """The message for a key or unique value held by a record the user may not see or change."""
        headers = []
        for name in names:
            column = self.spec.field_columns.get(name)
            header = column.header if column is not None else str(self.model._meta.get_field(name).verbose_name)
            if header not in headers:
                headers.append(header)
        return _("This %(fields)s cannot be imported by your township: check it with the county.") % {"fields": "、".join(headers)}

    # -- writing ---------------------------------------------------------------------------------
    def write(self, rows):
        model = self.model
        creates = [row for row in rows if row.pk is None]
        updates = [row for row in rows if row.pk is not None and row.changes]
        m2m_rows = [row for row in rows if row.m2m and (row.pk is None or row.m2m_before is not None)]
        alias = router.db_for_write(model)
        with transaction.atomic(using=alias), audit.actor(self.user, self.source):
            # The rights are read again inside the transaction that writes.
            if creates and permission_filter(self.user, model, "add") != self.may_add:
                raise PermissionDenied
            if updates and permission_filter(self.user, model, "change") != self.may_change:
                raise PermissionDenied
            now = timezone.now()
            for row in rows:
                if row.pk is not None:
                    row.obj.pk = row.pk
            # Updates first: they may free a unique value a new record takes (the previous
            # secretary's term ended in the same file as the next one begins).
            if updates:
                self.update(updates, now, alias)
                self.log_updates(updates, now, alias)
            objs = [row.obj for row in creates]
            if objs:
                self.insert(objs, now, alias)
                self.log_creates(objs, now, alias)
            if m2m_rows:
                self.write_m2m(m2m_rows, now)
            if self.spec.after_write:
                self.spec.after_write(self, creates, updates)
            self.reindex(creates, updates)
        self.progress(1.0)

    def reindex(self, creates, updates):
        """The global search index (``wenshang.search``) of new and changed villages, people,
        enterprises and projects: bulk writes bypass its signals."""
        from . import search

        kind = search.kind_of(self.model)
        if kind is None:
            return
        search.index_objects([row.obj for row in (*creates, *updates)])
        if kind == "village":  # people show their village's name: follow a rename
            renamed = {row.pk: row.obj.name for row in updates if "name" in row.changes}
            if renamed:
                from django.contrib.contenttypes.models import ContentType

                people = ContentType.objects.get_for_model(tm.Person)
                for pk, name in renamed.items():
                    SearchEntry.objects.filter(
                        content_type=people, object_id__in=tm.Person._base_manager.filter(village_id=pk).values("pk")
                    ).update(detail=name)

    def insert(self, objs, now, alias):
        model = self.model
        ids = reserve_ids(model, len(objs), alias)
        fields = list(model._meta.concrete_fields)
        stamped = [f.attname for f in fields if getattr(f, "auto_now", False) or getattr(f, "auto_now_add", False)]
        for obj, pk in zip(objs, ids):
            obj.pk = pk
            for attname in stamped:
                obj.__dict__[attname] = now
            obj._state.adding = False
            obj._state.db = alias
        columns = [f.attname for f in fields]
        write_rows(model, columns, [tuple(obj.__dict__.get(c) for c in columns) for obj in objs], alias)

    def log_creates(self, objs, now, alias):
        """A create entry per new record: the rows ``audit.log_bulk_create`` writes (the same
        ``audit.serialize``, ``str`` and township; a test compares them), by ``write_rows``."""
        from django.contrib.contenttypes.models import ContentType

        user = self.user
        content_type = ContentType.objects.get_for_model(self.model).pk
        source = self.source[:100]
        entries = [
            (now, user.pk, user.username, source, "create", content_type, str(obj.pk), str(obj)[:200],
             audit.township_id_of(obj), None, audit.serialize(obj))
            for obj in objs
        ]
        write_rows(ObjectChange, LOG_COLUMNS, entries, alias)

    def update(self, rows, now, alias):
        """Write the imported fields of changed records: UPDATE … FROM a COPY-filled temporary
        table on PostgreSQL, ``executemany`` elsewhere."""
        model = self.model
        opts = model._meta
        connection = connections[alias]
        attnames = list(self.spec.written)
        fields = [next(f for f in opts.concrete_fields if f.attname == a) for a in attnames]
        stamp = [f for f in opts.concrete_fields if getattr(f, "auto_now", False)]
        qn = connection.ops.quote_name
        table = qn(opts.db_table)
        pk = qn(opts.pk.column)
        if connection.vendor == "postgresql":  # COPY text: the values as they are
            values = [[row.obj.__dict__.get(a) for a in attnames] + [row.pk] for row in rows]
        else:
            values = [[f.get_db_prep_save(getattr(row.obj, f.attname), connection) for f in fields] + [row.pk] for row in rows]
        stamp_sql = "".join(f", {qn(f.column)} = %s" for f in stamp)
        stamp_params = [connection.ops.adapt_datetimefield_value(now)] * len(stamp)
        with connection.cursor() as cursor:
            if connection.vendor == "postgresql":
                temp = qn(f"import_{opts.db_table}"[:60])
                cols = ", ".join(f"{qn(f.column)} {f.db_type(connection)}" for f in fields)
                cursor.execute(f"CREATE TEMPORARY TABLE {temp} ({cols}, import_pk bigint) ON COMMIT DROP")
                cursor.cursor.copy_expert(f"COPY {temp} FROM STDIN", _CopyStream(_copy_lines(values)), size=65536)
                sets = ", ".join(f"{qn(f.column)} = s.{qn(f.column)}" for f in fields)
                cursor.execute(
                    f"UPDATE {table} SET {sets}{stamp_sql} FROM {temp} s WHERE {table}.{pk} = s.import_pk", stamp_params
                )
                cursor.execute(f"DROP TABLE {temp}")
            else:
                sets = ", ".join(f"{qn(f.column)} = %s" for f in fields)
                sql = f"UPDATE {table} SET {sets}{stamp_sql} WHERE {pk} = %s"
                params = [v[:-1] + stamp_params + v[-1:] for v in values]
                for start in range(0, len(params), 2000):
                    cursor.executemany(sql, params[start : start + 2000])

    def log_updates(self, rows, now, alias):
        """One change-log entry per changed record: the changed fields before and after."""
        from django.contrib.contenttypes.models import ContentType

        user, source = self.user, self.source[:100]
        content_type = ContentType.objects.get_for_model(self.model).pk
        entries = []
        for row in rows:
            before = audit.serialize(row.obj, {a: b for a, (b, _after) in row.changes.items()})
            after = audit.serialize(row.obj, {a: v for a, (_before, v) in row.changes.items()})
            if row.m2m_before:
                before.update(row.m2m_before)
                after.update({k: row.m2m[k] for k in row.m2m_before})
            entries.append((now, user.pk, user.username, source, "update", content_type, str(row.pk), str(row.obj)[:200],
                            audit.township_id_of(row.obj), before, after))
        write_rows(ObjectChange, LOG_COLUMNS, entries, alias)

    def write_m2m(self, rows, now):
        from django.contrib.contenttypes.models import ContentType

        entries = []
        content_type = ContentType.objects.get_for_model(self.model).pk
        for m in self.spec.m2m:
            through = m.field.remote_field.through
            source = m.field.m2m_field_name() + "_id"
            target = m.field.m2m_reverse_field_name() + "_id"
            add = []
            for row in rows:
                after = row.m2m.get(m.name, [])
                before = (row.m2m_before or {}).get(m.name, []) if row.pk is not None else []
                pk = row.obj.pk
                removed = set(before) - set(after)
                if removed:
                    through._default_manager.filter(**{source: pk, f"{target}__in": removed}).delete()
                add += [through(**{source: pk, target: t}) for t in sorted(set(after) - set(before))]
                if (row.pk is None and after) or (row.pk is not None and not row.changes):
                    # New records, and records whose only change is this list: an update entry as
                    # the web form's m2m_changed signal writes.
                    entries.append((now, self.user.pk, self.user.username, self.source[:100], "update", content_type, str(pk),
                                    str(row.obj)[:200], audit.township_id_of(row.obj),
                                    None if row.pk is None else {m.name: before}, {m.name: after}))
            through._default_manager.bulk_create(add, batch_size=1000)
        insert_rows(ObjectChange, LOG_COLUMNS, entries)


_COPY_ESCAPES = str.maketrans({"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r"})
_COPY_SPECIAL = re.compile(r"[\\\t\n\r]")


def _copy_text(value):
    """One value in PostgreSQL's COPY text format (``translate`` only when there is something to
    escape: on long Chinese text it costs 10 s for the change log of 199,900 parcels)."""
    if value is None:
        return "\\N"
    if value is True:
        return "t"
    if value is False:
        return "f"
    text = value if value.__class__ is str else str(value)
    if _COPY_SPECIAL.search(text) is None:
        return text
    return text.translate(_COPY_ESCAPES)


class _CopyStream:
    """A file-like object handing COPY text to psycopg2 as it is made, so that PostgreSQL (another
    process) parses and indexes one part while Python prepares the next."""

    def __init__(self, lines):
        self.lines = iter(lines)

    def read(self, size=-1):
        chunk = []
        length = 0
        for line in self.lines:
            chunk.append(line)
            length += len(line)
            if length >= 65536:
                break
        return "".join(chunk)

    readline = read


def _copy_lines(rows, json_columns=()):
    from django.core.serializers.json import DjangoJSONEncoder

    for row in rows:
        if json_columns:
            row = list(row)
            for i in json_columns:
                if row[i] is not None:
                    row[i] = json.dumps(row[i], cls=DjangoJSONEncoder, ensure_ascii=False)
        yield "\t".join(map(_copy_text, row)) + "\n"


def write_rows(model, columns, rows, alias):
    """INSERT ``rows`` (tuples in ``columns`` order, by attname): COPY on PostgreSQL with the
    escaping above, ``wenshang.bulk.insert_rows`` elsewhere."""
    connection = connections[alias]
    if connection.vendor != "postgresql":
        return insert_rows(model, columns, rows)
    fields = [next(f for f in model._meta.concrete_fields if f.attname == c or f.name == c) for c in columns]
    json_columns = [i for i, f in enumerate(fields) if isinstance(f, models.JSONField)]
    qn = connection.ops.quote_name
    sql = f"COPY {qn(model._meta.db_table)} ({', '.join(qn(f.column) for f in fields)}) FROM STDIN"
    with connection.cursor() as cursor:
        cursor.cursor.copy_expert(sql, _CopyStream(_copy_lines(rows, json_columns)), size=65536)
    return len(rows)


def reserve_ids(model, count, alias):
    """``count`` new primary keys: from the sequence on PostgreSQL (safe beside other writers),
    after the largest id elsewhere (SQLite writes one transaction at a time)."""
    connection = connections[alias]
    opts = model._meta
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                "SELECT nextval(pg_get_serial_sequence(%s, %s)) FROM generate_series(1, %s)",
                [opts.db_table, opts.pk.column, count],
            )
            return [r[0] for r in cursor.fetchall()]
        cursor.execute(f"SELECT MAX({connection.ops.quote_name(opts.pk.column)}) FROM {connection.ops.quote_name(opts.db_table)}")
        start = (cursor.fetchone()[0] or 0) + 1
        return list(range(start, start + count))


# ---------------------------------------------------------------------------------------------
# Entity rules
# ---------------------------------------------------------------------------------------------


def _one_current_secretary(importer, rows):
    """A village has at most one current secretary (no end date), counting those already recorded."""
    current = {}
    ending = {row.pk for row in rows if row.pk is not None and row.obj is not None and row.obj.end_date is not None}
    villages = {row.obj.village_id for row in rows if row.obj is not None and row.obj.end_date is None and row.obj.village_id}
    recorded = {}
    for pk, village_id, name in tm.VillageSecretary._base_manager.filter(village_id__in=villages, end_date__isnull=True).values_list(
        "pk", "village_id", "person__name"
    ):
        if pk not in ending:
            recorded.setdefault(village_id, []).append((pk, name))
    column = importer.spec.field_columns["end_date"]
    for row in rows:
        obj = row.obj
        if obj is None or row.bad or obj.end_date is not None or not obj.village_id:
            continue
        others = [name for pk, name in recorded.get(obj.village_id, []) if pk != row.pk]
        if others:
            importer.row_problem(row, column, _("%(village)s already has a current secretary (%(name)s): enter the end date of that term first.") % {
                "village": obj.village, "name": others[0]}, "current_secretary")
        elif obj.village_id in current:
            importer.row_problem(row, column, _("Rows %(first)d and %(row)d are both the current secretary of %(village)s.") % {
                "first": current[obj.village_id], "row": row.number, "village": obj.village}, "current_secretary")
        else:
            current[obj.village_id] = row.number


def _recount_households(importer, creates, updates):
    """Households' credit totals from their records (``grids.services.recount_points``, in bulk)."""
    ids = sorted({row.obj.household_id for row in (*creates, *updates)})
    total = (
        gm.CreditRecord._base_manager.filter(household_id=OuterRef("pk")).order_by().values("household_id")
        .annotate(total=Sum("points")).values("total")
    )
    for start in range(0, len(ids), 2000):
        gm.Household._base_manager.filter(pk__in=ids[start : start + 2000]).update(
            credit_points=Coalesce(Subquery(total), 0)
        )


def _idn(first17):
    return first17 + id_check_char(first17)


def _credit(first17):
    return first17 + credit_check_char(first17)


EX_VILLAGE = "370830104201"
EX_TOWNSHIP = "370830104"
EX_PERSON = _idn("37083019900315123")
EX_HEAD = _idn("37083019720608234")
EX_CREDIT = _credit("91370830MA3C12345")


SPECS = {
    spec.plural: spec
    for spec in [
        Spec("collective-incomes", vm.CollectiveIncome, ("village", "year"), [
            R("village", "村代码", "code"),
            F("year", "年度"),
            F("amount", "集体收入（元）"),
            F("operating", "经营性收入（元）"),
        ], examples={"村代码": EX_VILLAGE, "年度": "2024", "集体收入（元）": "560000", "经营性收入（元）": "320000"}),
        Spec("villages", vm.Village, ("code",), [
            R("township", "镇街代码", "code"),
            F("code", "村代码"),
            F("name", "村名称"),
            F("kind"),
            F("tier"),
            F("households"),
            F("population"),
            F("area"),
            F("is_relief_village"),
            F("latitude"),
            F("longitude"),
        ], examples={"镇街代码": EX_TOWNSHIP, "村代码": "370830104299", "村名称": "示例村", "类型": "行政村",
                     "村党组织分类": "创优", "户数": "420", "人口": "1350", "面积（平方公里）": "2.35", "脱贫村": "否",
                     "纬度": "35.741200", "经度": "116.521300"},
            frozen={"tier": gettext_lazy("A village's tier changes with a tier-change record (date, reason, who decided): "
                                         "leave the tier as it is here.")}),
        Spec("grids", gm.Grid, ("code",), [
            R("village", "村代码", "code"),
            F("code", "网格编码"),
            F("name", "网格名称"),
            F("households"),
            F("population"),
        ], examples={"村代码": EX_VILLAGE, "网格编码": EX_VILLAGE + "099", "网格名称": "第九十九网格", "户数": "120", "人口": "380"}),
        Spec("grid-workers", gm.GridWorker, ("grid", "name", "role"), [
            R("grid", "网格编码", "code"),
            F("name"),
            F("role"),
            F("phone"),
            F("lane"),
            F("start_date"),
            F("end_date"),
        ], examples={"网格编码": EX_VILLAGE + "001", "姓名": "王示例", "角色": "街巷长", "手机号码": "13800000000",
                     "街巷": "幸福街", "开始日期": "2024-03-05", "结束日期": ""}),
        Spec("member-units", am.MemberUnit, ("name",), [
            F("name", "单位名称"),
            F("kind"),
            R("township", "镇街代码", "code", required=False),
            R("village", "村代码", "code", required=False),
            R("enterprise", "企业统一社会信用代码", "credit_code", required=False),
            F("secretary_name"),
            F("contact_phone"),
            F("party_members"),
        ], examples={"单位名称": "寅寺镇示例村党支部", "类型": "村", "镇街代码": EX_TOWNSHIP, "村代码": EX_VILLAGE,
                     "企业统一社会信用代码": "", "党组织书记": "李示例", "联系电话": "13900000000", "党员人数": "32"}),
        Spec("enterprises", am.Enterprise, ("credit_code",), [
            F("name", "企业名称"),
            F("credit_code"),
            R("township", "镇街代码", "code", required=False),
            F("industry"),
            F("legal_representative"),
            F("address"),
            F("established_on"),
        ], examples={"企业名称": "汶上县示例农业有限公司", "统一社会信用代码": EX_CREDIT, "镇街代码": EX_TOWNSHIP,
                     "所属行业": "农产品加工", "法定代表人": "赵示例", "地址": "寅寺镇幸福路1号", "成立日期": "2018-05-20"}),
        Spec("pairings", am.Pairing, ("enterprise", "village"), [
            R("enterprise", "企业统一社会信用代码", "credit_code"),
            R("village", "村代码", "code"),
            F("mode"),
            F("path"),
            F("status"),
            F("start_date"),
            F("end_date"),
            F("agreement"),
        ], examples={"企业统一社会信用代码": EX_CREDIT, "村代码": EX_VILLAGE, "联结模式": "项目联动", "实践途径": "特色产业",
                     "状态": "联建中", "开始日期": "2024-03-05", "结束日期": "", "联建协议": "签订村企联建协议"}),
        Spec("projects", vm.Project, ("township", "name"), [
            F("name", "项目名称"),
            F("kind"),
            F("status"),
            R("township", "牵头镇街代码", "code"),
            M("villages", "服务村代码", "code"),
            R("joint_committee", "联合党委名称", "name", required=False),
            R("pairing", ["联建企业信用代码", "联建村代码"], ["enterprise__credit_code", "village__code"], required=False),
            R("first_secretary", ["第一书记身份证号码", "第一书记批次年度"], ["person__id_number", "batch__year"], required=False),
            R("partner", "合伙人身份证号码", "person__id_number", required=False),
            F("investment"),
            F("jobs"),
            F("income_added"),
            F("start_date"),
            F("end_date"),
            F("description"),
        ], examples={"项目名称": "示例村果蔬大棚项目", "类型": "其他项目", "状态": "在建", "牵头镇街代码": EX_TOWNSHIP,
                     "服务村代码": EX_VILLAGE, "总投资（元）": "1200000", "带动就业（人）": "15", "年增收（元）": "80000",
                     "开始日期": "2024-03-05", "描述": "建设冬暖式大棚10个"}),
        Spec("loans", fm.Loan, ("kind", "bank", "borrower_name", "borrower_id_number", "granted_on"), [
            F("kind", "贷款类型"),
            F("bank"),
            F("borrower_name"),
            F("borrower_id_number"),
            F("borrower_phone"),
            R("township", "镇街代码", "code"),
            R("village", "村代码", "code", required=False),
            R("project", ["镇街代码", "项目名称"], ["township__code", "name"], required=False),
            R("homestead", "抵押宗地代码", "parcel_code", required=False, select=("village",)),
            F("amount", required=True),
            F("annual_rate"),
            F("term_months"),
            F("granted_on"),
            F("due_on"),
            F("status"),
            F("interest_subsidy"),
            F("risk_compensation"),
        ], examples={"贷款类型": "创业担保贷款", "银行": "汶上县农村商业银行", "借款人": "孙示例", "借款人身份证号码": EX_PERSON,
                     "借款人手机号码": "13700000000", "镇街代码": EX_TOWNSHIP, "村代码": EX_VILLAGE, "金额（元）": "200000",
                     "年利率（%）": "3.85", "期限（月）": "24", "放款日期": "2024-03-05", "到期日期": "2026-03-04",
                     "状态": "已发放", "贴息金额（元）": "4000", "风险补偿金额（元）": "0"},
            key_help="贷款类型、银行、借款人、借款人身份证号码、放款日期"),
        Spec("homesteads", fm.Homestead, ("parcel_code",), [
            R("village", "村代码", "code"),
            F("parcel_code"),
            F("certificate_no", "不动产权证书号"),
            F("holder_name"),
            F("holder_id_number"),
            F("area"),
            F("use"),
            F("built_year"),
            F("latitude"),
            F("longitude"),
            F("surveyed_on"),
        ], examples={"村代码": EX_VILLAGE, "宗地代码": EX_VILLAGE + "JC99999", "不动产权证书号": "鲁（2021）汶上县不动产权第0099999号",
                     "使用权人": "周示例", "使用权人身份证号码": EX_HEAD, "面积（平方米）": "186.50", "用途": "自住",
                     "建成年份": "1998", "纬度": "35.741200", "经度": "116.521300", "调查日期": "2024-03-05"}),
        Spec("land-transactions", fm.LandTransaction, ("contract_no",), [
            R("village", "村代码", "code"),
            F("contract_no"),
            F("date"),
            F("area_mu"),
            F("price", required=True),
            F("buyer"),
            F("use"),
            F("term_years"),
        ], examples={"村代码": EX_VILLAGE, "合同编号": "汶集建入市〔2024〕999号", "日期": "2024-03-05", "面积（亩）": "12.5",
                     "成交价款（元）": "1500000", "受让方": "汶上县示例农业有限公司", "用途": "工业", "使用年限（年）": "50"}),
        Spec("people", tm.Person, ("id_number",), [
            F("name"),
            F("id_number", "身份证号码", required=True),
            F("phone"),
            R("township", "镇街代码", "code"),
            R("village", "村代码", "code", required=False),
            F("education"),
            F("is_party_member"),
            F("workplace"),
        ], derived=("gender", "birth_date"),
            examples={"姓名": "吴示例", "身份证号码": EX_PERSON, "手机号码": "13600000000", "镇街代码": EX_TOWNSHIP,
                      "村代码": EX_VILLAGE, "学历": "本科", "中共党员": "是", "工作单位": "示例村村委会"}),
        Spec("reserve-cadres", tm.ReserveCadre, ("person", "village"), [
            R("person", "身份证号码", "id_number"),
            R("village", "村代码", "code"),
            F("mentor"),
            F("since"),
            F("status"),
            F("appointed_on"),
        ], examples={"身份证号码": EX_PERSON, "村代码": EX_VILLAGE, "培养联系人": "郑示例", "纳入储备日期": "2024-03-05",
                     "状态": "培养中", "任职日期": ""}),
        Spec("village-secretaries", tm.VillageSecretary, ("person", "village", "start_date"), [
            R("person", "身份证号码", "id_number"),
            R("village", "村代码", "code"),
            F("start_date", "任职日期"),
            F("end_date", "离任日期"),
            F("is_also_director"),
        ], checks=(_one_current_secretary,),
            examples={"身份证号码": EX_PERSON, "村代码": EX_VILLAGE, "任职日期": "2024-03-05", "离任日期": "",
                      "书记、主任“一肩挑”": "是"}),
        Spec("returnees", tm.Returnee, ("person", "returned_on"), [
            R("person", "身份证号码", "id_number"),
            R("station", "回引工作站", "name", required=False),
            F("returned_on"),
            F("from_city"),
            F("previous_occupation"),
            F("role"),
        ], examples={"身份证号码": EX_PERSON, "回引工作站": "", "返乡日期": "2024-03-05", "返乡前所在城市": "济南",
                     "原从事职业": "电商运营", "返乡去向": "返乡创业"}),
        Spec("training-attendance", tm.TrainingAttendance, ("training", "person"), [
            R("training", "培训名称", "name"),
            R("person", "身份证号码", "id_number"),
            F("completed"),
            F("certificate_no", "结业证书编号"),
        ], examples={"培训名称": "（示例）2024年高素质农民培训班", "身份证号码": EX_PERSON, "已结业": "是", "结业证书编号": ""}),
        Spec("credit-records", gm.CreditRecord, ("household", "date", "category", "reason"), [
            R("household", "户主身份证号码", "head_id_number", select=("grid__village",)),
            F("date"),
            F("category"),
            F("points"),
            F("reason"),
        ], after_write=_recount_households,
            examples={"户主身份证号码": EX_HEAD, "日期": "2024-03-05", "类别": "信用+志愿服务", "分值": "5", "原因": "（示例）参加志愿服务活动"}),
        Spec("targets", vm.Target, ("year", "indicator", "village"), [
            F("year"),
            F("indicator"),
            R("village", "村代码", "code", required=True),
            F("value"),
            F("note"),
        ], derived=("township",), notes=gettext_lazy(
            "One row per village and indicator: the villages' targets of a year. The township's own and the county's "
            "targets are set on the targets page."),
            examples={"年度": "2024", "指标": "贷款发放额（元）", "村代码": EX_VILLAGE, "目标值": "300000", "备注": "（示例）"}),
    ]
}


def get_spec(entity):
    """The bound spec of an entity (its URL plural), or None."""
    spec = SPECS.get(entity)
    return spec.bind() if spec is not None else None


def may_import(user, entity_or_spec):
    spec = SPECS.get(entity_or_spec) if isinstance(entity_or_spec, str) else entity_or_spec
    return spec is not None and permission_filter(user, spec.model, "add") is not False


def import_file(entity, path, user, dry_run=False, progress=None, source=None):
    """Check ``path`` as rows of ``entity`` for ``user`` and, unless ``dry_run`` or a problem is
    found, write them in one transaction. ``progress(fraction)`` is called now and then.

    Raises ``LookupError`` for an unknown entity and ``PermissionDenied`` when the user may not
    add such records; every other problem is in the result (nothing written then)."""
    spec = get_spec(entity)
    if spec is None:
        raise LookupError(entity)
    importer = Importer(spec, user, progress=progress, source=source)
    return importer.run(str(path), commit=not dry_run)


# ---------------------------------------------------------------------------------------------
# The template
# ---------------------------------------------------------------------------------------------


def template_xlsx(entity):
    """The template workbook as bytes: the data sheet (headers, one example row, lists for the
    choices), the notes sheet explaining each column, and a hidden sheet with the lists."""
    import openpyxl
    from openpyxl.comments import Comment
    from openpyxl.styles import Alignment, Font, PatternFill
    from openpyxl.worksheet.datavalidation import DataValidation

    spec = get_spec(entity)
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = DATA_SHEET
    lists = wb.create_sheet(CHOICES_SHEET)
    lists.sheet_state = "hidden"
    notes = wb.create_sheet(NOTES_SHEET)
    required_fill = PatternFill("solid", fgColor="FCE4D6")
    optional_fill = PatternFill("solid", fgColor="E2EFDA")
    bold = Font(bold=True)
    example_font = Font(italic=True, color="808080")
    example = spec.example_row()
    list_col = 0
    for index, column in enumerate(spec.columns):
        letter = col_letter(index)
        cell = set_text(ws.cell(row=1, column=index + 1), column.header)
        cell.font = bold
        cell.fill = required_fill if column.required else optional_fill
        cell.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)
        explanation = column_help(column)
        if explanation:
            cell.comment = Comment(explanation, "")
        sample = set_text(ws.cell(row=2, column=index + 1), example[index])
        sample.font = example_font
        sample.number_format = "@"
        width = max(10, min(40, int(max(len(column.header), len(str(example[index]))) * 1.8) + 2))
        ws.column_dimensions[letter].width = width
        if column.kind in ("code", "name", "text", "list"):
            ws.column_dimensions[letter].number_format = "@"
        elif column.kind == "date":
            ws.column_dimensions[letter].number_format = "yyyy-mm-dd"
        options = column.labels if column.kind == "choice" else (["是", "否"] if column.kind == "bool" else None)
        if options:
            list_col += 1
            set_text(lists.cell(row=1, column=list_col), column.header)
            for i, label in enumerate(options, start=2):
                set_text(lists.cell(row=i, column=list_col), label)
            lc = col_letter(list_col - 1)
            dv = DataValidation(type="list", formula1=f"'{CHOICES_SHEET}'!${lc}$2:${lc}${len(options) + 1}", allow_blank=True)
            dv.errorStyle = "warning"
            dv.error = _("Pick a value from the list.")
            dv.add(f"{letter}2:{letter}1048576")
            ws.add_data_validation(dv)
    ws.freeze_panes = "A2"
    ws.row_dimensions[1].height = 30

    model_name = spec.model._meta.verbose_name_plural
    lines = [
        _("Import template: %(what)s") % {"what": model_name},
        _("1. Fill in the sheet “%(sheet)s”: the first row holds the column headers; keep them as they are (the order does not matter).") % {"sheet": DATA_SHEET},
        _("2. The second row is an example: delete it before importing."),
        _("3. Orange headers are required; green ones may be left empty."),
        _("4. Rows whose %(key)s already exist update those records; the others are added. Importing the same file again changes nothing.") % {
            "key": spec.key_help or "、".join(spec.field_columns[n].header for n in spec.key)},
        _("5. Type values, not formulas, and do not merge cells. Codes and ID numbers are text: keep the column formatted as text."),
        _("6. Dates may be written 2024-03-05, 2024/3/5 or 2024年3月5日. Files may also be saved as CSV (UTF-8 or GBK)."),
        _("7. Nothing is written until the whole file is free of problems; the preview lists each problem with its row and column."),
    ]
    if spec.notes:
        lines.append(f"8. {spec.notes}")
    for row, line in enumerate(lines, start=1):
        set_text(notes.cell(row=row, column=1), line).font = bold if row == 1 else Font()
    start = len(lines) + 2
    heads = [_("Column"), _("Required"), _("What to enter"), _("Allowed values"), _("Example")]
    for i, head in enumerate(heads, start=1):
        c = set_text(notes.cell(row=start, column=i), head)
        c.font = bold
        c.fill = optional_fill
    for offset, column in enumerate(spec.columns, start=1):
        explanation = column_help(column)
        values = "、".join(column.labels) if column.kind == "choice" else ("是、否" if column.kind == "bool" else "")
        row = [column.header, _("Yes") if column.required else _("No"), explanation, values, example[column.position]]
        for i, value in enumerate(row, start=1):
            set_text(notes.cell(row=start + offset, column=i), value).alignment = Alignment(wrap_text=True, vertical="top")
    for letter, width in zip("ABCDE", (24, 8, 60, 50, 28)):
        notes.column_dimensions[letter].width = width
    buffer = io.BytesIO()
    wb.save(buffer)
    return buffer.getvalue()


def template_filename(entity):
    spec = get_spec(entity)
    return (_("%(what)s import template") % {"what": spec.model._meta.verbose_name_plural}) + ".xlsx"


# ---------------------------------------------------------------------------------------------
# Import jobs (web and task)
# ---------------------------------------------------------------------------------------------


def _job_progress(job_id, start, end):
    last = [-1]

    def report(fraction):
        value = int(start + (end - start) * max(0.0, min(1.0, fraction)))
        value = min(value, 99)
        if value != last[0]:
            last[0] = value
            ImportJob.objects.filter(pk=job_id).update(progress=value)

    return report


def _file_path(job):
    return job.file.path


def is_async(rows):
    return rows >= async_rows()


def start_check(job):
    """Check an uploaded job: now when it is small, by the Celery task otherwise."""
    job.total_rows = estimate_rows(_file_path(job))
    job.status = ImportJob.Status.CHECKING
    job.save(update_fields=["total_rows", "status"])
    if is_async(job.total_rows):
        _enqueue(job, "check")
    else:
        run_job(job.pk, "check")
        job.refresh_from_db()
    return job


def start_commit(job, user):
    """Write a checked job once: a commit of a job that is not ready (already running or done)
    does nothing and returns False."""
    if job.user_id != user.pk:
        raise PermissionDenied
    # A job whose file was deleted after the retention period cannot be written.
    claimed = ImportJob.objects.filter(pk=job.pk, status=ImportJob.Status.READY, purged_at__isnull=True).update(
        status=ImportJob.Status.RUNNING, progress=0
    )
    if not claimed:
        return False
    if is_async(job.total_rows):
        _enqueue(job, "commit")
    else:
        run_job(job.pk, "commit")
    job.refresh_from_db()
    return True


def _enqueue(job, phase):
    from .tasks import run_import

    def send():
        try:
            result = run_import.delay(job.pk, phase)
        except Exception as exc:  # noqa: BLE001 - the broker may be down: tell the user
            logger.exception("could not queue import job %s", job.pk)
            ImportJob.objects.filter(pk=job.pk).update(
                status=ImportJob.Status.FAILED, message=_("The task queue is not available: %(error)s") % {"error": exc},
                finished_at=timezone.now(),
            )
            return
        ImportJob.objects.filter(pk=job.pk).update(task_id=result.id or "")

    transaction.on_commit(send)


def run_job(job_id, phase):
    """Check (``phase="check"``) or write (``"commit"``) one job, keeping its progress."""
    job = ImportJob.objects.select_related("user").get(pk=job_id)
    Status = ImportJob.Status
    if phase == "check" and job.status not in (Status.UPLOADED, Status.CHECKING):
        return job.status
    if phase == "commit" and job.status != Status.RUNNING:
        return job.status  # already written, or never claimed: nothing to do
    commit = phase == "commit"
    spec = get_spec(job.entity)
    progress = _job_progress(job.pk, 0, 95 if commit else 99)
    try:
        if spec is None:
            raise LookupError(job.entity)
        importer = Importer(spec, job.user, progress=progress)
        result = importer.run(_file_path(job), commit=commit)
    except PermissionDenied:
        fields = {"status": Status.INVALID, "message": _("You may not import these records.")}
    except Exception as exc:  # noqa: BLE001 - the job records the failure; nothing was written
        logger.exception("import job %s failed", job.pk)
        fields = {"status": Status.FAILED, "message": mask_personal_text(
            _("The import failed and nothing was written: %(error)s") % {"error": exc})}
    else:
        fields = {
            "total_rows": result.total_rows,
            "created_rows": result.created,
            "updated_rows": result.updated,
            "problems": result.listed_problems(),
            "message": result.summary(),
            "sheet": result.sheet[:255],
            "header_row": result.header_row,
        }
        if not result.ok:
            fields["status"] = Status.INVALID
        elif commit:
            fields["status"] = Status.DONE
        else:
            fields["status"] = Status.READY
    fields["progress"] = 100
    if commit or fields["status"] in (Status.FAILED, Status.INVALID):
        fields["finished_at"] = timezone.now()
    ImportJob.objects.filter(pk=job.pk).update(**fields)
    return fields["status"]


def unchanged_rows(job):
    return max(0, job.total_rows - job.created_rows - job.updated_rows) if job.status in (
        ImportJob.Status.READY, ImportJob.Status.DONE) else 0


def shown_value(user, entity, header, value):
    """A problem's value as ``user`` may see it (ID and phone numbers masked unless allowed)."""
    spec = get_spec(entity)
    column = spec.by_header.get(header) if spec else None
    if column is None or column.mask is None or not value or privacy.may_see(user):
        return value
    return column.mask(value)


# ---------------------------------------------------------------------------------------------
# Retention
# ---------------------------------------------------------------------------------------------


def purge_old_jobs(now=None):
    """Delete the uploaded files and clear the problem lists of the jobs created more than
    ``settings.IMPORT_RETENTION_DAYS`` days before ``now``; each job stays, with its counts,
    status and summary, marked by ``purged_at``. Run daily by the ``wenshang.purge_imports``
    task (and ``manage.py purge_imports``). Returns the number of jobs purged."""
    now = now or timezone.now()
    cutoff = now - dt.timedelta(days=retention_days())
    purged = 0
    for job in ImportJob.objects.filter(created_at__lt=cutoff, purged_at__isnull=True).order_by("pk").iterator():
        if job.file:
            try:
                job.file.delete(save=False)
            except OSError:
                logger.exception("could not delete the file of import job %s", job.pk)
                continue  # tried again at the next run
        # A job being checked or written keeps its status; it has no file to read any more.
        ImportJob.objects.filter(pk=job.pk).update(file="", problems=[], purged_at=now)
        purged += 1
    return purged
