"""The template workbook of an entity: the data sheet (Chinese headers, one example row, lists for
the choices), the notes sheet explaining each column, and a hidden sheet with the lists."""
from __future__ import annotations

import io

import openpyxl
from django.utils.translation import gettext as _
from openpyxl.comments import Comment
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.worksheet.datavalidation import DataValidation

from wenshang.imports.cells import col_letter
from wenshang.imports.checking import column_help, get_spec
from wenshang.imports.reading import DATA_SHEET
from wenshang.kernel.spreadsheets import set_text

NOTES_SHEET = "说明"
CHOICES_SHEET = "选项"
XLSX_MIME = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def template_xlsx(entity):
    """The template workbook as bytes: the data sheet (headers, one example row, lists for the
    choices), the notes sheet explaining each column, and a hidden sheet with the lists."""
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
