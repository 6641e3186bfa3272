"""The figures kept pre-aggregated, current in the same transaction as every write.

From the metric declarations (``wenshang.web.figures.Metric``) each metric's rows are kept grouped
in ``MetricAggregate`` at three levels: ``v`` per village (per township for rows without a
village, per county for a metric of no township) and per quarter when the metric has a date (per
year for one dated by its year); ``t`` per township, grouped from the ``v`` rows; ``c`` per county,
grouped from the ``t`` rows; ``k`` a county's total over every quarter and ``p`` every county's per
quarter, both from the ``c`` rows (what a city's ranking and a province's dashboard read: a few
rows, however many villages and values there are). A distinct count (``distinct:<field>``) keeps
each value counted (a digest) so that a wider scope counts it once; at level ``p`` it keeps how
many values are first counted in each quarter (in any county), so that "as of" a quarter is a sum
(a period that starts later is read from the ``c`` rows). A ratio keeps its numerator and
denominator. A township's, county's or city's figure is then a sum over a few of these rows, never
a scan of the records (``values()``), and equal to the records' by construction; ``verify()``
checks it.

Kept current through the kernel's notice of changed records (``wenshang.kernel.changes``): every
write path (forms, API, bulk API, imports and the bulk COPY writer, services, the admin, deletes,
queryset updates) reports its changes there with the values before and after. What a change
touches is derived from the declarations too (``plan()``): the metric's own rows (their village
or township before and after), the records along the metric's paths (a grid moved to another
village moves its households' credit records), and the records of the subqueries of its
condition (a pairing makes its village a paired one). Those villages and townships are marked,
and recomputed from the records once per write (per batch for bulk paths, per ``deferred()``
block), with one grouped query per model restricted to them; then their townships' and counties'
rows are regrouped (two statements each), and the ``k`` and ``p`` rows of their metrics (a distinct
metric's ``p`` rows move by the changed values' first quarters, found through an index on member). ``figures_changed`` then names the townships and
counties whose figures changed (the dashboards' cache follows it).

``rebuild()`` refills every row from the records; ``verify()`` recomputes from the records and
lists every difference (``manage.py metrics verify|rebuild``; the nightly beat runs verify).
"""
import datetime as dt
import hashlib
import itertools
import logging
import re
import time
import zlib
from collections import defaultdict
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from decimal import Decimal
from functools import cache

from django.conf import settings
from django.core.exceptions import FieldDoesNotExist
from django.db import DatabaseError, connections, router, transaction
from django.db.models import Count, DateField, DateTimeField, F, Min, OuterRef, Q, QuerySet, Subquery, Sum, Value
from django.db.models.functions import ExtractQuarter, ExtractYear
from django.db.models.signals import post_migrate, pre_delete
from django.dispatch import Signal
from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime

from wenshang.kernel import bulk, changes, pipeline
from wenshang.kernel.models import BaseModel
from wenshang.kernel.periods import quarter_dates, quarter_of
from wenshang.web import figures
from wenshang.web.models import MetricAggregate

log = logging.getLogger("wenshang.metrics")

figures_changed = Signal()  # townships={id}, counties={id}, using: after a recomputation (None: a row of no township)

ALL = object()  # every field (a create or a delete): the change is relevant whatever it wrote
LEVELS = ("v", "t", "c", "k", "p")
COLUMNS = ["level", "metric", "county_id", "township_id", "village_id", "year", "quarter", "member", "value", "den"]


# -- the plan: how each metric is kept, derived from its declaration -------------------------------
@dataclass
class Group:
    """Metrics counted from the same model along the same paths (one grouped query keeps them all)."""

    model: type
    village_path: str | None
    township_path: str | None
    county_path: str | None
    date: tuple | None  # ("date", lookup) or ("year", lookup)
    member: str | None  # distinct: the field counted once
    metrics: list = field(default_factory=list)
    village_nullable: bool = False

    @property
    def keys(self):
        return [m.key for m in self.metrics]

    def __hash__(self):
        return id(self)

    def __eq__(self, other):
        return self is other


@dataclass(frozen=True)
class Dep:
    """A model whose changes touch a group: ``kind`` ``own`` (the metric's rows), ``hop`` (records along
    a path from them, at ``prefix``), ``sub`` (the records of a subquery of the condition, mapped to
    the metric's rows by ``lookup`` through their field ``selected``) or ``all`` (a record joined in
    such a subquery: any relevant change recomputes the metric everywhere). ``fields``: the attnames
    that matter (None: any)."""

    group: Group
    kind: str
    fields: frozenset | None
    prefix: str = ""
    lookup: str = ""
    selected: str = ""


@dataclass
class Plan:
    groups: list
    by_key: dict  # metric key -> Group
    deps: dict  # model -> [Dep]


def kept_metrics():
    """Every declared metric but the banks' reports (computed from their own small table)."""
    return [m for m in figures.metrics().values() if m.kind not in figures.SPECIAL]


def county_path_of(m):
    """The lookup from a metric's rows to their county: the model's own ``county`` when it declares
    one (county-level catalogues, records whose township may be empty), else its township's."""
    model = m.get_model()
    declared = getattr(model, "county_path", None)
    if declared:
        return declared
    if m.township_path:
        return f"{m.township_path}__county"
    try:
        model._meta.get_field("county")
        return "county"
    except FieldDoesNotExist:
        return None


def walk(model, lookup):
    """[(model, prefix, field)] for each field ``lookup`` reads from ``model`` (forward links only; the
    walk stops at the first transform or lookup: ``__year``, ``__in``, ``__date``)."""
    out, prefix, current = [], [], model
    for part in lookup.split("__"):
        name = current._meta.pk.name if part == "pk" else part
        try:
            f = current._meta.get_field(name)
        except FieldDoesNotExist:
            break
        if not f.concrete or f.many_to_many:
            raise ValueError(f"{model.__name__}: {lookup} goes through {name}, which is not a forward link")
        out.append((current, "__".join(prefix), f))
        if not f.is_relation:
            break
        prefix.append(part)
        current = f.related_model
    return out


def _nullable(model, lookup):
    return any(f.null for _m, _p, f in walk(model, lookup))


def _q_parts(q):
    """(lookup, value) pairs of a Q, recursively."""
    for child in q.children:
        if isinstance(child, Q):
            yield from _q_parts(child)
        else:
            yield child


def _subquery_fields(qs):
    """{model: set(attnames)} read by a subquery's condition and selection, and its base model."""
    query = qs.query
    tables = {}
    for alias, join in query.alias_map.items():
        tables[alias] = join.table_name
    models = {m._meta.db_table: m for m in {qs.model, *[f.related_model for f in qs.model._meta.concrete_fields
                                                          if f.is_relation]}}
    out = defaultdict(set)

    def visit(node):
        for child in getattr(node, "children", ()):
            if hasattr(child, "children"):
                visit(child)
                continue
            col = getattr(child, "lhs", None)
            target = getattr(col, "target", None)
            if target is None:
                raise ValueError(f"subquery condition not understood: {child}")
            model = models.get(tables.get(col.alias)) or target.model
            out[model].add(target.attname)

    visit(query.where)
    return out


def _condition_parts(m):
    where = m.where(None) if callable(m.where) else (m.where or {})
    if isinstance(where, Q):
        return list(_q_parts(where))
    return list(where.items())


def _alias_path(query, alias):
    """The lookup from a query's base model to the table of ``alias`` (forward links)."""
    path = []
    join = query.alias_map[alias]
    while getattr(join, "parent_alias", None):
        path.insert(0, join.join_field.name)
        join = query.alias_map[join.parent_alias]
    return path


FAR = dt.date(9999, 12, 31)


def _as_of_subquery(m):
    """(the row's lookup ``…__in``, the subquery) of a metric's ``as_of`` condition, asked for a far
    day, when it is one subquery; else None."""
    if m.as_of is None or m.date:
        return None
    condition = m.as_of(FAR)
    parts = list(_q_parts(condition)) if isinstance(condition, Q) else list(condition.items())
    if len(parts) != 1 or not isinstance(parts[0][1], QuerySet) or not parts[0][0].endswith("__in"):
        return None
    return parts[0]


def as_of_date(m):
    """For a metric counted "as of" a day through another model's date (``Metric.as_of``: the rows
    whose records in a subquery are dated by then, e.g. a village paired by then, a person trained
    by then), ("sub", the subquery's model, its field naming the row, its date lookup, the row's
    lookup): a row's date is then the earliest of its records', so that it can be kept by quarter
    like a dated metric. None when the declaration is not of that form."""
    found_subquery = _as_of_subquery(m)
    if found_subquery is None:
        return None
    lookup, qs = found_subquery
    query = qs.query
    if len(query.values_select) != 1:
        return None
    found = []

    def visit(node):
        for child in getattr(node, "children", ()):
            if hasattr(child, "children"):
                visit(child)
            elif getattr(child, "rhs", None) == FAR and getattr(child.lhs, "target", None) is not None:
                found.append("__".join([*_alias_path(query, child.lhs.alias), child.lhs.target.name]))

    visit(query.where)
    if len(found) != 1:
        return None
    return ("sub", qs.model, query.values_select[0], found[0], lookup[: -len("__in")])


def _group_signature(m):
    model = m.get_model()
    date = None
    if m.date:
        date = ("year", m.date) if m.date_is_year else ("date", m.date)
    elif m.as_of is not None:
        date = as_of_date(m)
    member = m.field if m.kind == "distinct" else None
    return (model, m.village_path, m.township_path, county_path_of(m), date, member)


@cache
def plan():
    """The groups of kept metrics and, for each model, what its changes touch."""
    groups = {}
    for m in kept_metrics():
        sig = _group_signature(m)
        if sig not in groups:
            model, village_path, township_path, county_path, date, member = sig
            groups[sig] = Group(model, village_path, township_path, county_path, date, member,
                                village_nullable=bool(village_path) and _nullable(model, village_path))
        groups[sig].metrics.append(m)
    deps = defaultdict(list)
    for group in groups.values():
        model = group.model
        own = set()
        hops = defaultdict(set)  # (model, prefix) -> attnames
        lookups = [p for p in (group.village_path, group.township_path, group.county_path, group.member) if p]
        if group.date and group.date[0] != "sub":
            lookups.append(group.date[1])
        subs = []
        for m in group.metrics:
            if m.kind == "sum":
                lookups.append(m.field)
            elif m.kind == "ratio":
                lookups.extend(m.field.split("/"))
            for lookup, value in _condition_parts(m):
                if isinstance(value, QuerySet):
                    subs.append((lookup.rsplit("__", 1)[0], value))
                lookups.append(lookup)
            if group.date and group.date[0] == "sub":  # the records that date a row: like a subquery of the condition
                lookup, qs = _as_of_subquery(m)
                subs.append((lookup.rsplit("__", 1)[0], qs))
        for lookup in lookups:
            for hop_model, prefix, f in walk(model, lookup):
                if prefix:
                    hops[(hop_model, prefix)].add(f.attname)
                else:
                    own.add(f.attname)
        deps[model].append(Dep(group, "own", frozenset(own)))
        for (hop_model, prefix), attnames in hops.items():
            deps[hop_model].append(Dep(group, "hop", frozenset(attnames), prefix=prefix))
        for lookup, qs in subs:
            selected = qs.query.values_select
            if len(selected) != 1:
                raise ValueError(f"{group.keys}: a subquery of the condition selects {selected}")
            sel = qs.model._meta.get_field(selected[0]).attname
            # The subquery's own records: any change may count another row in or out (its links to
            # the records joined in it included); the records joined: a change of what it reads.
            deps[qs.model].append(Dep(group, "sub", None, lookup=lookup, selected=sel))
            for sub_model, attnames in _subquery_fields(qs).items():
                if sub_model is not qs.model:
                    deps[sub_model].append(Dep(group, "all", frozenset(attnames)))
    out = list(groups.values())
    unique = {model: list(dict.fromkeys(found)) for model, found in deps.items()}
    return Plan(out, {m.key: g for g in out for m in g.metrics}, unique)


# -- what a change touches ----------------------------------------------------------------------
class Units:
    """The places of one group to recompute: villages, townships (the rows of no village; None: of
    no township), or everything; each place with the quarters to recompute ({(year, quarter)}; None:
    all of them). A save recomputes the quarter of its row, before and after, not the whole village."""

    __slots__ = ("villages", "townships", "all")

    def __init__(self):
        self.villages, self.townships, self.all = {}, {}, False

    def __bool__(self):
        return bool(self.villages or self.townships or self.all)

    def add(self, group, village, township, bucket=None):
        if group.township_path is None and group.village_path is None:
            self.all = True
            return
        if group.village_path is not None and village is not None:
            target, key = self.villages, village
        else:
            target, key = self.townships, township
        if bucket is None:
            target[key] = None
        elif key not in target:
            target[key] = {bucket}
        elif target[key] is not None:
            target[key].add(bucket)


NO_DATE = (None, None)  # the bucket of the rows of a dated metric that carry no date


def _bucket(group, values):
    """The (year, quarter) of a row of the group from its values (JSON or Python), or None when they
    do not tell (the date lies along a link, or was not among the values): then every quarter."""
    if group.date is None or group.date[0] == "sub":
        return None  # an undated metric: its place's one row; dated through other records: not by its own values
    kind, lookup = group.date
    base = lookup[: -len("__date")] if lookup.endswith("__date") else lookup
    if "__" in base or values is None or base not in values:
        return None
    value = values[base]
    if value is None:
        return NO_DATE
    try:
        if kind == "year":
            return (int(value), 0)
        if isinstance(value, str):
            value = parse_datetime(value) if lookup.endswith("__date") else parse_date(value)
        if isinstance(value, dt.datetime):
            value = timezone.localtime(value).date() if timezone.is_aware(value) else value.date()
        return (value.year, (value.month + 2) // 3)
    except (TypeError, ValueError, AttributeError):
        return None


_pending = ContextVar("wenshang_aggregates_pending", default=None)  # {alias: {Group: Units}}
_suspended = ContextVar("wenshang_aggregates_suspended", default=False)


def _of_alias(var, using, empty):
    """The part of a context variable's {alias: …} for ``using`` (made empty on first use)."""
    state = var.get()
    if state is None:
        state = {}
        var.set(state)
    return state.setdefault(using, empty())


def pending(using):
    return _of_alias(_pending, using, dict)


@contextmanager
def suspended():
    """Keep no aggregate current inside this block (a benchmark's "before"; ``rebuild()`` after)."""
    token = _suspended.set(True)
    try:
        yield
    finally:
        _suspended.reset(token)


def _changed(change):
    """The attnames a change wrote (ALL for a create or a delete), and whether its "before" is known."""
    if change.action in ("create", "delete"):
        return ALL, True
    after = change.after or {}
    if change.before is None:
        return set(after), False
    return {k for k, v in after.items() if change.before.get(k, v) != v} | {
        k for k in change.before if k not in after}, True


def _relevant(changed, fields):
    return changed is ALL or fields is None or bool(changed & fields)


def _first(model, lookup):
    """(attname of the lookup's first field, its related model or None, the rest of the lookup)."""
    first, _sep, rest = lookup.partition("__")
    if first == "pk":
        return model._meta.pk.attname, None, ""
    f = model._meta.get_field(first)
    return f.attname, (f.related_model if f.is_relation else None), rest


def _resolve(model, lookup, sides, using):
    """The value at the end of ``lookup`` for each side: (pk, values) — values by attname (JSON),
    or None for the record as it is in the database now. One query per related model."""
    if lookup is None:
        return [None] * len(sides)
    attname, related, rest = _first(model, lookup)
    out = [None] * len(sides)
    current, via = [], defaultdict(list)
    for i, (pk, values) in enumerate(sides):
        if lookup == "pk":
            out[i] = pk
        elif values is None or attname not in values:
            current.append(i)
        elif not rest or values[attname] is None:
            out[i] = values[attname]
        else:
            via[values[attname]].append(i)
    if current:
        found = dict(model._base_manager.db_manager(using).filter(pk__in={sides[i][0] for i in current})
                     .values_list("pk", lookup))
        for i in current:
            out[i] = found.get(sides[i][0])
    if via:
        found = dict(related._base_manager.db_manager(using).filter(pk__in=list(via)).values_list("pk", rest))
        for value, indices in via.items():
            for i in indices:
                out[i] = found.get(value)
    return out


def _mark_sides(group, sides, units, using):
    """Mark the places of the group's rows given as sides (pk, values or None)."""
    if group.township_path is None and group.village_path is None:
        if sides:
            units.all = True
        return
    villages = _resolve(group.model, group.village_path, sides, using) if group.village_path else [None] * len(sides)
    missing = [i for i, v in enumerate(villages) if v is None]
    townships = {}
    if missing and group.township_path:
        found = _resolve(group.model, group.township_path, [sides[i] for i in missing], using)
        townships = dict(zip(missing, found))
    by_quarter = len(sides) <= PAIRS  # a batch: whole villages (one plain grouped query over them)
    for i, village in enumerate(villages):
        units.add(group, village, townships.get(i), _bucket(group, sides[i][1]) if by_quarter else None)


def _mark_rows(group, lookup, keys, units, using, replace=None):
    """Mark the places of the group's rows whose ``lookup`` is one of ``keys`` (as they are now; with
    ``replace``: {"village"|"township": value} for the paths a change moved, as they were)."""
    if not keys:
        return
    if group.township_path is None and group.village_path is None:
        units.all = True
        return
    paths = [p for p in (group.village_path, group.township_path) if p]
    rows = group.model._base_manager.db_manager(using).filter(**{f"{lookup}__in": list(keys)}).order_by()
    for row in rows.values_list(*paths).distinct():
        values = dict(zip(paths, row))
        village = values.get(group.village_path) if group.village_path else None
        township = values.get(group.township_path) if group.township_path else None
        if replace:
            village = replace.get("village", village)
            township = replace.get("township", township)
        units.add(group, village, township)


def _moved(group, dep, change, using):
    """For a change of a record along the group's paths (``hop``): {"village"|"township": old value} of
    the unit paths that pass through a field the change wrote, read from its value before."""
    out = {}
    before, after = change.before or {}, change.after or {}
    hop_model = None
    for name, path in (("village", group.village_path), ("township", group.township_path)):
        if not path or not path.startswith(dep.prefix + "__"):
            continue
        rest = path[len(dep.prefix) + 2:]
        if hop_model is None:
            hop_model = walk(group.model, dep.prefix + "__pk")[-1][0]
        attname, related, tail = _first(hop_model, rest)
        if attname not in before or before[attname] == after.get(attname, before[attname]):
            continue
        value = before[attname]
        if tail and value is not None:
            value = related._base_manager.db_manager(using).filter(pk=value).values_list(tail, flat=True).first()
        out[name] = value
    return out


def _heard(sender, changes, using, **kwargs):
    """``records_changed``: mark what the changes touch."""
    if _suspended.get():
        return
    deps = plan().deps.get(sender)
    if not deps:
        return
    state = pending(using)
    seen = _deleted_seen(using)
    for dep in deps:
        group = dep.group
        units = state.setdefault(group, Units())
        if units.all:
            continue
        if dep.kind == "own":
            sides = []
            for change in changes:
                if change.action == "delete" and (sender, change.pk) in seen:
                    continue
                changed, known = _changed(change)
                if not _relevant(changed, dep.fields):
                    continue
                if not known:
                    units.all = True  # where the record was is not known: recompute the metric everywhere
                    break
                if change.action != "create":
                    sides.append((change.pk, change.before if change.action == "delete" else
                                  {**(change.after or {}), **change.before}))
                if change.action != "delete":
                    sides.append((change.pk, change.after if change.action == "create" else
                                  {**change.before, **(change.after or {})}))
            else:
                _mark_sides(group, sides, units, using)
        elif dep.kind == "hop":
            keys = []
            for change in changes:
                if change.action != "update":
                    continue  # a new record has no rows yet; a deleted one's were marked before the delete
                changed, known = _changed(change)
                if not _relevant(changed, dep.fields):
                    continue
                if not known:
                    units.all = True
                    break
                keys.append(change.pk)
                moved = _moved(group, dep, change, using)
                if moved:
                    _mark_rows(group, dep.prefix, [change.pk], units, using, replace=moved)
            else:
                _mark_rows(group, dep.prefix, keys, units, using)
        elif dep.kind == "sub":
            keys = set()
            for change in changes:
                if change.action == "delete" and (sender, change.pk) in seen:
                    continue
                changed, known = _changed(change)
                if not _relevant(changed, dep.fields):
                    continue
                for values in (change.before, change.after):
                    if values and values.get(dep.selected) is not None:
                        keys.add(values[dep.selected])
                if not known or (change.action == "update" and dep.selected not in (change.after or {})):
                    keys.update(sender._base_manager.db_manager(using).filter(pk=change.pk)
                                .values_list(dep.selected, flat=True))
            _mark_rows(group, dep.lookup, keys - {None}, units, using)
        elif dep.kind == "all":
            for change in changes:
                if change.action == "update" and _relevant(_changed(change)[0], dep.fields):
                    units.all = True
                    break


_deletes = ContextVar("wenshang_aggregates_deletes", default=None)


def _deleted_seen(using):
    return _of_alias(_deletes, using, set)


def _before_delete(sender, instance, using, **kwargs):
    """A record about to be deleted: mark its places and those of the rows that refer to it while
    everything is still there (cascades and SET_NULL follow; the delete's notice recomputes)."""
    if _suspended.get() or not (isinstance(sender, type) and issubclass(sender, BaseModel)):
        return
    deps = plan().deps.get(sender)
    if not deps:
        return
    state = pending(using)
    values = {f.attname: f.value_from_object(instance) for f in sender._meta.concrete_fields}
    for dep in deps:
        units = state.setdefault(dep.group, Units())
        if units.all:
            continue
        if dep.kind == "own":
            _mark_sides(dep.group, [(instance.pk, values)], units, using)
        elif dep.kind == "hop":
            _mark_rows(dep.group, dep.prefix, [instance.pk], units, using)
        elif dep.kind == "sub" and values.get(dep.selected) is not None:
            _mark_rows(dep.group, dep.lookup, [values[dep.selected]], units, using)
    _deleted_seen(using).add((sender, instance.pk))


def _flushing(sender, using, **kwargs):
    flush(using)


def flush(using=None):
    """Recompute what the changes heard on ``using`` marked (all aliases when None)."""
    state = _pending.get()
    if not state:
        return
    for alias in ([using] if using is not None else list(state)):
        if connections[alias].needs_rollback:
            continue  # the transaction will be rolled back: what was marked stays marked for the next write
        marked = state.pop(alias, None)
        seen = _deletes.get()
        if seen:
            seen.pop(alias, None)
        if not marked:
            continue
        todo = {g: u for g, u in marked.items() if u}
        if todo:
            recompute(todo, alias)


changes.records_changed.connect(_heard, dispatch_uid="aggregates-heard")
changes.flushing.connect(_flushing, dispatch_uid="aggregates-flushing")
pre_delete.connect(_before_delete, dispatch_uid="aggregates-before-delete")


@changes.interested
def _wants_update(model, attnames):
    return any(_relevant(attnames, dep.fields) for dep in plan().deps.get(model, ()))


# -- recomputing ---------------------------------------------------------------------------------
class YearOf(ExtractYear):
    """A date's year; on SQLite computed by SQLite itself (Django's extraction is a Python function
    called for every row there: 30 ms for one village's parcels)."""

    def as_sqlite(self, compiler, connection, **extra):
        if isinstance(self.lhs.output_field, DateTimeField):
            return super().as_sqlite(compiler, connection, **extra)
        sql, params = compiler.compile(self.lhs)
        return f"CAST(strftime('%%Y', {sql}) AS INTEGER)", params


class QuarterOf(ExtractQuarter):
    """A date's quarter (1–4), as ``YearOf``."""

    def as_sqlite(self, compiler, connection, **extra):
        if isinstance(self.lhs.output_field, DateTimeField):
            return super().as_sqlite(compiler, connection, **extra)
        sql, params = compiler.compile(self.lhs)
        return f"((CAST(strftime('%%m', {sql}) AS INTEGER) + 2) / 3)", params


def _date_columns(group):
    if group.date[0] == "sub":  # the earliest date of the row's records in the subquery
        _kind, model, sel, date, outer = group.date
        earliest = (model._base_manager.filter(**{sel: OuterRef(outer)}).order_by().values(sel)
                    .annotate(_m=Min(date)).values("_m"))
        first = Subquery(earliest, output_field=DateField())
        return {"_y": YearOf(first), "_q": QuarterOf(first)}
    kind, lookup = group.date
    if kind == "year":
        return {"_y": F(lookup), "_q": Value(0)}
    base = lookup[: -len("__date")] if lookup.endswith("__date") else lookup
    return {"_y": YearOf(base), "_q": QuarterOf(base)}


def _aggregates(group):
    out = {}
    for i, m in enumerate(group.metrics):
        condition = m.condition()
        if m.kind == "sum":
            out[f"a{i}"] = Sum(m.field, filter=condition)
        elif m.kind == "ratio":
            num, den = m.field.split("/")
            out[f"a{i}"], out[f"b{i}"] = Sum(num, filter=condition), Sum(den, filter=condition)
        else:  # count, and distinct: the rows of each value counted
            out[f"a{i}"] = Count("pk", filter=condition)
    return out


def digest(value):
    """A distinct metric's value as kept (never the value itself: ID numbers are personal data)."""
    return hashlib.sha256(str(value).encode()).hexdigest()[:40]


def _dec(value):
    if value is None:
        return None
    return figures._as_decimal(value).quantize(Decimal("0.01"))


def _grouped(group, restrict, using):
    """The grouped queryset of ``group``'s records matching ``restrict``."""
    qs = group.model._base_manager.db_manager(using).filter(restrict).order_by()
    names = {}
    if group.village_path:
        names["_v"] = F(group.village_path)
    if group.township_path:
        names["_t"] = F(group.township_path)
    if group.county_path:
        names["_c"] = F(group.county_path)
    if group.date:
        names.update(_date_columns(group))
    if group.member:
        names["_m"] = F(group.member)
    aggs = _aggregates(group)
    return qs.values(**names).annotate(**aggs) if names else None, qs, aggs


def grouped_rows(group, restrict, using):
    """The ``v`` rows of ``group`` computed from the records matching ``restrict`` (a Q), as tuples in
    ``COLUMNS`` order: one grouped query."""
    grouped, qs, aggs = _grouped(group, restrict, using)
    return _rows(group, grouped if grouped is not None else [qs.aggregate(**aggs)])


_SQL = {}  # (group id, alias, vendor, kinds) -> (SQL, params, [(position, what)])
SENTINEL = -(10**15)


def _sentinel_q(group, i, kind):
    """The condition of the ``i``-th (village, quarter) pair with placeholder values, and them."""
    marks = {"village": SENTINEL - i}
    q = Q(**{group.village_path: marks["village"]})
    if kind in ("all", None):
        return q, marks
    date_kind, lookup = group.date
    base = lookup[: -len("__date")] if lookup.endswith("__date") else lookup
    if kind == "none":
        return q & Q(**{f"{base}__isnull": True}), marks
    if kind == "year":
        marks["year"] = 32000 + i  # within a small integer's range (a year field's)
        return q & Q(**{lookup: marks["year"]}), marks
    marks["start"], marks["end"] = dt.date(1001 + i, 1, 1), dt.date(1001 + i, 12, 31)
    return q & Q(**{f"{lookup}__gte": marks["start"], f"{lookup}__lte": marks["end"]}), marks


def _kind(group, bucket):
    if bucket is None or group.date[0] == "sub":
        return "all"
    if bucket == NO_DATE:
        return "none"
    return "year" if group.date[0] == "year" else "quarter"


def _pair_sql(group, pairs, using):
    """(SQL, params) of the grouped query of the records of some (village, quarter) pairs, compiled
    once per group and shape of the pairs (building and compiling the ORM query was most of a single
    save's cost)."""
    connection = connections[using]
    kinds = tuple(_kind(group, bucket) for _village, bucket in pairs)
    key = (id(group), using, connection.vendor, kinds)
    compiled = _SQL.get(key)
    if compiled is None:
        q, found = Q(pk__in=[]), []
        for i, kind in enumerate(kinds):
            part, marks = _sentinel_q(group, i, kind)
            q |= part
            found.append(marks)
        grouped, _qs, _aggs = _grouped(group, q, using)
        sql, params = grouped.query.get_compiler(using=using).as_sql()
        params = list(params)
        ops = connection.ops
        positions = []
        for i, marks in enumerate(found):
            for what, mark in marks.items():
                adapted = ops.adapt_datefield_value(mark) if isinstance(mark, dt.date) else mark
                positions.append((params.index(adapted), i, what))
        compiled = _SQL[key] = (sql, params, positions)
    sql, template, positions = compiled
    params = list(template)
    for position, i, what in positions:
        village, bucket = pairs[i]
        if what == "village":
            value = village
        elif what == "year":
            value = bucket[0]
        else:
            start, end = quarter_dates(*bucket)
            value = connection.ops.adapt_datefield_value(start if what == "start" else end)
        params[position] = value
    return sql, params


def pair_rows(group, pairs, using):
    """``grouped_rows`` of the records of some (village, quarter) pairs (quarter None: all of the
    village's), with the statement compiled once per group and shape of the pairs: building and
    compiling the ORM query was most of a single save's cost."""
    connection = connections[using]
    sql, params = _pair_sql(group, pairs, using)
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        names = [d[0] for d in cursor.description]
        rows = [dict(zip(names, row)) for row in cursor.fetchall()]
    for row in rows:  # the database's own types: a year may come as a decimal
        for name in ("_y", "_q"):
            if row.get(name) is not None:
                row[name] = int(row[name])
    return _rows(group, rows)


def _old_and_pairs(cursor, group, pairs, old_sql, old_params, before, using):
    """The ``v`` rows of ``old_sql`` and ``pair_rows`` of ``pairs``, from one statement (PostgreSQL): the
    first as they are, the records' grouped rows beside them (their own columns, NULL in the other's)."""
    sql, params = _pair_sql(group, pairs, using)
    names = [n for n, path in (("_v", group.village_path), ("_t", group.township_path), ("_c", group.county_path),
                               ("_y", group.date), ("_q", group.date), ("_m", group.member)) if path]
    sums = [f"{p}{i}" for i, m in enumerate(group.metrics) for p in ("ab" if m.kind == "ratio" else "a")]
    casts = {"_v": "bigint", "_t": "bigint", "_c": "bigint", "_y": "bigint", "_q": "bigint", "_m": "text"}
    statement = (
        f"SELECT o.*, {', '.join([f'NULL::{casts[n]}' for n in names] + ['NULL::numeric'] * len(sums))} FROM ({old_sql}) o "
        f"UNION ALL SELECT NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, "
        f"{', '.join([f'g.{n}::{casts[n]}' for n in names] + [f'g.{a}::numeric' for a in sums])} FROM ({sql}) g"
    )
    _execute(cursor, statement, [*old_params, *params], before)
    found, rows = [], []
    for row in cursor.fetchall():
        if row[0] is not None:
            found.append(row[:10])
        else:
            rows.append(dict(zip(names + sums, row[10:])))
    for row in rows:
        for name in ("_y", "_q"):
            if row.get(name) is not None:
                row[name] = int(row[name])
    return found, _rows(group, rows)


def _rows(group, rows):
    out = []
    for row in rows:
        member = ""
        if group.member:
            if row["_m"] is None:
                continue
            member = digest(row["_m"])
        place = (row.get("_c"), row.get("_t"), row.get("_v"), row.get("_y"), row.get("_q"), member)
        for i, m in enumerate(group.metrics):
            value = row[f"a{i}"] or 0
            den = row.get(f"b{i}") if m.kind == "ratio" else None
            if not value and not den:
                continue
            out.append(("v", m.key, *place, _dec(value), _dec(den)))
    return out


def _in(column, values, params):
    """SQL ``column IN (…)`` (with ``OR column IS NULL`` for a None among ``values``), its params appended."""
    given = [v for v in values if v is not None]
    parts = []
    if given:
        parts.append(f"{column} IN ({', '.join(['%s'] * len(given))})")
        params.extend(given)
    if len(given) != len(values):
        parts.append(f"{column} IS NULL")
    return "(" + " OR ".join(parts) + ")" if parts else "(1 = 0)"


def _when_q(group, buckets):
    """The records of the (year, quarter) ``buckets`` (a Q; None: every one)."""
    if buckets is None or group.date[0] == "sub":
        return Q()
    kind, lookup = group.date
    base = lookup[: -len("__date")] if lookup.endswith("__date") else lookup
    q = Q(pk__in=[])
    for year, quarter in sorted(buckets, key=repr):
        if year is None:
            q |= Q(**{f"{base}__isnull": True})
        elif kind == "year":
            q |= Q(**{lookup: year})
        else:
            start, end = quarter_dates(year, quarter)
            q |= Q(**{f"{lookup}__gte": start, f"{lookup}__lte": end})
    return q


def _by_bucket(places):
    """{buckets or None: [place]}: the places recomputed alike (every quarter, or the same ones)."""
    out = defaultdict(list)
    for place, buckets in places.items():
        out[frozenset(buckets) if buckets is not None else None].append(place)
    return out


def _restrict(group, units):
    """The records of ``units`` (a Q on the group's model)."""
    if units.all:
        return Q()
    q = Q(pk__in=[])
    for buckets, villages in _by_bucket(units.villages).items():
        q |= Q(**{f"{group.village_path}__in": sorted(villages)}) & _when_q(group, buckets)
    for buckets, townships in _by_bucket(units.townships).items():
        given = sorted(t for t in townships if t is not None)
        where = Q(pk__in=[])
        if group.township_path:
            if given:
                where |= Q(**{f"{group.township_path}__in": given})
            if None in townships:
                where |= Q(**{f"{group.township_path}__isnull": True})
        elif None in townships:
            where = Q()
        if group.village_path:
            where &= Q(**{f"{group.village_path}__isnull": True}) if group.village_nullable else Q(pk__in=[])
        q |= where & _when_q(group, buckets)
    return q


def _bucket_sql(buckets, params):
    if buckets is None:
        return ""
    parts = []
    for year, quarter in sorted(buckets, key=repr):
        parts.append(f"({_eq('year', year, params)} AND {_eq('quarter', quarter, params)})")
    return " AND (" + " OR ".join(parts) + ")"


def _unit_sql(group, units, params):
    """The ``v`` rows of ``units`` (SQL, for the aggregate table)."""
    if units.all:
        return "1 = 1"
    parts = []
    for buckets, villages in _by_bucket(units.villages).items():
        part = _in("village_id", sorted(villages), params)
        parts.append(f"({part}{_bucket_sql(buckets, params)})")
    for buckets, townships in _by_bucket(units.townships).items():
        ts = sorted(townships, key=lambda t: (t is None, t or 0))
        part = _in("township_id", ts, params)
        parts.append(f"(village_id IS NULL AND {part}{_bucket_sql(buckets, params)})")
    return "(" + " OR ".join(parts) + ")" if parts else "1 = 0"


def _table(connection):
    return connection.ops.quote_name(MetricAggregate._meta.db_table)


ANALYZE_AFTER = 5000  # rows changed by one recomputation after which PostgreSQL's statistics are renewed
PAIRS = 8  # more (village, quarter) pairs than this to recompute: whole villages instead (a batch, an import)
BUCKETS = 200  # more quarters changed than this in one recomputation: their townships and counties regrouped whole


def recompute(marked, using):
    """Recompute the ``v`` rows of the marked places of each group from the records and write those
    that changed, then regroup the ``t`` and ``c`` rows of the quarters (of the townships and counties)
    where a ``v`` row changed. ``marked``: {Group: Units}. A single save costs a few small statements:
    the old rows, the grouped query of the records, and what changed at each level (sent in one
    round trip on PostgreSQL)."""
    connection = connections[using]
    table = _table(connection)
    townships, counties = set(), set()
    written = 0
    with transaction.atomic(using=using, savepoint=False), connection.cursor() as cursor:
        lock = _lock(connection, marked)  # sent with the first statement (one round trip less a save)
        writes = Writes(cursor, connection)
        for group, units in marked.items():
            keys = group.keys
            pairs = [(v, b) for v, buckets in sorted(units.villages.items())
                     for b in (sorted(buckets, key=repr) if buckets is not None else [None])]
            if len(pairs) > PAIRS or sum(len(b) if b else 1 for b in units.townships.values()) > PAIRS:
                units.villages = dict.fromkeys(units.villages)  # whole places: a plain condition, not one per quarter
                units.townships = dict.fromkeys(units.townships)
            if (connection.vendor == "postgresql" and connection.pg_version >= 150000 and not group.member and pairs
                    and not units.townships and not units.all and len(pairs) <= PAIRS):
                changed_townships, changed_counties = _delta(cursor, table, group, units, pairs, using, lock)
                lock = None
                townships |= changed_townships
                counties |= changed_counties
                continue
            params = list(keys)
            where = f"level = 'v' AND metric IN ({', '.join(['%s'] * len(keys))}) AND " + _unit_sql(group, units, params)
            old_sql = f"SELECT id, metric, county_id, township_id, village_id, year, quarter, member, value, den FROM {table} WHERE {where}"
            by_pairs = pairs and not units.townships and not units.all and len(pairs) <= PAIRS
            if by_pairs and connection.vendor == "postgresql":  # a save: the old rows and the records' in one round trip
                found, computed = _old_and_pairs(cursor, group, pairs, old_sql, params, lock, using)
            else:
                _execute(cursor, old_sql, params, lock)
                found = cursor.fetchall()
                computed = (pair_rows(group, pairs, using) if by_pairs
                            else grouped_rows(group, _restrict(group, units), using))
            lock = None
            old = {tuple(r[1:8]): (r[0], _dec(r[8]), _dec(r[9])) for r in found}
            new = {tuple(r[1:8]): r for r in computed}
            gone = [(k, entry[0]) for k, entry in old.items() if k not in new or (new[k][8], new[k][9]) != entry[1:]]
            added = [row for k, row in new.items() if k not in old or (row[8], row[9]) != old[k][1:]]
            for start in range(0, len(gone), 2000):
                ids = [pk for _k, pk in gone[start : start + 2000]]
                writes.add(f"DELETE FROM {table} WHERE id IN ({', '.join(['%s'] * len(ids))})", ids)
            if len(added) > 200:
                writes.flush()
                bulk.insert_rows(MetricAggregate, COLUMNS, added, using=using)
            elif added:
                writes.add(f"INSERT INTO {table} ({', '.join(COLUMNS)}) VALUES "
                           + ", ".join([f"({', '.join(['%s'] * len(COLUMNS))})"] * len(added)), [v for r in added for v in r])
            changed = {k for k, _pk in gone} | {tuple(r[1:8]) for r in added}
            written += len(changed)
            if not changed:
                continue
            buckets = {(k[0], k[1], k[2], k[4], k[5]) for k in changed}  # metric, county, township, year, quarter
            places = {(k[2], k[1]) for k in changed}
            if units.all:
                _regroup(writes, table, keys, None, None)
            elif len(buckets) > BUCKETS:
                _regroup(writes, table, keys, {t for t, _c in places}, {c for _t, c in places})
            else:
                members = defaultdict(set)  # a distinct metric's values whose rows changed
                for k in changed:
                    if k[6]:
                        members[k[0]].add(k[6])
                _regroup_buckets(writes, table, buckets, members)
            townships |= {t for t, _c in places}
            counties |= {c for _t, c in places}
        writes.flush()
        if written > ANALYZE_AFTER and connection.vendor == "postgresql":
            cursor.execute(f"ANALYZE {table}")  # the planner's statistics after a load (a demo, a first import)
    if townships or counties:
        figures_changed.send(sender=None, townships=townships, counties=counties, using=using)


LOCK_SPACE = 0x5753  # the first key of the portal's advisory locks ("WS")


def _lock_id(group):
    """A group's advisory lock key: a signed 32-bit number from its metrics."""
    number = zlib.crc32(",".join(sorted(group.keys)).encode())
    return number - 2**32 if number >= 2**31 else number


def _lock(connection, groups):
    """On PostgreSQL, one writer at a time keeps a group's aggregates: each group's advisory lock, held
    to the end of the writer's transaction, taken in one order (no deadlock between two writers).
    A second writer waits for the first to commit, and its statements then read the first one's
    records and rows: no stale village row, no row regrouped twice (a duplicate, or a unique key
    refused). SQLite writes one transaction at a time anyway. Returns (SQL, params) to send before
    the first statement (in the same round trip: each statement of it reads after the one before),
    or None."""
    if connection.vendor != "postgresql" or not groups:
        return None
    ids = sorted({_lock_id(group) for group in groups})
    return "; ".join(["SELECT pg_advisory_xact_lock(%s, %s)"] * len(ids)), [v for i in ids for v in (LOCK_SPACE, i)]


def _execute(cursor, sql, params, before=None):
    """``cursor.execute``, with the statements ``before`` ((SQL, params) or None) sent first in the
    same round trip (the result is the last statement's)."""
    if before is None:
        return cursor.execute(sql, params)
    return cursor.execute(f"{before[0]}; {sql}", [*before[1], *params])


def _delta(cursor, table, group, units, pairs, using, before=None):
    """A save's recomputation on PostgreSQL in one statement, for a group without distinct values:
    the ``v`` rows of the marked (village, quarter) pairs replaced by the records' grouped query,
    and the difference added to the ``t``, ``c``, ``k`` and ``p`` rows it falls in (an upsert on
    the rows' key); rows that fall to nothing go. Returns (townships, counties) whose figures changed."""
    sql, params = _pair_sql(group, pairs, using)
    columns = {"_c": group.county_path, "_t": group.township_path, "_v": group.village_path, "_y": group.date,
               "_q": group.date}
    def col(name, cast, alias):
        return f"{f'g.{name}' if columns[name] else 'NULL'}::{cast} AS {alias}"

    place = ", ".join([col("_c", "bigint", "county_id"), col("_t", "bigint", "township_id"),
                       col("_v", "bigint", "village_id"), col("_y", "smallint", "year"), col("_q", "smallint", "quarter")])
    unpivot = []
    for i, m in enumerate(group.metrics):
        den = f"g.b{i}::numeric" if m.kind == "ratio" else "NULL::numeric"
        unpivot.append(f"SELECT %s::varchar AS metric, {place}, COALESCE(g.a{i}, 0)::numeric AS value, {den} AS den FROM g")
        params.append(m.key)
    unit_params = list(group.keys)
    where = (f"level = 'v' AND metric IN ({', '.join(['%s'] * len(group.keys))}) AND " + _unit_sql(group, units, unit_params))
    params += unit_params
    key = "metric, county_id, township_id, village_id, year, quarter"
    cols = "(level, metric, county_id, township_id, village_id, year, quarter, member, value, den)"
    none, no_year = "NULL::bigint", "NULL::smallint"
    levels = [("t", f"county_id, township_id, {none}", "county_id, township_id, year, quarter", "year, quarter"),
              ("c", f"county_id, {none}, {none}", "county_id, year, quarter", "year, quarter"),
              ("k", f"county_id, {none}, {none}", "county_id", f"{no_year}, {no_year}"),
              ("p", f"{none}, {none}, {none}", "year, quarter", "year, quarter")]
    ups = " UNION ALL ".join(
        f"SELECT '{level}', metric, {places}, {when}, '', SUM(dv), SUM(dd) FROM diff GROUP BY metric, {by}"
        for level, places, by, when in levels)
    statement = (
        f"WITH g AS ({sql}), "
        f"computed AS ({' UNION ALL '.join(unpivot)}), "
        f"old AS (SELECT id, {key}, value, den FROM {table} WHERE {where}), "
        f"new AS (SELECT {key}, value, den FROM computed WHERE value <> 0 OR COALESCE(den, 0) <> 0), "
        f"gone AS (DELETE FROM {table} WHERE id IN (SELECT o.id FROM old o WHERE NOT EXISTS (SELECT 1 FROM new n WHERE "
        + " AND ".join(f"n.{c} IS NOT DISTINCT FROM o.{c}" for c in key.split(", "))
        + f")) RETURNING id), "
        f"kept AS (INSERT INTO {table} {cols} SELECT 'v', {key}, '', value, den FROM new "
        f"ON CONFLICT (level, metric, county_id, township_id, village_id, year, quarter, member) DO UPDATE SET "
        f"value = EXCLUDED.value, den = EXCLUDED.den "
        f"WHERE {table}.value <> EXCLUDED.value OR {table}.den IS DISTINCT FROM EXCLUDED.den RETURNING id), "
        f"diff AS (SELECT metric, county_id, township_id, year, quarter, SUM(value) AS dv, SUM(den) AS dd FROM ("
        f"SELECT {key}, value, den FROM new UNION ALL SELECT {key}, -value, -den FROM old) x "
        f"GROUP BY metric, county_id, township_id, year, quarter HAVING SUM(value) <> 0 OR COALESCE(SUM(den), 0) <> 0), "
        f"up AS (INSERT INTO {table} {cols} {ups} "
        f"ON CONFLICT (level, metric, county_id, township_id, village_id, year, quarter, member) DO UPDATE SET "
        f"value = {table}.value + EXCLUDED.value, "
        f"den = CASE WHEN EXCLUDED.den IS NULL THEN {table}.den ELSE COALESCE({table}.den, 0) + EXCLUDED.den END "
        f"RETURNING id, value, den) "
        f"SELECT (SELECT array_agg(id) FROM up WHERE value = 0 AND COALESCE(den, 0) = 0), "
        f"(SELECT array_agg(DISTINCT township_id) FROM diff), (SELECT array_agg(DISTINCT county_id) FROM diff)"
    )
    _execute_prepared(cursor, connections[using], statement, params, before)
    emptied, townships, counties = cursor.fetchone()
    if emptied:
        cursor.execute(f"DELETE FROM {table} WHERE id = ANY(%s)", [emptied])
    return set(townships or ()), set(counties or ())


PREPARED_MAX = 200  # statements prepared on one connection at most (each shape of a save's recomputation is one)
_PG_TYPES = ((bool, "boolean"), (int, "bigint"), (float, "double precision"), (Decimal, "numeric"), (str, "text"),
             (dt.datetime, "timestamptz"), (dt.date, "date"))


def _execute_prepared(cursor, connection, sql, params, before=None):
    """Run ``sql`` as a statement prepared once per database connection, so that PostgreSQL parses and
    plans it once, not on every save (planning was half of a save's recomputation). A plain execute
    for a parameter of no known type, past ``PREPARED_MAX``, when ``METRICS_PREPARED`` is off (a
    pooler in transaction mode, which does not keep prepared statements), or when preparing failed
    (within a savepoint: the writer's transaction goes on)."""
    types = []
    for value in params:
        found = next((name for kind, name in _PG_TYPES if isinstance(value, kind)), None)
        if found is None:
            return _execute(cursor, sql, params, before)
        types.append(found)
    raw = connection.connection
    state = getattr(connection, "_metrics_prepared", None)
    if state is None or state[0] is not raw:
        state = connection._metrics_prepared = (raw, {})
    names = state[1]
    key = (sql, tuple(types))
    if key not in names:
        names[key] = None
        if len(names) <= PREPARED_MAX and getattr(settings, "METRICS_PREPARED", True):
            name = f"metrics_{len(names)}"
            numbered = itertools.count(1)
            body = "%".join(re.sub(r"%s", lambda _m: f"${next(numbered)}", part) for part in sql.split("%%"))
            try:
                cursor.execute(f"SAVEPOINT metrics_prepare; PREPARE {name} ({', '.join(types)}) AS {body}; "
                               "RELEASE SAVEPOINT metrics_prepare")
                names[key] = name
            except DatabaseError:
                cursor.execute("ROLLBACK TO SAVEPOINT metrics_prepare; RELEASE SAVEPOINT metrics_prepare")
                log.warning("metrics: a statement could not be prepared; it runs unprepared", exc_info=True)
    name = names[key]
    if name is None:
        return _execute(cursor, sql, params, before)
    return _execute(cursor, f"EXECUTE {name} ({', '.join(['%s'] * len(params))})", params, before)


class Writes:
    """Statements sent together: in one round trip on PostgreSQL (psycopg2 runs several statements of
    one string), one by one elsewhere (SQLite is in the process)."""

    def __init__(self, cursor, connection):
        self.cursor, self.together = cursor, connection.vendor == "postgresql"
        self.sql, self.params = [], []

    def add(self, sql, params):
        if not self.together:
            self.cursor.execute(sql, params)
            return
        self.sql.append(sql)
        self.params.extend(params)

    def flush(self):
        """Send the statements: with the write's next statement when it is pipelined (``wenshang.kernel.pipeline``)."""
        if self.sql:
            pipeline.send(self.cursor.db, ";\n".join(self.sql), self.params)
            self.sql, self.params = [], []


def _eq(column, value, params):
    if value is None:
        return f"{column} IS NULL"
    params.append(value)
    return f"{column} = %s"


def _regroup_buckets(writes, table, buckets, members):
    """The ``t`` rows of the (metric, county, township, year, quarter) ``buckets`` grouped again from
    the ``v`` rows, then the ``c`` rows of their (metric, county, year, quarter) from the ``t`` rows,
    then the ``p`` rows of their (metric, year, quarter) from the ``c`` rows; for a distinct metric
    (``members``: {metric: values whose rows changed}) its ``p`` rows move by the changed values'
    first quarters before and after. Each bucket is its own indexed term (the level inside it, so
    that SQLite's OR optimization and PostgreSQL's bitmap OR find the few rows through the index)."""
    columns = "(level, metric, county_id, township_id, village_id, year, quarter, member, value, den)"
    for metric, values in sorted(members.items()):
        _move_firsts(writes, table, metric, sorted(values), -1)  # where the values were first counted
    sums = sorted({(m, y, q) for m, _c, _t, y, q in buckets if m not in members}, key=repr)
    for level, source, place, wanted in (
        ("t", "v", "township_id", sorted(buckets, key=repr)),
        ("c", "t", "NULL", sorted({(m, c, y, q) for m, c, _t, y, q in buckets}, key=repr)),
        ("p", "c", "NULL", sums),
    ):
        if not wanted:
            continue
        names = ["metric", *({"t": ["county_id", "township_id"], "c": ["county_id"], "p": []}[level]), "year", "quarter"]

        def condition(at, wanted=wanted, names=names):
            params, parts = [], []
            for bucket in wanted:
                params.append(at)
                part = ["level = %s"] + [_eq(n, v, params) for n, v in zip(names, bucket)]
                parts.append("(" + " AND ".join(part) + ")")
            return " OR ".join(parts), params

        target, target_params = condition(level)
        origin, origin_params = condition(source)
        county = "NULL" if level == "p" else "county_id"
        by = {"t": "county_id, township_id, ", "c": "county_id, ", "p": ""}[level]
        writes.add(f"DELETE FROM {table} WHERE {target}", target_params)
        writes.add(
            f"INSERT INTO {table} {columns} SELECT %s, metric, {county}, {place}, NULL, year, quarter, member, SUM(value), "
            f"SUM(den) FROM {table} WHERE {origin} "
            f"GROUP BY metric, {by}year, quarter, member",
            [level, *origin_params],
        )
    for metric, values in sorted(members.items()):
        _move_firsts(writes, table, metric, sorted(values), +1)  # where they are first counted now
    _county_totals(writes, table, sorted({(m, c) for m, c, _t, _y, _q in buckets}, key=repr))


TOTAL = "CASE WHEN MAX(member) <> '' THEN COUNT(DISTINCT member) ELSE SUM(value) END"  # a county's rows of a metric


def _county_totals(writes, table, pairs):
    """The ``k`` rows (a county's total over every quarter) of the (metric, county) ``pairs`` from the
    ``c`` rows."""
    params, parts = [], []
    for metric, county in pairs:
        params.append(metric)
        parts.append("(metric = %s AND " + _eq("county_id", county, params) + ")")
    where = " OR ".join(parts)
    writes.add(f"DELETE FROM {table} WHERE level = 'k' AND ({where})", params)
    writes.add(
        f"INSERT INTO {table} (level, metric, county_id, township_id, village_id, year, quarter, member, value, den) "
        f"SELECT 'k', metric, county_id, NULL, NULL, NULL, NULL, '', {TOTAL}, SUM(den) FROM {table} "
        f"WHERE level = 'c' AND ({where}) GROUP BY metric, county_id",
        params,
    )


UNDATED = 999_999  # the quarter number of an undated row: after every quarter (a value's dated rows come first)


def _quarter_no(alias=""):
    """SQL: a row's quarter as one number (year * 10 + quarter; a year's rows year * 10; ``UNDATED``)."""
    return f"COALESCE({alias}year * 10 + {alias}quarter, {UNDATED})"


def _firsts_sql(table, metric, values, params):
    """SQL of (member, f): the quarter (``_first``) in which each of ``values`` of a distinct
    ``metric`` is first counted, in any county."""
    params += [metric, *values]
    return (f"SELECT member, MIN({_quarter_no()}) AS f FROM {table} WHERE level = 'c' AND metric = %s "
            f"AND member IN ({', '.join(['%s'] * len(values))}) GROUP BY member")


def _move_firsts(writes, table, metric, values, sign):
    """A distinct metric's ``p`` rows (the values first counted in each quarter, in all counties) less
    (``sign`` -1, before the ``c`` rows change) or plus (+1, after) the ``values`` at their first
    quarter; rows that fall to 0 go."""
    if sign > 0:
        params = []
        firsts = _firsts_sql(table, metric, values, params)
        writes.add(
            f"INSERT INTO {table} (level, metric, county_id, township_id, village_id, year, quarter, member, value, den) "
            f"SELECT 'p', %s, NULL, NULL, NULL, CASE WHEN d.f = {UNDATED} THEN NULL ELSE d.f / 10 END, "
            f"CASE WHEN d.f = {UNDATED} THEN NULL ELSE d.f %% 10 END, '', 0, NULL FROM ({firsts}) d "
            f"WHERE NOT EXISTS (SELECT 1 FROM {table} e WHERE e.level = 'p' AND e.metric = %s AND {_quarter_no('e.')} = d.f) "
            f"GROUP BY d.f",
            [metric, *params, metric],
        )
    counted, within = [], []
    counted_sql = _firsts_sql(table, metric, values, counted)
    within_sql = _firsts_sql(table, metric, values, within)
    writes.add(
        f"UPDATE {table} SET value = value {'+' if sign > 0 else '-'} (SELECT COUNT(*) FROM ({counted_sql}) d "
        f"WHERE d.f = {_quarter_no(table + '.')}) WHERE level = 'p' AND metric = %s AND {_quarter_no()} IN (SELECT f FROM ({within_sql}) d)",
        [*counted, metric, *within],
    )
    if sign > 0:
        writes.add(f"DELETE FROM {table} WHERE level = 'p' AND metric = %s AND value = 0", [metric])


def every_county_sql(table, keys):
    """[(SQL, params)] refilling the ``k`` and ``p`` rows of ``keys`` from the ``c`` rows: each county's
    total; a sum per quarter over the counties, for a distinct metric the values first counted in
    each quarter (in any county)."""
    metric_in = f"metric IN ({', '.join(['%s'] * len(keys))})"
    columns = "(level, metric, county_id, township_id, village_id, year, quarter, member, value, den)"
    return [
        (f"DELETE FROM {table} WHERE level IN ('p', 'k') AND {metric_in}", list(keys)),
        (f"INSERT INTO {table} {columns} SELECT 'k', metric, county_id, NULL, NULL, NULL, NULL, '', {TOTAL}, SUM(den) "
         f"FROM {table} WHERE level = 'c' AND {metric_in} GROUP BY metric, county_id", list(keys)),
        (f"INSERT INTO {table} {columns} SELECT 'p', metric, NULL, NULL, NULL, year, quarter, '', SUM(value), SUM(den) "
         f"FROM {table} WHERE level = 'c' AND {metric_in} AND member = '' GROUP BY metric, year, quarter", list(keys)),
        (f"INSERT INTO {table} {columns} SELECT 'p', metric, NULL, NULL, NULL, CASE WHEN f = {UNDATED} THEN NULL ELSE f / 10 END, "
         f"CASE WHEN f = {UNDATED} THEN NULL ELSE f %% 10 END, '', COUNT(*), NULL FROM (SELECT metric, member, MIN({_quarter_no()}) AS f "
         f"FROM {table} WHERE level = 'c' AND {metric_in} AND member <> '' GROUP BY metric, member) d GROUP BY metric, f",
         list(keys)),
    ]


def _regroup(writes, table, keys, townships, counties):
    """The ``t`` rows of ``townships`` grouped from the ``v`` rows, then the ``c`` rows of ``counties``
    from the ``t`` rows (None: of every township and county), then the ``p`` rows of ``keys``."""
    for level, source, place, column, ids in (("t", "v", "township_id", "township_id", townships),
                                              ("c", "t", "NULL", "county_id", counties)):
        params = [*keys]
        metric_in = f"metric IN ({', '.join(['%s'] * len(keys))})"
        scope = "" if ids is None else " AND " + _in(column, sorted(ids, key=lambda i: (i is None, i or 0)), params)
        writes.add(f"DELETE FROM {table} WHERE level = %s AND {metric_in}{scope}", [level, *params])
        writes.add(
            f"INSERT INTO {table} (level, metric, county_id, township_id, village_id, year, quarter, member, value, den) "
            f"SELECT %s, metric, county_id, {place}, NULL, year, quarter, member, SUM(value), SUM(den) FROM {table} "
            f"WHERE level = %s AND {metric_in}{scope} "
            f"GROUP BY metric, county_id{', township_id' if level == 't' else ''}, year, quarter, member",
            [level, source, *params],
        )
    for sql, params in every_county_sql(table, keys):
        writes.add(sql, params)


def source_indexes():
    """[(table, index name, columns)]: for each group counted along a village (or township) link of
    its own and dated by a date of its own, an index on both, through which a save's recomputation
    reads the rows of one village and quarter (not every parcel of the village)."""
    out = {}
    for group in plan().groups:
        place = group.village_path or group.township_path
        if not place or "__" in place or not group.date or group.date[0] == "sub" or "__" in group.date[1] or place == "pk":
            continue
        opts = group.model._meta
        columns = (opts.get_field(place).column, opts.get_field(group.date[1]).column)
        out[(opts.db_table, columns)] = f"agg_{opts.db_table}_{'_'.join(columns)}"[:60]
    return [(table, name, columns) for (table, columns), name in sorted(out.items())]


def ensure_indexes(using="default"):
    """Create the ``source_indexes()`` that are missing (after every ``migrate``: they follow the
    metric declarations, not a migration of their apps)."""
    connection = connections[using]
    qn = connection.ops.quote_name
    with connection.cursor() as cursor:
        for table, name, columns in source_indexes():
            cursor.execute(f"CREATE INDEX IF NOT EXISTS {qn(name)} ON {qn(table)} ({', '.join(qn(c) for c in columns)})")


def fill_after_migrate(sender, using="default", **kwargs):
    """After ``migrate``: the indexes the recomputation reads through, and a database holding records
    but no aggregate yet (it was migrated to this version) has them filled, with the models as they
    are now."""
    if sender.name != "wenshang":
        return
    ensure_indexes(using)
    village = figures.metric("villages").get_model()
    if village._base_manager.using(using).exists() and not MetricAggregate.objects.using(using).exists():
        rebuild(using=using)
    elif not MetricAggregate.objects.using(using).filter(level="p").exists():
        every_county(using=using)  # a database migrated from before the ``k`` and ``p`` rows


def every_county(keys=None, using="default"):
    """Refill the ``k`` and ``p`` rows (of ``keys``) from the ``c`` rows."""
    connection = connections[using]
    keys = sorted(keys or plan().by_key)
    with transaction.atomic(using=using), connection.cursor() as cursor:
        for sql, params in every_county_sql(_table(connection), keys):
            cursor.execute(sql, params)


post_migrate.connect(fill_after_migrate, dispatch_uid="aggregates-fill-after-migrate")


def rebuild(keys=None, using=None):
    """Refill every aggregate row (of ``keys``) from the records."""
    using = using or router.db_for_write(MetricAggregate)
    wanted = set(keys) if keys else None
    marked = {}
    for group in plan().groups:
        if wanted is None or wanted & set(group.keys):
            units = Units()
            units.all = True
            marked[group] = units
    with transaction.atomic(using=using):
        if wanted is None:
            MetricAggregate.objects.using(using).all()._raw_delete(using)
        recompute(marked, using)
    connection = connections[using]
    if connection.vendor == "postgresql":  # the planner's statistics of a table filled at once
        with connection.cursor() as cursor:
            cursor.execute(f"ANALYZE {_table(connection)}")


# -- reading -------------------------------------------------------------------------------------
def read_alias():
    return router.db_for_read(MetricAggregate)


def scope_filter(township=None, village=None, villages=None, county=None, counties=None):
    """(level, Q) of the aggregate rows of a scope: the county or counties (or everything), a
    township, a village, or some villages (a zone)."""
    if villages is not None:
        return "v", Q(village__in=list(villages))
    if village is not None:
        return "v", Q(village=getattr(village, "pk", village))
    if township is not None:
        return "t", Q(township=getattr(township, "pk", township))
    if county is not None:
        return "c", Q(county=getattr(county, "pk", county))
    if counties is not None:
        return "c", Q(county__in=list(counties))
    return "p", Q()


def _level(level, metrics, within):
    """The level to read ``metrics`` at: every county's (``p``) rows count a distinct metric's values
    by the quarter they are first counted in, so a period that does not start at the beginning is
    read from the counties' (``c``) rows."""
    if level == "p" and within is not None and any(m.kind == "distinct" for m in metrics):
        return "c"
    return level


def _when(as_of=None, within=None):
    """A Q on (year, quarter) for the rows dated by ``as_of`` or within ``within`` (a (start, end) of
    whole quarters), or None when the day is not a quarter's end or the period not whole quarters."""
    if as_of is not None:
        if not _quarter_end(as_of):
            return None
        y, q = quarter_of(as_of)
        return Q(year__lt=y) | Q(year=y, quarter__lte=q)
    if within is not None:
        start, end = within
        if not (_quarter_start(start) and _quarter_end(end)):
            return None
        (y0, q0), (y1, q1) = quarter_of(start), quarter_of(end)
        after = Q(year__gt=y0) | Q(year=y0, quarter__gte=q0)
        before = Q(year__lt=y1) | Q(year=y1, quarter__lte=q1)
        return after & before
    return Q()


def _quarter_end(day):
    return (day.month, day.day) in ((3, 31), (6, 30), (9, 30), (12, 31))


def _quarter_start(day):
    return day.day == 1 and day.month in (1, 4, 7, 10)


def readable(m, as_of=None, within=None):
    """Whether metric ``m`` is read from the aggregates in that way (else from the records): kept,
    and for a day or a period, dated in the aggregates (by a date of its own, or "as of" through
    its records' dates, ``as_of_date``) and asked for a quarter's end or whole quarters (another day
    is read from the records)."""
    if m.key not in plan().by_key:
        return False
    if as_of is None and within is None:
        return True
    dated_by_records = m.as_of is not None and plan().by_key[m.key].date is not None
    if within is not None and m.date is None:
        return False
    if as_of is not None and m.date is None and not dated_by_records:
        return False
    if m.date_is_year:
        return True  # a year's rows: every day of it reads the same
    return _when(as_of, within) is not None


def year_when(m, as_of=None, within=None):
    """The Q on (year, quarter) of a metric's rows for ``as_of`` / ``within``."""
    if m.date_is_year:
        if as_of is not None:
            return Q(year__lte=as_of.year)
        if within is not None:
            return Q(year__gte=within[0].year, year__lte=within[1].year)
        return Q()
    return _when(as_of, within)


def value_expressions(m, when=None, level="c"):
    """{suffix: aggregate} over aggregate rows of ``m``: the total (``v``), a ratio's denominator
    (``d``), a distinct metric's values counted once (``v``; at level ``p`` the sum of those first
    counted in each quarter)."""
    q = Q(metric=m.key)
    if when is not None:
        q &= when
    if m.kind == "distinct" and level != "p":
        return {"v": Count("member", distinct=True, filter=q)}
    if m.kind == "ratio":
        return {"v": Sum("value", filter=q), "d": Sum("den", filter=q)}
    return {"v": Sum("value", filter=q)}


def finish(m, raw):
    """A metric's value from its aggregate expressions' results, as ``figures.compute()`` gives it."""
    if m.kind == "ratio":
        return figures.share_pct(raw.get("v") or 0, raw.get("d") or 0, 1)
    value = raw.get("v")
    if m.kind == "sum":
        return figures._value(m, value if value is not None else Decimal(0))
    return int(value or 0)


def values(keys, as_of=None, within=None, **scope):
    """{key: value} of the metrics ``keys`` in one scope (see ``scope_filter``), as of a day or within
    a period, read from the aggregates in one query (every metric must be ``readable``)."""
    level, where = scope_filter(**scope)
    aggs = {}
    wanted = [figures.metric(k) for k in keys]
    level = _level(level, wanted, within)
    for m in wanted:
        when = year_when(m, as_of, within)
        for suffix, expression in value_expressions(m, when, level).items():
            aggs[f"{m.key}:{suffix}"] = expression
    if not aggs:
        return {}
    row = MetricAggregate.objects.using(read_alias()).filter(where, level=level, metric__in=list(keys)).aggregate(**aggs)
    return {m.key: finish(m, {s: row.get(f"{m.key}:{s}") for s in ("v", "d")}) for m in wanted}


def per_village(keys, township=None, villages=None, county=None):
    """{key: {village id: value}} of the metrics ``keys`` in each village (of ``township``, else of
    ``county``), one query; villages without rows are left out, as ``figures.per_village_values`` does."""
    wanted = [figures.metric(k) for k in keys]
    qs = MetricAggregate.objects.using(read_alias()).filter(level="v", metric__in=list(keys))  # None: the rows of no village
    if township is not None:
        qs = qs.filter(township=getattr(township, "pk", township))
    elif county is not None:
        qs = qs.filter(county=getattr(county, "pk", county))
    if villages is not None:
        qs = qs.filter(village__in=list(villages))
    out = {k: {} for k in keys}
    rows = qs.order_by().values("metric", "village").annotate(
        v=Sum("value"), d=Sum("den"), n=Count("member", distinct=True))
    by_key = {m.key: m for m in wanted}
    for row in rows:
        m = by_key[row["metric"]]
        raw = {"v": row["n"] if m.kind == "distinct" else row["v"], "d": row["d"]}
        out[m.key][row["village"]] = finish(m, raw)
    return out


def per_county(keys, counties):
    """{key: {county id: value}} of the metrics ``keys`` in each of ``counties`` (ids), one query over
    the counties' rows; a county without rows has its zero (a ratio: None)."""
    wanted = [figures.metric(k) for k in keys]
    rows = (MetricAggregate.objects.using(read_alias())
            .filter(level="k", metric__in=list(keys), county__in=list(counties))
            .values_list("metric", "county", "value", "den"))
    out = {m.key: dict.fromkeys(counties, finish(m, {})) for m in wanted}
    by_key = {m.key: m for m in wanted}
    for metric, county, value, den in rows:
        out[metric][county] = finish(by_key[metric], {"v": value, "d": den})
    return out


def entry(m, as_of=None, within=None, **scope):
    """(queryset, aggregate) of metric ``m`` in a scope over the aggregate rows, for a statement of
    scalar subqueries (``figures.scalars``), or None when ``m`` is not read that way (a ratio)."""
    if m.kind == "ratio" or not readable(m, as_of, within):
        return None
    level, where = scope_filter(**scope)
    level = _level(level, [m], within)
    qs = MetricAggregate.objects.filter(where, level=level, metric=m.key)
    when = year_when(m, as_of, within)
    if when:
        qs = qs.filter(when)
    return qs, (Count("member", distinct=True) if m.kind == "distinct" and level != "p" else Sum("value"))


def period_values(m, periods, **scope):
    """[value of ``m`` within each (start, end) of ``periods``] in a scope, one query: sums as
    Decimals, counts as ints, ratios as percentages (1 place), as ``figures.period_values`` gives them."""
    level, where = scope_filter(**scope)
    level = _level(level, [m], periods[0] if periods else None)
    aggs = {}
    for i, period in enumerate(periods):
        for suffix, expression in value_expressions(m, year_when(m, within=period), level).items():
            aggs[f"{suffix}{i}"] = expression
    row = MetricAggregate.objects.using(read_alias()).filter(where, level=level, metric=m.key).aggregate(**aggs)
    out = []
    for i in range(len(periods)):
        value = row.get(f"v{i}")
        if m.kind == "ratio":
            out.append(figures.share_pct(value or 0, row.get(f"d{i}") or 0, 1))
        elif m.kind == "sum":
            out.append(Decimal(value or 0))
        else:
            out.append(int(value or 0))
    return out


class Store:
    """What ``wenshang.web.figures`` reads from the aggregates (``figures.use_store``)."""

    readable = staticmethod(readable)
    values = staticmethod(values)
    entry = staticmethod(entry)
    per_village = staticmethod(per_village)
    per_county = staticmethod(per_county)
    period_values = staticmethod(period_values)


figures.use_store(Store)


# -- verifying -----------------------------------------------------------------------------------
def verify(county=None, township=None, using=None):
    """Every difference between the aggregates and the records: [(level, metric, place, year, quarter,
    member, kept, computed)] (empty when all agree). ``county`` / ``township``: ids, that scope only.

    The ``v`` rows are recomputed from the records (the same grouped queries as the writes use),
    and the ``t`` and ``c`` rows regrouped from them, then compared row by row."""
    using = using or router.db_for_read(MetricAggregate)
    differences = []
    for group in plan().groups:
        restrict = Q()
        if township is not None:
            restrict = Q(**{group.township_path: township}) if group.township_path else Q(pk__in=[])
        elif county is not None:
            restrict = Q(**{group.county_path: county}) if group.county_path else Q(pk__in=[])
        computed = {"v": defaultdict(lambda: [Decimal(0), None])}
        for row in grouped_rows(group, restrict, using):
            key = (row[1], row[2], row[3], row[4], row[5], row[6], row[7])
            entry = computed["v"][key]
            entry[0] += row[8]
            entry[1] = row[9] if entry[1] is None else entry[1] + (row[9] or 0)
        computed["t"] = _sum_up(computed["v"], keep_township=True)
        computed["c"] = _sum_up(computed["t"], keep_township=False)
        computed["p"] = _every_county(computed["c"])
        computed["k"] = _county_totals_of(computed["c"])
        kept = MetricAggregate.objects.using(using).filter(metric__in=group.keys)
        if township is not None:
            kept = kept.filter(township=township)
        elif county is not None:
            kept = kept.filter(county=county)
        stored = {level: {} for level in LEVELS}
        for r in kept.values_list("level", "metric", "county", "township", "village", "year", "quarter", "member",
                                  "value", "den"):
            key = (r[1], r[2], r[3] if r[0] != "c" else None, r[4] if r[0] == "v" else None, r[5], r[6], r[7])
            stored[r[0]][key] = [_dec(r[8]), _dec(r[9])]
        for level in LEVELS:
            if (township is not None and level in ("c", "k")) or ((township is not None or county is not None) and level == "p"):
                continue
            mine = {k: [_dec(a), _dec(b)] for k, (a, b) in computed[level].items() if a or b}
            for key in sorted(set(mine) | set(stored[level]), key=repr):
                a, b = stored[level].get(key), mine.get(key)
                if a != b:
                    differences.append((level, *key, a, b))
    return differences


def verify_and_log():
    """``verify()`` the whole database and log the result on ``wenshang.metrics`` (an error with the
    first differences, or the time it took); returns the number of differences."""
    started = time.perf_counter()
    differences = verify()
    seconds = time.perf_counter() - started
    if differences:
        log.error("metrics verify: %d differences between the aggregates and the records (%.1f s); first: %s",
                  len(differences), seconds, differences[:5])
    else:
        log.info("metrics verify: 0 differences (%.1f s)", seconds)
    return len(differences)


def _every_county(rows):
    """The ``p`` rows of the ``c`` rows: a sum per quarter over the counties; for a distinct metric,
    how many values are first counted in each quarter."""
    out = defaultdict(lambda: [Decimal(0), None])
    first = {}
    for (metric, _county, _township, _village, year, quarter, member), (value, den) in rows.items():
        if not value and den is None:
            continue
        if member:
            at = (UNDATED,) if year is None else (year, quarter)  # undated: after every quarter
            if (metric, member) not in first or at < first[metric, member][0]:
                first[metric, member] = (at, year, quarter)
            continue
        entry = out[(metric, None, None, None, year, quarter, "")]
        entry[0] += value
        if den is not None:
            entry[1] = den if entry[1] is None else entry[1] + den
    for (metric, _member), (_at, year, quarter) in first.items():
        out[(metric, None, None, None, year, quarter, "")][0] += 1
    return out


def _county_totals_of(rows):
    """The ``k`` rows of the ``c`` rows: each county's total over every quarter (a distinct metric:
    its values counted once)."""
    out = defaultdict(lambda: [Decimal(0), None])
    members = defaultdict(set)
    for (metric, county, _township, _village, _year, _quarter, member), (value, den) in rows.items():
        if not value and den is None:
            continue
        if member:
            members[metric, county].add(member)
            continue
        entry = out[(metric, county, None, None, None, None, "")]
        entry[0] += value
        if den is not None:
            entry[1] = den if entry[1] is None else entry[1] + den
    for (metric, county), values in members.items():
        out[(metric, county, None, None, None, None, "")][0] += len(values)
    return out


def _sum_up(rows, keep_township):
    out = defaultdict(lambda: [Decimal(0), None])
    for (metric, county, township, _village, year, quarter, member), (value, den) in rows.items():
        key = (metric, county, township if keep_township else None, None, year, quarter, member)
        entry = out[key]
        entry[0] += value
        if den is not None:
            entry[1] = den if entry[1] is None else entry[1] + den
    return out
