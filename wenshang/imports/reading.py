"""Reading a file: the format recognised from its bytes, the limits of a zip (XLSX, ODS), and the
rows of the data sheet of a CSV file, an XLSX workbook or an OpenDocument spreadsheet.

* The format is recognised from the bytes, not the name: XLSX (a zip holding ``xl/workbook.xml``),
  ODS (a zip whose ``mimetype`` says so) or CSV text, comma- or tab-separated, in UTF-8 with or
  without BOM or in GBK/GB18030 as WPS and older Excel write it (``utf-8-sig`` is tried first,
  then ``gb18030``). Empty files, files larger than ``settings.IMPORT_MAX_BYTES``, Excel 97-2003
  ``.xls`` (and password-protected) workbooks, other zip files, zip bombs and binary files are
  refused with a message.
* An XLSX workbook is opened by openpyxl in read-only mode (``ExcelReader(read_only=True)``: the
  steps of ``load_workbook(read_only=True)`` but the sizing scan of every sheet that lacks a
  ``<dimension>``), which reads its sheet list, shared strings, date styles and epoch. The rows of
  the data sheet (named “数据” as in the template, otherwise the active or first visible sheet)
  are then streamed from the same archive by a small expat parser: openpyxl's per-cell
  ElementTree parsing takes about 35 s for 199,900 rows × 11 columns, expat about 7 s. Tests
  compare the rows with openpyxl's own ``iter_rows``, and ``load_workbook`` is used should
  openpyxl's reader change.
* Formulas come as ``Formula`` and error cells as ``ErrorValue`` (both refused by the check);
  merged ranges are listed in ``Table.merged``.
"""
from __future__ import annotations

import csv
import datetime as dt
import io
import os
import re
import unicodedata
import zipfile
from dataclasses import dataclass, field
from xml.parsers import expat

import openpyxl
from django.conf import settings
from django.utils.translation import gettext as _
from openpyxl.utils.datetime import from_excel

from wenshang.imports.cells import ErrorValue, Formula, Refused, col_letter, problem

try:  # openpyxl's reader steps (``_read_workbook``); ``load_workbook`` should they move
    from openpyxl.reader.excel import ExcelReader
    from openpyxl.styles.stylesheet import apply_stylesheet
except ImportError:  # pragma: no cover - another openpyxl
    ExcelReader = apply_stylesheet = None

DATA_SHEET = "数据"


def max_bytes():
    return getattr(settings, "IMPORT_MAX_BYTES", 50 * 1024 * 1024)


def max_unpacked_bytes():
    """The most a workbook (XLSX or ODS, a zip) may unpack to, all its parts together."""
    return getattr(settings, "IMPORT_MAX_UNPACKED_BYTES", 200 * 1024 * 1024)


def max_compression_ratio():
    """The most a part of a workbook larger than 1 MB may unpack to, in times its packed size."""
    return getattr(settings, "IMPORT_MAX_COMPRESSION_RATIO", 100)


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
        if ExcelReader is None:
            raise ImportError
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


