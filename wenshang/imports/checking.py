"""Checking a file: the columns of an entity bound to its model, the header row matched, each row
parsed and checked, and the registry of importable entities (``SPECS``, ``get_spec``).

How a row is checked (no query per row)
---------------------------------------
* The first non-empty row naming the most template columns holds the column headers (a title row
  or two above them is skipped); every column of the template must be there, in any order, and no
  other (missing, renamed and extra columns are each reported). Empty rows are skipped; row
  numbers are the spreadsheet's. **Formulas**, error cells and **merged cells** are refused cell
  by cell with the row and column: the import writes what the user sees.
* Foreign keys by natural key: township by 9-digit code, village by 12-digit code, grid by
  15-digit code, enterprise by credit code, person by ID number, household by the head's ID
  number, homestead by parcel code, training, station and joint committee by name.
* The records named in the file are loaded once (``__in`` queries in chunks): the foreign keys by
  natural key, the existing records by the entity's natural key, and the values of other unique
  fields. Each row is then checked in memory with the model fields' validators and the model's
  ``clean()`` (its related objects come from the loaded dictionaries), against the unique keys and
  against the user's scope: ``permission_filter(user, model, "add")`` for new records and
  ``"change"`` for existing ones; a township user may import only rows whose township (the
  record's ``scope_path``) is their own, and change only records that are; a county (or city)
  user, likewise, only rows whose county (``county_path``; or city) is theirs — villages and
  townships are named by their codes, unique anyway, but a code of another county is refused. A
  new county-level record (no township) belongs to the importer's county. Two rows with the same
  natural key are reported with both row numbers. The template's example row is refused.

The entities are declared by the apps (``<app>/imports.py``, with ``wenshang.kernel.importable``) and
found on first use, as the admin finds ``admin.py``.
"""
from __future__ import annotations

import itertools
import re
import threading
from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal

from django.core.exceptions import NON_FIELD_ERRORS, PermissionDenied, ValidationError
from django.db import connections, models, router
from django.db.models.expressions import RawSQL
from django.utils import translation
from django.utils.module_loading import autodiscover_modules
from django.utils.translation import gettext as _

from wenshang.imports.cells import (
    CODE_TABLE,
    EMPTY,
    INVALID,
    PARSERS,
    TEXT_TABLE,
    CellError,
    ErrorValue,
    Formula,
    Refused,
    _as_text,
    _is_blank,
    choice_key,
    col_letter,
    masked_cell,
    parse_code_list,
    problem,
)
from wenshang.imports.reading import open_table
from wenshang.kernel import audit, locks, privacy
from wenshang.kernel.importable import PUBLIC, REGISTRY, Field, ManyToMany, Ref
from wenshang.kernel.scope import (
    city_id_of,
    city_path,
    county_id_of,
    county_path,
    permission_filter,
    scope_of,
    township_id_of,
    value_at,
)
from wenshang.kernel.validators import DivisionCodeValidator, validate_credit_code, validate_id_number, validate_mobile

MAX_PROBLEMS = 5000  # kept per import; the rest are counted
HEADER_SCAN_ROWS = 10  # non-empty rows looked at for the column headers (title rows above them)
PROGRESS_EVERY = 2000  # rows between two progress reports


# ---------------------------------------------------------------------------------------------
# The importable entities
# ---------------------------------------------------------------------------------------------

_discovery = threading.Lock()
_discovered = False


def discover():
    """Import every app's ``imports`` module (its ``register(...)`` calls), once."""
    global _discovered
    if _discovered:
        return
    with _discovery:
        if not _discovered:
            autodiscover_modules("imports")
            _discovered = True


class Specs(Mapping):
    """The importable entities by their URL plural (``BoundSpec``, bound on first use), in the
    order the apps declared them; the apps' ``imports`` modules are found on first access."""

    def __init__(self):
        self._specs = {}

    def _all(self):
        discover()
        if len(self._specs) != len(REGISTRY):
            for plural, declared in REGISTRY.items():
                if plural not in self._specs:
                    self._specs[plural] = BoundSpec(declared)
        return self._specs

    def __getitem__(self, plural):
        return self._all()[plural]

    def __iter__(self):
        return iter(self._all())

    def __len__(self):
        return len(self._all())

    def __repr__(self):
        return f"<Specs {list(self)}>"


SPECS = Specs()


def get_spec(entity):
    """The bound spec of an entity (its URL plural), or None."""
    spec = SPECS.get(entity)
    return spec.bind() if spec is not None else None


def may_import(user, entity_or_spec):
    spec = SPECS.get(entity_or_spec) if isinstance(entity_or_spec, str) else entity_or_spec
    return spec is not None and permission_filter(user, spec.model, "add") is not False


# ---------------------------------------------------------------------------------------------
# Columns
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
                 validators=(), choices=None, labels=(), aliases=(), mask=None, example_key=None):
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
        self.example_key = example_key  # the key of its example in the spec's ``examples``
        self.position = 0
        self.index = None  # of the field among the model's concrete fields
        self.quantum = None  # decimals: written with the field's places (186.5 → 186.50), as stored
        self.places = None

    def __repr__(self):
        return f"<Column {self.header}>"


CODE_FIELDS_VALIDATED = ("validate_id_number", "validate_credit_code", "validate_mobile", "DivisionCodeValidator")


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




class BoundSpec:
    """An importable entity ready to check files: an app's ``ImportSpec`` with its columns bound
    to the model's fields (parsers, validators, choices, personal-data masks), bound once, on
    first use."""

    def __init__(self, declared):
        self.declared = declared
        self.plural = declared.plural
        self.model = declared.model
        self.key = declared.key
        self._items = declared.columns
        self.examples = declared.examples
        self.derived = declared.derived
        self.notes = declared.notes
        self.frozen = declared.frozen
        self.checks = declared.checks
        self.after_write = declared.after_write
        self.key_help = declared.key_help
        self._bound = False
        self._lock = threading.Lock()

    def __repr__(self):
        return f"<BoundSpec {self.plural}>"

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
            if isinstance(item, Field):
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
                    example_key=item.name,
                )
                plain.append(add(column))
            elif isinstance(item, Ref):
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
                    column = add(Column(header, kind, PARSERS[kind], help=item.help, mask=mask,
                                        example_key=item.example_key(lookup)))
                    own.append(column)
                    cols.append(column)
                required = item.required if item.required is not None else not f.null
                bound = BoundRef(item.name, f, related, cols, list(item.lookups), own, required,
                                 item.public if item.public is not None else related in PUBLIC, item.select)
                for column in own:
                    column.ref = bound
                    column.required = required
                refs.append(bound)
            elif isinstance(item, ManyToMany):
                f = opts.get_field(item.name)
                column = add(Column(item.header, "list", parse_code_list, help=item.help, example_key=item.name))
                bound = BoundM2M(item.name, f, f.related_model, column, item.lookup)
                column.ref = bound
                m2m.append(bound)
        self.columns, self.by_header, self.plain, self.refs, self.m2m = columns, by_header, plain, refs, m2m
        self.written = [c.field.attname for c in plain] + [r.field.attname for r in refs] + [
            opts.get_field(n).attname for n in self.derived
        ]
        self.key_attnames = tuple(opts.get_field(n).attname for n in self.key)
        self.own_county = getattr(self.model, "county_path", None) == "county"
        if self.own_county:
            # A county-level record belongs to a county (its township's, or the importer's); a key
            # unique per county (a member unit's name) is looked up within the row's county.
            if "county_id" not in self.written:
                self.written.append("county_id")
            per_county = {frozenset(c.fields) for c in opts.constraints
                          if isinstance(c, models.UniqueConstraint) and c.fields and c.condition is None}
            if frozenset(("county", *self.key)) in per_county and "county" not in self.key:
                self.key_attnames = ("county_id", *self.key_attnames)
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
        return [self.examples.get(c.example_key, "") for c in self.columns]




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
# Checking a file
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





class Checker:
    """Check one file of one entity as one user (``writing.Importer`` also writes it)."""

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
        # Whose records the user works on: a township's (as the record's scope_path says), a
        # county's (county_path) or a city's (city_path); owner_id is the user's.
        self.scope = scope = scope_of(user)
        self.owner_path = {"county": county_path(self.model), "city": city_path(self.model)}.get(scope.level) or (
            self.model.scope_path or "pk")
        self.owner_id = {"township": user.township_id, "county": scope.county_id, "city": scope.city_id}.get(scope.level)
        self._only_county = None
        self.check_lock = locks.checker()  # a row of a locked quarter is refused (one lookup per township and quarter)

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
            township = type(self.user)._meta.get_field("township").related_model
            self._townships = dict(township._base_manager.values_list("pk", "name"))
        return self._townships.get(pk, "—")

    def owner_name(self, pk):
        """The name of a township, or of a county or city for a county's or a city's user."""
        if self.scope.level in ("county", "city"):
            level = type(self.user)._meta.get_field(self.scope.level).related_model
            return level._base_manager.filter(pk=pk).values_list("name", flat=True).first() or "—"
        return self.township_name(pk)

    def default_county(self, obj):
        """The county of a new county-level record: its township's, the importer's, or the only one."""
        path = self.model.scope_path
        county = value_at(obj, f"{path}__county") if path else None
        if county is None:
            county = self.scope.county_id
        if county is None:
            if self._only_county is None:
                county_model = type(self.user)._meta.get_field("county").related_model
                ids = list(county_model._base_manager.values_list("pk", flat=True)[:2])
                self._only_county = ids[0] if len(ids) == 1 else 0
            county = self._only_county or None
        return county

    def chunk_size(self):
        connection = connections[router.db_for_read(self.model)]
        return max(100, min(5000, (connection.features.max_query_params or 5000) - 50))

    # -- the whole run ---------------------------------------------------------------------------
    def check_file(self, path, *, commit=False):
        """Read and check a file: its rows, or None when it could not be read (the result says why)."""
        self.refuse_unless_permitted()
        result = self.result
        try:
            table = open_table(path)
        except Refused as exc:
            for p in exc.problems:
                result.add(p)
            return None
        result.sheet = table.sheet
        try:
            rows = self.read(table)
        except Refused as exc:
            for p in exc.problems:
                result.add(p)
            return None
        finally:
            table.close()
        result.total_rows = len(rows)
        if not rows and result.ok:
            result.add(problem(_("The file has no data rows below the column headers."), code="no_rows"))
        if result.ok or result.problem_count < MAX_PROBLEMS:
            self.check(rows)
        result.problems.sort(key=lambda p: (p["row"] or 0, len(p["col"]), p["col"]))
        self.progress(0.9 if commit else 1.0)
        return rows

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
            raw = self.spec.examples.get(column.example_key, "")
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
            m.found = self._load_by_lookups(m.model, [m.lookup], keys, m.model in PUBLIC, (), size)

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
        for scope in (getattr(model, "scope_path", None), county_path(model)):
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
        if spec.own_county and obj.county_id is None:
            obj.county_id = self.default_county(obj)
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
                obj.check_county()
                self.check_lock(obj)
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
        fields = ["pk", self.owner_path, *spec.written]
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
            scope = self.owner_path
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
        if self.may_add is not True and self.scope.level in ("county", "city"):
            refused = self.refuse_outside(row, obj)
        elif self.may_add is not True:
            township = township_id_of(obj)
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
            own = self.may_change is True or (record[1] is not None and record[1] == self.owner_id)
            if self.may_change is False or not own:
                if refused:
                    return  # one message for the row is enough
                if own:
                    message = _("The existing record %(key)s belongs to %(township)s: you may not change it.") % {
                        "key": self._key_text(row), "township": self.owner_name(record[1])}
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
                if self.may_change is True or (township is not None and township == self.owner_id):
                    message = _("Another record already has this %(fields)s.") % {"fields": label}
                else:
                    message = self._out_of_reach(names)
                self.row_problem(row, column, message, "unique")
            elif values in seen_here:
                self.row_problem(row, column, _("Rows %(first)d and %(row)d have the same %(fields)s.") % {
                    "first": seen_here[values], "row": row.number, "fields": label}, "unique")
            else:
                seen_here[values] = row.number

    def refuse_outside(self, row, obj):
        """A county's (or a city's) user: the row's record must lie in their county (city). True when refused."""
        city = self.scope.level == "city"
        where = city_id_of(obj) if city else county_id_of(obj)
        if where == self.owner_id or (where is None and row.bad):
            return False
        if where is None:
            message = _("Choose the township of this record: it cannot be placed in one county.")
        else:
            # Another county is never named (what the file states is shown, not where it is).
            message = _("%(what)s is not in your county: you may import only records of %(own)s.") % {
                "what": self._scope_object(obj), "own": self.owner_name(self.owner_id)}
        self.row_problem(row, self.scope_column(), message, "scope")
        return True

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

