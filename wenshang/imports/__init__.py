"""Spreadsheet imports: a template per entity, upload of XLSX, ODS or CSV, a preview that lists
every problem with its row and column before anything is written, and an all-or-nothing commit
that updates the records it finds by their natural key instead of adding them twice.

The package, by what each part does:

* ``wenshang.kernel.importable`` (beside this package, so that apps import it without the engine): the
  declaration vocabulary (``ImportSpec``, ``Field``, ``Ref``, ``ManyToMany``) with which each app
  declares its importable entities in ``<app>/imports.py``;
* ``cells``: how a cell is read, and the problems (masked) a file, row or cell gets;
* ``reading``: the format sniffed from the bytes, the limits of a zip, the CSV/XLSX/ODS readers;
* ``checking``: the apps' specs found and bound to their models (``SPECS``, ``get_spec``), the
  header row matched, every row parsed and checked in memory;
* ``writing``: a checked file written through ``wenshang.kernel.bulk`` and ``audit.log_bulk_create``
  (``import_file``);
* ``template``: the template workbook;
* ``jobs``: uploaded jobs checked and written in the request or by the ``wenshang.run_import``
  task, with progress, and their retention.

Entry points
------------
* ``import_file(entity, path, user, dry_run=False, progress=None)``: check a file and, unless
  ``dry_run`` or it has problems, write it in one transaction (``manage.py import_data`` and the
  benchmark call it). Returns an ``ImportResult``.
* ``start_check(job)`` / ``start_commit(job, user)`` / ``run_job(job_id, phase)``: the same for an
  uploaded ``ImportJob``.
* ``template_xlsx(entity)``: the template (Chinese headers, one example row, a notes sheet).
* ``SPECS``: the importable entities by their URL plural, each with its columns and natural key.
"""
from django.utils.translation import gettext as _  # noqa: F401 - the messages' translation, as tests read it

from wenshang.imports.cells import (
    EMPTY,
    INVALID,
    CellError,
    ErrorValue,
    Formula,
    Refused,
    col_letter,
    mask_personal_text,
    parse_bool,
    parse_code,
    parse_code_list,
    parse_date,
    parse_decimal,
    parse_int,
    parse_name,
    parse_text,
    problem,
)
from wenshang.imports.checking import SPECS, BoundSpec, Checker, ImportResult, column_help, get_spec, may_import
from wenshang.imports.jobs import (
    async_rows,
    is_async,
    purge_old_jobs,
    retention_days,
    run_import,
    run_job,
    send_job,
    shown_value,
    start_check,
    start_commit,
    sweep,
    unchanged_rows,
    waiting_for_queue,
)
from wenshang.imports.reading import DATA_SHEET, estimate_rows, max_bytes, open_table, sniff
from wenshang.imports.template import XLSX_MIME, template_filename, template_xlsx
from wenshang.imports.writing import Importer, import_file
from wenshang.kernel.importable import ImportSpec
from wenshang.kernel.importable import credit_code_example as _credit

__all__ = [
    "DATA_SHEET", "EMPTY", "INVALID", "SPECS", "XLSX_MIME", "BoundSpec", "CellError", "Checker", "ErrorValue", "Formula", "ImportResult", "ImportSpec",
    "Importer", "Refused", "async_rows", "col_letter", "column_help", "estimate_rows", "get_spec", "import_file",
    "is_async", "mask_personal_text", "max_bytes", "may_import", "open_table", "parse_bool", "parse_code",
    "parse_code_list", "parse_date", "parse_decimal", "parse_int", "parse_name", "parse_text", "problem",
    "purge_old_jobs", "retention_days", "run_import", "run_job", "send_job", "shown_value", "sweep", "waiting_for_queue", "sniff", "start_check",
    "start_commit", "template_filename", "template_xlsx", "unchanged_rows", "_credit",
]
