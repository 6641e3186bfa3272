"""The metrics layer: every figure the portal shows, declared once and computed from the records.

A figure (``Metric``) says which rows make it (a model and a condition), how they are aggregated
(``count``, ``sum:<field>``, ``distinct:<field>``, ``ratio:<num>/<den>``), the date that places a
row in time (so a figure can be counted "as of" a day or "within" a period), the paths from a row
to its village and township, its unit, and the list page (plural and query string) that shows
exactly its rows. Each app declares its own figures in ``<app>/metrics.py`` (``METRICS``, a list);
this module finds them through the installed apps at first use, as Django's admin finds
``admin.py`` modules.

Everything else is derived from the declarations: ``compute()`` (the catalogue's figures, one
grouped aggregate per model), ``drill_values()`` (all of them in ONE SQL statement),
``drills()`` (the list behind each figure), ``as_of_conditions()`` (the dashboards' period
comparisons), the dashboards' annual targets and the quarterly report's chain indicators.

Where the values come from: the records (``raw=True``, the reference) or, once
``wenshang.web.aggregates`` has registered itself (``use_store()``, at start-up), the aggregates it
keeps current on every write, wherever the value is the same by construction (the catalogue,
drill values, "as of" a quarter's end, periods of whole quarters or years, per village); a metric
counted "as of" through another model's date, or a day within a quarter, is read from the records.

The catalogue (labels, units, periods) is read from ``wenshang/data/seed_figures.csv``, a copy of
the article's figure list; its ``value`` column (the article's numbers) is never used here.
A figure's period comes from that list: ``cumulative`` (all records), ``year YYYY``,
``batch YYYY``, or the latest quarter reported.
"""
import csv
import functools
import importlib
import re
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from functools import cache
from pathlib import Path

from django.apps import apps
from django.db import connections, router
from django.db.models import Count, DecimalField, Q, Subquery, Sum, Value
from django.db.models.functions import Coalesce
from django.utils.translation import get_language

from wenshang.kernel.scope import county_path

CATALOGUE = Path(__file__).resolve().parent.parent / "data" / "seed_figures.csv"


@dataclass(frozen=True)
class FigureInfo:
    key: str
    chain: str
    label_zh: str
    label_en: str
    unit: str
    period: str
    note: str

    @property
    def label(self):
        return self.label_en if (get_language() or "zh-hans").startswith("en") else self.label_zh

    @property
    def year(self):
        """The year or batch year a figure's period names, if any."""
        match = re.search(r"(\d{4})", self.period)
        return int(match.group(1)) if match else None

    @property
    def county_only(self):
        return self.key in COUNTY_ONLY


@cache
def catalogue():
    """{key: FigureInfo} in the list's order (the file is read once: the dashboards' comparison asks
    on every page)."""
    return dict(_catalogue())


@functools.cache
def _catalogue():
    with CATALOGUE.open(encoding="utf-8") as fh:
        return {
            row["key"]: FigureInfo(
                row["key"], row["chain"], row["label_zh"], row["label_en"], row["unit"], row["period"], row["note"]
            )
            for row in csv.DictReader(fh)
        }


def year_of(key):
    """The year or batch year the catalogue's period of ``key`` names (for the apps' declarations)."""
    return catalogue()[key].year


DEC = DecimalField(max_digits=20, decimal_places=2)


def _sum(field, **filters):
    return Coalesce(Sum(field, filter=Q(**filters) if filters else None), 0, output_field=DEC)


def _number(value):
    """JSON-friendly: whole numbers as int, others as float (money has 2 places, percentages 2)."""
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    return value


def _as_decimal(value):
    if value is None:
        return Decimal(0)
    if isinstance(value, Decimal):
        return value
    if isinstance(value, float):
        return Decimal(repr(value)).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
    return Decimal(value)


# -- percentages: the one definition ---------------------------------------------------------------
def _round(value, places):
    if places is None:
        return float(value)
    return float(value.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP))


def share_pct(part, whole, places=2):
    """``part`` as a percentage of ``whole`` (``places`` decimals, half up; None: unrounded), or None
    without a whole."""
    if part is None or not whole:
        return None
    return _round(Decimal(str(part)) * 100 / Decimal(str(whole)), places)


def _growth(now, then):
    return (Decimal(str(now)) / Decimal(str(then)) - 1) * 100


def growth_pct(now, then, places=2):
    """Growth in percent from ``then`` to ``now`` (``places`` decimals, half up), or None when there is no base."""
    if now is None or then in (None, 0):
        return None
    return _round(_growth(now, then), places)


# -- the declarations ------------------------------------------------------------------------------
@dataclass(frozen=True)
class Metric:
    """One figure: the rows that make it, how they are aggregated, where they lie in time and place,
    and the list page that shows them.

    ``where``: the rows' condition (a dict of lookups, a ``Q``, or a callable of the township id
    returning one). ``date``: the path of the date (or, with ``date_is_year``, the year) that places
    a row in time; ``as_of``: a callable(date) → Q overriding the "dated by then" condition (rows
    counted through another model). ``period_params``: the list's query names for a period, either
    (after, before) or (year,). ``compared``: False keeps a dated figure out of the dashboards'
    period comparisons. ``plural``/``params``: the list page and its query string; a township is
    added as ``township_param`` when the list's filter follows ``township_path``.
    """

    key: str
    model: str
    where: object = None
    agg: str = "count"
    date: str = None
    date_is_year: bool = False
    as_of: object = None
    compared: bool = True
    township_path: str = "township"
    village_path: str = None
    unit: str = "count"
    plural: str = None
    params: tuple = ()
    township_param: str = "township"
    period_params: tuple = ()
    county_only: bool = False

    # -- rows
    def get_model(self):
        return apps.get_model(self.model)

    def condition(self, township=None, village=None, county=None):
        where = self.where(township) if callable(self.where) else (self.where or {})
        q = where if isinstance(where, Q) else Q(**where)
        if village is not None:
            q &= Q(**{self.village_path: village})
        elif township is not None and self.township_path:
            q &= Q(**{self.township_path: township})
        elif county is not None:  # one county of a database of several (issue 14): its rows only
            q &= county_condition(self.get_model(), county)
        return q

    def queryset(self, township=None, village=None, county=None):
        return self.get_model()._base_manager.filter(self.condition(township, village, county))

    # -- time
    def _day(self, day):
        return day.year if self.date_is_year else day

    def as_of_condition(self, day):
        """The rows dated by ``day``."""
        if self.as_of is not None:
            return self.as_of(day)
        return Q(**{f"{self.date}__lte": self._day(day)})

    def within(self, start, end):
        """The rows dated in ``start``–``end`` (both included)."""
        return Q(**{f"{self.date}__gte": self._day(start), f"{self.date}__lte": self._day(end)})

    # -- aggregate
    @property
    def kind(self):
        return self.agg.partition(":")[0]

    @property
    def field(self):
        return self.agg.partition(":")[2]

    def aggregate(self, filter=None):
        """The aggregate expression (a sum is 0, never NULL, over no rows; a ratio has no single one)."""
        if self.kind == "sum":
            return Coalesce(Sum(self.field, filter=filter), 0, output_field=DEC)
        if self.kind == "distinct":
            return Count(self.field, distinct=True, filter=filter)
        if self.kind == "count":
            return Count("pk", filter=filter)
        raise ValueError(f"{self.key}: no single aggregate for {self.agg}")

    def ratio_parts(self, filter=None):
        num, den = self.field.split("/")
        return Sum(num, filter=filter), Sum(den, filter=filter)

    def value(self, township=None, village=None, within=None, as_of=None, county=None):
        """The figure in one scope (county, township or village), within a period (start, end) or as of
        a day (one query; sums as ``compute()`` gives them, ratios in percent with 1 place)."""
        if _store is not None and _store.readable(self, as_of=as_of, within=within):
            return _store.values([self.key], as_of=as_of, within=within, township=township, village=village,
                                 county=county)[self.key]
        return self.raw_value(township, village, within, as_of, county)

    def raw_value(self, township=None, village=None, within=None, as_of=None, county=None):
        """``value()`` computed from the records."""
        qs = self.queryset(township, village, county)
        if within is not None:
            qs = qs.filter(self.within(*within))
        if as_of is not None:
            qs = qs.filter(self.as_of_condition(as_of))
        if self.kind == "ratio":
            num, den = self.ratio_parts()
            row = qs.aggregate(n=num, d=den)
            return share_pct(row["n"] or 0, row["d"] or 0, 1)
        return _value(self, qs.aggregate(v=self.aggregate())["v"])

    def per_village(self, township=None):
        """{village id: value} of the figure in each village (of ``township``), in one GROUP BY query;
        see ``per_village_values()``."""
        return per_village_values([self.key], township)[self.key]

    # -- the list
    def query(self, township=None, village=None):
        """[(name, value)] of the list page's query string."""
        params = [(k, v) for k, v in self.params]
        if village is not None:
            params.append(("village", village))
        elif township is not None and self.township_path and self.township_param:
            params.append((self.township_param, township))
        return params

    def period_query(self, start, end):
        """[(name, value)] restricting the list to the rows dated in ``start``–``end``."""
        if len(self.period_params) == 1:
            return [(self.period_params[0], start.year)]
        after, before = self.period_params
        return [(after, start.isoformat()), (before, end.isoformat())]



SPECIAL = ("latest_quarter",)  # the banks' county-wide reports: computed by ``agri_loan_figures()``


@cache
def metrics():
    """{key: Metric} of every installed app's ``metrics.py``, catalogue figures first, in the list's order."""
    found = {}
    for config in apps.get_app_configs():
        try:
            module = importlib.import_module(f"{config.name}.metrics")
        except ModuleNotFoundError as exc:
            if exc.name != f"{config.name}.metrics":
                raise
            continue
        for metric in module.METRICS:
            if metric.key in found:
                raise ValueError(f"metric {metric.key} declared twice")
            found[metric.key] = metric
    info = catalogue()
    missing = set(info) - set(found)
    if missing:
        raise ValueError(f"catalogue figures without a declaration: {sorted(missing)}")
    return {**{k: found[k] for k in info}, **{k: m for k, m in found.items() if k not in info}}


def metric(key):
    return metrics()[key]


# Figures that have no township: county catalogues and the banks' county-wide reports.
COUNTY_ONLY = {"task_force_units", "recruiting_stations", "agri_loan_balance", "agri_loan_growth_pct"}


@cache
def drills():
    """{key: Metric} for every figure of the catalogue except the banks' reports (see ``agri_loan_figures``)."""
    return {k: m for k, m in metrics().items() if k in catalogue() and m.kind not in SPECIAL}


# -- where the values are read: the aggregates kept on write, or the records ---------------------
_store = None


def use_store(store):
    """Read the figures from ``store`` (``wenshang.web.aggregates.Store``, which registers itself when
    imported), wherever it can give them (``store.readable``); None: from the records only."""
    global _store
    _store = store


def _stored(m, value):
    """A metric's raw aggregate read from the store, as ``compute()`` gives it."""
    if m is None:
        return value
    if m.kind in ("count", "distinct"):
        return int(value or 0)
    return _value(m, value if value is not None else Decimal(0))


# -- the catalogue's figures -----------------------------------------------------------------------
def compute(township=None, keys=None, raw=False, county=None):
    """{key: value} for every figure (or ``keys``), for the county or one township (id or object);
    ``county`` (id or object): that county's alone in a database of several (else every record).

    County-only figures are ``None`` for a township. From the aggregates: one query (and one for the
    banks' reports); ``raw``: from the records (``compute_raw``)."""
    county = getattr(county, "pk", county)
    if raw or _store is None:
        return compute_raw(township, keys, county=county)
    info = catalogue()
    t = getattr(township, "pk", township)
    wanted = set(keys or info)
    kept, rest = [], []
    for key, m in drills().items():
        if key in wanted and not (t is not None and m.county_only):
            (kept if _store.readable(m) else rest).append(key)
    out = _store.values(kept, township=t, county=county) if kept else {}
    if rest:
        out.update(compute_raw(t, rest, county=county))
    return _finished(out, info, wanted, t, county)


def _finished(out, info, wanted, t, county):
    """``compute()``'s answer from the drill figures found: the county-only ones None for a township,
    the banks' agriculture loans (the county's), every value as a number, in the catalogue's order."""
    out.update({k: None for k, m in drills().items() if k in wanted and t is not None and m.county_only})
    if wanted & {"agri_loan_balance", "agri_loan_growth_pct"}:
        balance, growth = (None, None) if t is not None else agri_loan_figures(apps.get_model("finance.AgriLoanReport"), county)
        out["agri_loan_balance"] = balance
        out["agri_loan_growth_pct"] = growth
    return {k: _number(out[k]) for k in info if k in wanted and k in out}


def compute_raw(township=None, keys=None, county=None):
    """``compute()`` from the records: one aggregate query per model (the figures counted from the
    same model share it), one for the banks' reports."""
    info = catalogue()
    t = getattr(township, "pk", township)
    county = getattr(county, "pk", county) if t is None else None
    wanted = set(keys or info)
    by_model = {}
    for key, m in drills().items():
        if key in wanted and not (t is not None and m.county_only):
            by_model.setdefault(m.model, []).append(m)
    out = {}
    for model, group in by_model.items():
        paths = {m.township_path for m in group}
        qs = apps.get_model(model)._base_manager.all()
        if county is not None:
            qs = qs.filter(county_condition(qs.model, county))
        if t is not None and len(paths) == 1:  # the township first: the rows of one township only
            qs = qs.filter(**{paths.pop(): t})
            out.update(qs.aggregate(**{m.key: m.aggregate(filter=m.condition()) for m in group}))
        else:
            out.update(qs.aggregate(**{m.key: m.aggregate(filter=m.condition(t)) for m in group}))
    return _finished(out, info, wanted, t, county)


def county_condition(model, county):
    """A Q on ``model``'s rows of one county (id), along its county path (``wenshang.kernel.scope``);
    no row for a model of no county."""
    path = county_path(model)
    return Q(**{path: getattr(county, "pk", county)}) if path else Q(pk__in=[])


def agri_loan_figures(report_model, county=None):
    """The latest quarter's total balance and its growth in percent over the first quarter reported
    (of one county's banks, ``county``; else of every report)."""
    reports = report_model.objects.all() if county is None else report_model.objects.filter(county=getattr(county, "pk", county))
    totals = list(
        reports.values("year", "quarter").annotate(total=Sum("balance")).order_by("year", "quarter")
    )
    return balance_and_growth([t["total"] for t in totals])


def balance_and_growth(totals):
    """(the latest total, its growth in percent over the first) of quarterly totals, oldest first."""
    if not totals:
        return Decimal(0), None
    first, last = totals[0], totals[-1]
    growth = _growth(last, first).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP) if first else None
    return last, growth


def agri_loan_quarters(county=None):
    """[{year, quarter, total}] of the banks' agriculture-loan reports, oldest first (one query; of one
    county's banks, ``county``)."""
    reports = apps.get_model("finance.AgriLoanReport").objects.all()
    if county is not None:
        reports = reports.filter(county=getattr(county, "pk", county))
    return [
        {"year": r["year"], "quarter": r["quarter"], "total": _as_decimal(r["total"])}
        for r in reports.values("year", "quarter").annotate(total=Sum("balance")).order_by("year", "quarter")
    ]


# -- per village -----------------------------------------------------------------------------------
def per_village_values(keys, township=None, raw=False, county=None):
    """{key: {village id: value}} of the metrics ``keys`` in each village (of ``township``, an id or
    object), as ``Metric.value(village=...)`` gives them. A village without rows is left out (its
    count or sum is 0, its ratio None); a metric needs a ``village_path``. From the aggregates: one
    query; ``raw``: one GROUP BY query per model of the records (the metrics counted from the same
    model along the same paths share it)."""
    t = getattr(township, "pk", township)
    for key in keys:
        if metric(key).village_path is None:
            raise ValueError(f"{key}: no village path")
    if not raw and _store is not None and all(_store.readable(metric(k)) for k in keys):
        return _store.per_village(keys, township=t, county=None if t is not None else getattr(county, "pk", county))
    groups = {}
    for key in keys:
        m = metric(key)
        if m.village_path is None:
            raise ValueError(f"{key}: no village path")
        groups.setdefault((m.model, m.village_path, m.township_path), []).append(m)
    out = {key: {} for key in keys}
    for (model, village_path, township_path), group in groups.items():
        qs = apps.get_model(model)._base_manager.all()
        if t is not None and township_path:
            qs = qs.filter(**{township_path: t})
        elif county is not None:
            qs = qs.filter(county_condition(qs.model, county))
        aggs = {}
        for i, m in enumerate(group):
            if m.kind == "ratio":
                aggs[f"n{i}"], aggs[f"d{i}"] = m.ratio_parts(filter=m.condition())
            else:
                aggs[f"v{i}"] = m.aggregate(filter=m.condition())
        for row in qs.order_by().values(village_path).annotate(**aggs):
            village = row[village_path]
            for i, m in enumerate(group):
                if m.kind == "ratio":
                    out[m.key][village] = share_pct(row[f"n{i}"] or 0, row[f"d{i}"] or 0, 1)
                else:
                    out[m.key][village] = _value(m, row[f"v{i}"])
    return out


def per_county_values(keys, counties):
    """{key: {county id: value}} of the figures ``keys`` in each of ``counties`` (ids or objects), as
    ``compute(county=...)`` gives them: from the aggregates, one query for every county (the figures
    they keep); the banks' reports, one query grouped by county; any other figure from the records,
    county by county."""
    ids = [getattr(c, "pk", c) for c in counties]
    wanted = set(keys)
    kept, rest = [], []
    for key, m in drills().items():
        if key in wanted:
            (kept if _store is not None and _store.readable(m) else rest).append(key)
    out = _store.per_county(kept, ids) if kept else {}
    for key in rest:
        out[key] = {}
    for c in ids:
        for key, value in (compute_raw(keys=rest, county=c) if rest else {}).items():
            out[key][c] = value
    if wanted & {"agri_loan_balance", "agri_loan_growth_pct"}:
        by_county = {c: [] for c in ids}
        rows = (apps.get_model("finance.AgriLoanReport").objects.filter(county__in=ids)
                .values("county", "year", "quarter").annotate(total=Sum("balance")).order_by("county", "year", "quarter"))
        for row in rows:
            by_county[row["county"]].append(row["total"])
        out["agri_loan_balance"], out["agri_loan_growth_pct"] = {}, {}
        for c, totals in by_county.items():
            out["agri_loan_balance"][c], out["agri_loan_growth_pct"][c] = balance_and_growth(totals)
    return {k: {c: _number(v) for c, v in out[k].items()} for k in keys}


# -- one statement -------------------------------------------------------------------------------
def scalar(queryset, aggregate):
    """A queryset's aggregate as a scalar subquery expression (no GROUP BY: one row, even when empty)."""
    return Subquery(queryset.order_by().annotate(_one=Value(1)).values("_one").annotate(v=aggregate).values("v"))


_STORED = {}  # memo → the names of a memoized statement read from the aggregates
_COMPILED = {}  # memo → (names, SQL, params, model): the statement is the same every time, on either database


def scalars(named, memo=None):
    """{name: value} of several (queryset, aggregate) pairs in ONE SQL statement: SELECT (…), (…), …

    An entry may also be a queryset of one value (``.values("pk")[:1]``), taken as it is. ``named``
    may be a callable returning them; with ``memo`` (a hashable naming the statement) it is built and
    compiled once per process, which saves most of the Python time of a cold dashboard."""
    compiled = _COMPILED.get(memo) if memo is not None else None
    if compiled is None:
        named = named() if callable(named) else named
        if not named:
            return {}
        names = list(named)
        first = next(iter(named.values()))
        model = (first[0] if isinstance(first, tuple) else first).model
        alias = router.db_for_read(model)
        parts, params = [], []
        for name in names:
            entry = named[name]
            query = scalar(*entry).query if isinstance(entry, tuple) else entry.query
            sql, p = query.get_compiler(connection=connections[alias]).as_sql()
            parts.append(f"({sql})")
            params.extend(p)
        compiled = (names, "SELECT " + ", ".join(parts), tuple(params), model)
        if memo is not None:
            _COMPILED[memo] = compiled
    names, sql, params, model = compiled
    # The database is chosen at each run, not with the memo: the primary or the replica (same SQL).
    with connections[router.db_for_read(model)].cursor() as cursor:
        cursor.execute(sql, params)
        row = cursor.fetchone()
    return dict(zip(names, row))


def _value(m, value):
    """A raw scalar of ``m`` as ``compute()`` gives it (sums: 2 places)."""
    if m is not None and m.kind == "sum" and not isinstance(value, int):
        return _number(_as_decimal(value).quantize(Decimal("0.01")))
    if m is not None and m.kind == "sum":
        return _number(Decimal(value))
    return value


def _entry(m, township, as_of=None, raw=False, county=None):
    """The (queryset, aggregate) pair of a metric in a scope (as of a day): the aggregates' rows when
    the store gives it (and whether it does), else the records'."""
    if not raw and _store is not None:
        found = _store.entry(m, as_of=as_of, township=township, county=county)
        if found is not None:
            return found, True
    qs = m.queryset(township, county=county)
    if as_of is not None:
        qs = qs.filter(m.as_of_condition(as_of))
    return (qs, m.aggregate()), False


def drill_values(township=None, extra=None, memo=None, raw=False, county=None):
    """{key: value} of every drill-down figure (as ``compute()`` gives them) in one SQL statement.

    ``extra`` (a dict, or a callable of the township returning one) adds more named (queryset,
    aggregate) pairs to the same statement; their raw values come back under their names.
    County-only figures are ``None`` for a township. ``memo``: see ``scalars()``. The figures are
    read from the aggregates' rows (``raw``: from the records), in the same one statement.
    """
    t = getattr(township, "pk", township)
    stored = set()

    def named():
        out = {}
        for key, m in drills().items():
            if t is not None and m.county_only:
                continue
            out[key], from_store = _entry(m, t, raw=raw, county=county)
            if from_store:
                stored.add(key)
        out.update((extra(t) if callable(extra) else extra) or {})
        return out

    county = getattr(county, "pk", county) if t is None else None  # ``county``: one county's figures
    memo_key = (memo, t, raw or _store is None, county) if memo is not None else None
    values = scalars(named, memo=memo_key)
    if memo_key is not None:
        stored = _STORED.setdefault(memo_key, stored)
    out = {key: _stored(drills().get(key), value) if key in stored else _value(drills().get(key), value)
           for key, value in values.items()}
    if t is not None:
        out.update({k: None for k, m in drills().items() if m.county_only})
    return out


# -- figures at an earlier date (the dashboards' period comparisons) -------------------------------
#
# A cumulative figure at the end of an earlier quarter counts (or sums) the same rows restricted to
# those dated by then (``Metric.date`` or ``Metric.as_of``); figures of a fixed year or batch, and
# those without a date (villages, grids, catalogues), are not compared.


@cache
def as_of_conditions():
    """{key: callable(date) → Q on the drill's model}."""
    return {
        key: m.as_of_condition
        for key, m in drills().items()
        if m.compared and (m.date or m.as_of) and catalogue()[key].period == "cumulative"
    }


def drill_values_as_of(date, township=None, raw=False, county=None):
    """{key: value} of every comparable figure counting only rows dated by ``date`` (one statement;
    from the aggregates' quarters when ``date`` ends a quarter, ``raw``: from the records)."""
    t = getattr(township, "pk", township)
    conditions = as_of_conditions()
    stored = set()

    def named():
        out = {}
        for key in conditions:
            m = drills()[key]
            if t is not None and m.county_only:
                continue
            out[key], from_store = _entry(m, t, as_of=date, raw=raw, county=county)
            if from_store:
                stored.add(key)
        return out

    county = getattr(county, "pk", county) if t is None else None
    memo_key = ("as_of", date, t, raw or _store is None, county)
    values = scalars(named, memo=memo_key)
    stored = _STORED.setdefault(memo_key, stored)
    return {key: _stored(drills()[key], v) if key in stored else _value(drills()[key], v) for key, v in values.items()}


# -- figures within a period, per township and village (targets, reports) --------------------------
def period_values(keys, periods, township=None, village=None, villages=None, raw=False, county=None):
    """{key: [value for each (start, end) of ``periods``]} of the metrics ``keys`` in one scope, one
    query per metric. ``villages``: ids, the rows of those villages only (a zone); a metric without
    a village path is then None. Sums are Decimals, ratios percentages (1 place), counts ints. From
    the aggregates when every period is whole quarters or years (``raw``: from the records)."""
    out = {}
    for key in keys:
        m = metric(key)
        if villages is not None and m.village_path is None:
            out[key] = [None] * len(periods)
            continue
        if not raw and _store is not None and all(_store.readable(m, within=p) for p in periods):
            out[key] = _store.period_values(m, periods, township=township, village=village, villages=villages, county=county)
            continue
        if villages is not None:
            qs = m.get_model()._base_manager.filter(m.condition(), **{f"{m.village_path}__in": villages})
        else:
            qs = m.queryset(township, village, county)
        aggs = {}
        for i, (start, end) in enumerate(periods):
            within = m.within(start, end)
            if m.kind == "ratio":
                aggs[f"n{i}"], aggs[f"d{i}"] = m.ratio_parts(filter=within)
            else:
                aggs[f"p{i}"] = m.aggregate(filter=within)
        row = qs.aggregate(**aggs)
        if m.kind == "ratio":
            out[key] = [share_pct(row[f"n{i}"] or 0, row[f"d{i}"] or 0, 1) for i in range(len(periods))]
        elif m.kind == "sum":
            out[key] = [Decimal(row[f"p{i}"] or 0) for i in range(len(periods))]
        else:
            out[key] = [row[f"p{i}"] or 0 for i in range(len(periods))]
    return out


# -- figures frozen at a quarter's close (wenshang.closing) ---------------------------------------
def _as_of_q(m, day):
    return m.as_of_condition(day) if (m.date or m.as_of) else Q()


def values_as_of(day, county, keys=None):
    """{key: (value, {township id: value}, {village id: value})} of every metric (but the banks'
    reports), or ``keys``, counting the rows of ``county`` dated by ``day`` (a figure of no date: all
    its rows), from the records: see ``values_as_of_days``."""
    return values_as_of_days([day], county, keys)[day]


def values_as_of_days(days, county, keys=None):
    """{day: values_as_of(day)} for several days at once: three GROUP BY queries per model (county,
    townships, villages) whatever the number of days (each day's aggregates side by side).
    Counts are ints, sums Decimals (2 places), ratios percentages (1 place)."""
    county = getattr(county, "pk", county)
    by_model = {}
    for key, m in metrics().items():
        if m.kind not in SPECIAL and (keys is None or key in keys):
            by_model.setdefault(m.model, []).append(m)
    out = {day: {} for day in days}
    for model, group in by_model.items():
        qs = apps.get_model(model)._base_manager.filter(county_condition(apps.get_model(model), county)).order_by()

        def aggs(group=group):
            named = {}
            for i, m in enumerate(group):
                for j, day in enumerate(days):
                    where = m.condition() & _as_of_q(m, day)
                    if m.kind == "ratio":
                        named[f"n{i}_{j}"], named[f"d{i}_{j}"] = m.ratio_parts(filter=where)
                    else:
                        named[f"v{i}_{j}"] = m.aggregate(filter=where)
            return named

        def read(row, i, j, m):
            if m.kind == "ratio":
                return share_pct(row[f"n{i}_{j}"] or 0, row[f"d{i}_{j}"] or 0, 1)
            value = row[f"v{i}_{j}"]
            return _as_decimal(value).quantize(Decimal("0.01")) if m.kind == "sum" else int(value or 0)

        total = qs.aggregate(**aggs())
        for i, m in enumerate(group):
            for j, day in enumerate(days):
                out[day][m.key] = (read(total, i, j, m), {}, {})
        for level, attr in ((1, "township_path"), (2, "village_path")):
            paths = {getattr(m, attr) for m in group if getattr(m, attr) and not (level == 1 and m.county_only)}
            for path in paths:
                for row in qs.values(path).annotate(**aggs()):
                    if row[path] is None:
                        continue
                    for i, m in enumerate(group):
                        if getattr(m, attr) != path or (level == 1 and m.county_only):
                            continue
                        for j, day in enumerate(days):
                            value = read(row, i, j, m)
                            if value not in (None, 0):
                                out[day][m.key][level][row[path]] = value
    return out
