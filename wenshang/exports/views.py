"""Export of any list page to XLSX or CSV, with the list's current filters, search and sort.

    /export/<plural>.xlsx?<the list's query string>
    /export/<plural>.csv?<the list's query string>

The rows are those of the list (``config.queryset(user, "view")`` and the filterset), every row at
once, not one page. The columns are the list's columns followed by the model's other concrete
fields (and its many-to-many fields), the header row being their verbose names in the user's
language; a ``ModelViews`` may name its own with ``export_columns`` or leave some out with
``export_exclude``. National ID and mobile numbers are masked unless the user may see personal
data; an unmasked export is recorded in ``PersonalDataAccess`` (context ``export:<plural>``).

A fixed number of SQL queries whatever the number of rows: every foreign key shown is loaded with
``select_related`` (and the keys that the related records' names read), many-to-many fields with
one prefetch per chunk of 2,000 rows, and rows are read with ``iterator(chunk_size=2000)``. The CSV
is streamed (UTF-8 with a BOM, so Excel and WPS read the Chinese), the XLSX written with openpyxl's
write-only workbook to a temporary file, so that the 199,900 parcels never sit in memory.
"""
import csv
import datetime as dt
import tempfile
from decimal import Decimal

from django.contrib.auth.decorators import login_required
from django.db import models
from django.http import FileResponse, Http404, StreamingHttpResponse
from django.utils import timezone
from django.utils.encoding import force_str
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _
from openpyxl import Workbook
from openpyxl.styles import Font

from wenshang.kernel import formats, privacy
from wenshang.kernel.spreadsheets import csv_value, xlsx_cell
from wenshang.web.portal import _field, as_of_drill, get_config

CHUNK = 2000
SKIP = {"created_at", "updated_at", "password"}
CSV_BOM = "\ufeff"
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


# -- which columns ------------------------------------------------------------------------------
def export_columns(cfg):
    """The list's columns, then the model's township (when it hangs on a village or a grid), then
    its other concrete and many-to-many fields."""
    explicit = getattr(cfg, "export_columns", None)
    if explicit:
        return list(explicit)
    model = cfg.model
    exclude = SKIP | set(getattr(cfg, "export_exclude", ()))
    columns = [c for c in cfg.columns if c not in exclude]
    path = getattr(model, "scope_path", None)
    if path and path != "pk" and "__" in path and path not in columns and _field(model, path) is not None:
        columns.append(path)  # the township of a parcel, a grid worker, a loan's village …
    for field in [*model._meta.concrete_fields, *model._meta.many_to_many]:
        if field.primary_key or field.name in exclude or field.name in columns or field.attname in columns:
            continue
        columns.append(field.name)
    return columns


def _model_at(model, prefix):
    for part in prefix.split("__") if prefix else ():
        model = model._meta.get_field(part).related_model
    return model


def _has_field(model, name):
    return any(f.name == name for f in model._meta.concrete_fields)


def _related_paths(model, columns):
    """(select_related paths, prefetch_related paths) that make the columns cost no query per row."""
    select, prefetch = set(), set()
    for col in columns:
        parts = col.split("__")
        current, walked = model, []
        for part in parts:
            try:
                field = current._meta.get_field(part)
            except Exception:  # noqa: BLE001 - a property, not a field
                break
            if field.many_to_many or field.one_to_many:
                prefetch.add("__".join([*walked, part]))
                break
            if not field.is_relation:
                break
            walked.append(part)
            current = field.related_model
            select.add("__".join(walked))
        else:
            # The column is a record (its name is shown): load the keys its name may read too
            # (a pairing is "village × enterprise", a reserve cadre "person（village）").
            if walked:
                for sub in current._meta.concrete_fields:
                    if sub.is_relation and (sub.many_to_one or sub.one_to_one):
                        select.add("__".join([*walked, sub.name]))
    return sorted(select), sorted(prefetch)


class Column:
    """One exported column: its header and a fast getter of its display value (no query)."""

    def __init__(self, model, path, show_personal):
        self.path = path
        self.parts = path.split("__")
        self.field = _field(model, path)
        owner = _model_at(model, "__".join(self.parts[:-1])) if self.field is not None else None
        self.label = force_str(self.field.verbose_name) if self.field is not None else path.replace("_", " ")
        self.choices = {k: force_str(v) for k, v in self.field.flatchoices} if self.field is not None and self.field.choices else None
        self.many = self.field is not None and (self.field.many_to_many or self.field.one_to_many)
        self.relation = self.field is not None and self.field.is_relation and not self.many
        self.mask = None
        if self.field is not None and not self.field.is_relation and not show_personal:
            self.mask = privacy.personal_fields(owner).get(self.field.attname)
        self.personal = self.field is not None and not self.field.is_relation and self.field.attname in privacy.personal_fields(owner)
        self.yes, self.no = _("Yes"), _("No")

    def value(self, obj):
        target = obj
        for part in self.parts[:-1]:
            target = getattr(target, part, None)
            if target is None:
                return ""
        name = self.parts[-1]
        if self.many:
            return "、".join(str(item) for item in getattr(target, name).all())
        value = getattr(target, name, "")
        if callable(value) and not isinstance(value, models.Model):
            value = value()  # a method column, as the list's template would call it
        if value is None:
            return ""
        if self.choices is not None:
            return self.choices.get(value, value)
        if self.relation:
            return str(value)
        if self.mask is not None:
            return self.mask(value)
        if isinstance(value, bool):
            return self.yes if value else self.no
        if isinstance(value, dt.datetime) and timezone.is_aware(value):
            return timezone.localtime(value).replace(tzinfo=None)
        if isinstance(value, (str, int, float, Decimal, dt.date)):
            return value
        return str(value)


# -- the rows -----------------------------------------------------------------------------------
def export_queryset(cfg, request):
    """The list's rows as the list page would show them: scope, filters, search and sort."""
    qs = cfg.queryset(request.user, "view")
    as_of = as_of_drill(request, cfg.model)
    if as_of is not None:  # a dashboard's past value: the rows as they stood then
        qs = qs.filter(as_of[2])
    filterset = cfg.filterset_class(request.GET or None, queryset=qs, request=request) if cfg.filterset_class else None
    if filterset is not None and filterset.is_bound and filterset.is_valid():
        qs = filterset.qs
    sort = request.GET.get("sort", "")
    sortable = {c for c in cfg.columns if _field(cfg.model, c) is not None}
    if sort.lstrip("-") in sortable:
        qs = qs.order_by(sort, "pk")
    elif not qs.ordered:
        qs = qs.order_by("pk")
    return qs


class Export:
    def __init__(self, cfg, request):
        self.cfg = cfg
        self.user = request.user
        self.show_personal = privacy.may_see(request.user)
        paths = export_columns(cfg)
        self.columns = [Column(cfg.model, path, self.show_personal) for path in paths]
        select, prefetch = _related_paths(cfg.model, paths)
        qs = export_queryset(cfg, request)
        if select or prefetch:
            qs = qs.select_related(*select).prefetch_related(*prefetch)
        # The timestamps are not exported: not converting them is a third of the time on big tables.
        unused = [
            f"{prefix}__{name}" if prefix else name
            for prefix in ["", *select]
            for name in ("created_at", "updated_at")
            if (f"{prefix}__{name}" if prefix else name) not in paths and _has_field(_model_at(cfg.model, prefix), name)
        ]
        self.queryset = qs.defer(*unused) if unused else qs

    def headers(self):
        return [c.label for c in self.columns]

    def rows(self):
        for obj in self.queryset.iterator(chunk_size=CHUNK):
            yield [c.value(obj) for c in self.columns]

    def record_access(self):
        """Record the unmasked personal data this export is about to hand out (one query per record
        type shown, whatever the number of rows)."""
        if not self.show_personal:
            return
        by_prefix = {}
        for column in self.columns:
            if column.personal:
                prefix = "__".join(column.parts[:-1])
                by_prefix.setdefault(prefix, []).append(column.field.attname)
        context = f"export:{self.cfg.plural}"
        for prefix, fields in by_prefix.items():
            model = _model_at(self.cfg.model, prefix)
            key = f"{prefix}__pk" if prefix else "pk"
            rows = self.queryset.prefetch_related(None).order_by().values_list(key, flat=True).distinct()
            ids = [pk for pk in rows if pk is not None]
            privacy.record_access(self.user, model, ids, context, fields)

    def filename(self, ext):
        return f"{force_str(self.cfg.model._meta.verbose_name_plural)}-{timezone.localdate():%Y%m%d}.{ext}"


# -- the two formats ----------------------------------------------------------------------------
class _Echo:
    def write(self, value):
        return value


def csv_stream(export, batch=500):
    writer = csv.writer(_Echo())
    yield CSV_BOM + writer.writerow([csv_value(h) for h in export.headers()])
    lines = []
    for row in export.rows():
        lines.append(writer.writerow([csv_value(v) for v in row]))
        if len(lines) >= batch:
            yield "".join(lines)
            lines = []
    if lines:
        yield "".join(lines)


def _sheet_title(title):
    for ch in "[]:*?/\\":
        title = title.replace(ch, " ")
    return title[:31] or "Sheet1"


def xlsx_file(export):
    """The workbook in a temporary file (rewound), written row by row."""
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(_sheet_title(force_str(export.cfg.model._meta.verbose_name_plural)))
    sheet.freeze_panes = "A2"
    bold = Font(bold=True)
    sheet.append([xlsx_cell(sheet, label, font=bold) for label in export.headers()])
    number_formats = [formats.xlsx_format(c.field) for c in export.columns]  # money and areas: #,##0.00
    for row in export.rows():
        sheet.append([xlsx_cell(sheet, v, number_format=f if f and isinstance(v, (int, float, Decimal)) else None)
                      for v, f in zip(row, number_formats)])
    handle = tempfile.TemporaryFile(suffix=".xlsx")
    workbook.save(handle)
    handle.seek(0)
    return handle


@login_required
def export_view(request, plural, fmt):
    cfg = get_config(plural)
    if fmt not in ("csv", "xlsx"):
        raise Http404
    export = Export(cfg, request)
    export.record_access()
    if fmt == "csv":
        response = StreamingHttpResponse(csv_stream(export), content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = content_disposition_header(True, export.filename("csv"))
        return response
    return FileResponse(xlsx_file(export), as_attachment=True, filename=export.filename("xlsx"), content_type=XLSX_TYPE)
