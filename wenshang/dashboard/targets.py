"""Annual targets and how far each has come: the county's, the townships' and the villages'.

A target (``villages.Target``) is set for a year and an indicator. What has been achieved is
counted from the records of that year (``INDICATORS``: which rows, which sum, which list shows
them), for the county, every township and every village at once, in one SQL statement (a UNION
of one grouped query per indicator). Each unit's progress is compared with the share of the year
gone by at the data's as-of date (序时进度): ahead, behind, done, or, for figures reported once a
year, awaiting the year's report.

``build(year, township)`` returns plain data (numbers and codes) and costs 2 queries (3 when it
has to read the names of the units itself); ``get()`` caches it like the dashboards' data. The
achievements are read from the aggregates kept on write (``wenshang.web.aggregates``: the rows of
the year's quarters, or of the year for figures reported by year); ``achieved_raw()`` counts the
records, for verification.
"""
import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from django.conf import settings
from django.core.cache import cache
from django.db.models import Count, F, Q, Sum, Value
from django.db.models.functions import Cast, Coalesce

from villages.models import Target, Township, Village
from wenshang.dashboard import data as dash
from wenshang.kernel.periods import year_dates
from wenshang.web import aggregates, figures
from wenshang.web.models import MetricAggregate

NUM = figures.DEC


@dataclass(frozen=True)
class Indicator:
    """An annual target's indicator: the metric (``wenshang.web.figures``) its achievement counts within
    the year, and ``yearly``: reported once a year (a collective's income), so a year not yet over is
    not judged against the calendar."""

    key: str
    metric_key: str
    yearly: bool = False

    @property
    def metric(self):
        return figures.metric(self.metric_key)

    plural = property(lambda self: self.metric.plural)
    model = property(lambda self: self.metric.model)
    village_path = property(lambda self: self.metric.village_path)
    township_path = property(lambda self: self.metric.township_path)
    amount = property(lambda self: self.metric.field if self.metric.kind == "sum" else None)
    unit = property(lambda self: "count" if self.metric.unit == "count" else "yuan")

    def get_model(self):
        return self.metric.get_model()

    def condition(self, year):
        """The rows of the year (a Q)."""
        return self.metric.condition() & self.metric.within(*year_dates(year))

    def rows(self, year, township=None, county=None):
        return self.metric.queryset(township, county=county).filter(self.metric.within(*year_dates(year)))

    def params(self, year):
        return self.metric.params + tuple(self.metric.period_query(*year_dates(year)))

    def query(self, year, township=None, village=None):
        """[(name, value)] of the list page showing the rows counted."""
        params = list(self.params(year))
        if village is not None:
            params.append(("village", village))
        elif township is not None:
            params.append(("township", township))
        return params


INDICATORS = {i.key: i for i in [
    Indicator("collective_income", "collective_income", yearly=True),
    Indicator("pairing_income", "pairing_income", yearly=True),
    Indicator("loans_amount", "loans_amount"),
    Indicator("land_income", "land_transactions_income"),
    Indicator("survey_visits", "survey_visits"),
    Indicator("reserve_cadres", "reserve_cadres"),
    Indicator("returnees", "returnees"),
]}


# -- the calendar ----------------------------------------------------------------------------------
def schedule(year, as_of=None):
    """The share of ``year`` gone by at the as-of date, in percent (序时进度): 0 before it, 100 after."""
    as_of = as_of or settings.PORTAL_DATA_AS_OF
    start, end = dt.date(year, 1, 1), dt.date(year, 12, 31)
    if as_of < start:
        return 0.0
    if as_of >= end:
        return 100.0
    return round(((as_of - start).days + 1) * 100 / ((end - start).days + 1), 1)


def status(indicator, year, target, actual, as_of=None):
    """done · ahead · behind · pending (a yearly figure whose year is not over) · not_started (a year to
    come) · none (no target)."""
    if target is None:
        return "none"
    if Decimal(str(actual or 0)) >= Decimal(str(target)):  # exactly: 99,950 of 100,000 is not done
        return "done"
    gone = schedule(year, as_of)
    if gone == 0:
        return "not_started"
    if INDICATORS[indicator].yearly and gone < 100:
        return "pending"  # a yearly figure whose year is not over
    return "ahead" if _progress(actual, target) >= gone else "behind"


def _progress(actual, target):
    return figures.share_pct(actual or 0, target, 1)


# -- the data -------------------------------------------------------------------------------------
def years():
    """The years that have targets, newest first, and the as-of year (1 query)."""
    found = set(Target.objects.order_by().values_list("year", flat=True).distinct())
    found.add(settings.PORTAL_DATA_AS_OF.year)
    return sorted(found, reverse=True)


def achieved(year, township=None, raw=False, county=None):
    """{indicator: {"county": x, "townships": {id: x}, "villages": {id: x}}} of ``year`` (1 query):
    from the aggregates, the county's townships (no village: the county's page shows none) or a
    township's villages; ``raw``: from the records."""
    if raw:
        return achieved_raw(year, township, county)
    t = getattr(township, "pk", township)
    keys = {ind.metric_key: key for key, ind in INDICATORS.items()}
    level, where = ("v", Q(township=t)) if t is not None else ("t", Q())  # a township's villages, the county's townships
    if t is None and county is not None:
        where = Q(county=getattr(county, "pk", county))  # one county's townships (issue 14)
    when = Q()
    for ind in INDICATORS.values():
        when |= Q(metric=ind.metric_key) & aggregates.year_when(ind.metric, within=year_dates(year))
    rows = (MetricAggregate.objects.filter(where, when, level=level, metric__in=list(keys)).order_by()
            .values_list("metric", "township", "village").annotate(x=Sum("value")))
    out = {key: {"county": Decimal(0), "townships": {}, "villages": {}} for key in INDICATORS}
    for metric_key, t_id, v_id, x in rows:
        entry = out[keys[metric_key]]
        x = Decimal(str(x or 0))
        entry["county"] += x
        if t_id is not None:
            entry["townships"][t_id] = entry["townships"].get(t_id, Decimal(0)) + x
        if v_id is not None:
            entry["villages"][v_id] = entry["villages"].get(v_id, Decimal(0)) + x
    return out


def achieved_raw(year, township=None, county=None):
    """``achieved()`` from the records: a UNION of one grouped query per indicator (1 query)."""
    parts = []
    for ind in INDICATORS.values():
        aggregate = Sum(ind.amount) if ind.amount else Count("pk")
        parts.append(
            ind.rows(year, township, None if township is not None else county).order_by()
            .values(t=F(ind.township_path), v=F(ind.village_path))
            .annotate(k=Value(ind.key), x=Cast(Coalesce(aggregate, 0, output_field=NUM), NUM))
            .values_list("k", "t", "v", "x")
        )
    out = {key: {"county": Decimal(0), "townships": {}, "villages": {}} for key in INDICATORS}
    for key, t, v, x in parts[0].union(*parts[1:], all=True):
        x = Decimal(str(x or 0))
        entry = out[key]
        entry["county"] += x
        if t is not None:
            entry["townships"][t] = entry["townships"].get(t, Decimal(0)) + x
        if v is not None:
            entry["villages"][v] = entry["villages"].get(v, Decimal(0)) + x
    return out


def build(year, township=None, units=None, county=None):
    """Every indicator's target and achievement in ``year``: for the county (``township=None``) and
    its townships, or for one township (id) and its villages, ranked by progress.

    ``units``: [(id, name, code)] of the townships (county) or the township's villages, when the
    caller has them already; otherwise read here (1 more query)."""
    t = getattr(township, "pk", township)
    county = getattr(county, "pk", county) if t is None else None  # one county of several: its townships
    townships = Township.objects.filter(county=county) if county is not None else Township.objects.all()
    if units is None:
        units = list(
            (Village.objects.filter(township=t) if t is not None else townships)
            .order_by("code").values_list("pk", "name", "code")
        )
    targets = Target.objects.filter(year=year)
    if t is not None:
        targets = targets.filter(township=t)
    else:
        targets = targets.filter(village__isnull=True)
        if county is not None:
            targets = targets.filter(county=county)
    own, below = {}, {}
    for indicator, township_id, village_id, value in targets.values_list("indicator", "township_id", "village_id", "value"):
        if t is None:
            (own if township_id is None else below).setdefault(indicator, {})[township_id] = value
        else:
            (own if village_id is None else below).setdefault(indicator, {})[village_id or township_id] = value
    done = achieved(year, t, county=county)
    gone = schedule(year)
    out = []
    for key, ind in INDICATORS.items():
        got = done[key]
        actual = got["townships"].get(t, Decimal(0)) if t is not None else got["county"]
        target = own.get(key, {}).get(t)
        sub = got["villages"] if t is not None else got["townships"]
        rows = []
        for pk, name, code in units:
            unit_target = below.get(key, {}).get(pk)
            unit_actual = sub.get(pk, Decimal(0))
            rows.append({
                "id": pk, "name": name, "code": code, "target": _n(unit_target), "actual": _n(unit_actual),
                "progress": _progress(unit_actual, unit_target), "status": status(key, year, unit_target, unit_actual),
            })
        rows.sort(key=lambda r: (r["progress"] is None, -(r["progress"] or 0), r["code"]))
        for rank, row in enumerate(rows, 1):
            row["rank"] = rank if row["progress"] is not None else None
        counts = {}
        for row in rows:
            counts[row["status"]] = counts.get(row["status"], 0) + 1
        out.append({
            "key": key, "unit": ind.unit, "yearly": ind.yearly, "target": _n(target), "actual": _n(actual),
            "progress": _progress(actual, target), "status": status(key, year, target, actual),
            "units_with_target": sum(1 for r in rows if r["target"] is not None),
            "counts": counts, "rows": rows,
        })
    return {"year": year, "township": t, "as_of": settings.PORTAL_DATA_AS_OF, "schedule": gone, "indicators": out}


def get(year, township=None, key=None, units=None, county=None):
    """``build()`` from the cache, fresh after any change (``key``: from ``dashboard.data.key()``)."""
    t = getattr(township, "pk", township)
    county = getattr(county, "pk", county) if t is None else None
    cache_key = f"{key or dash.key(t, county)}:targets:{year}"
    out = cache.get(cache_key)
    if out is None:
        out = build(year, t, units=units, county=county)
        cache.set(cache_key, out, dash.ttl(cache_key))
    return out


def _n(value):
    return None if value is None else figures._number(Decimal(str(value)).quantize(Decimal("0.01")))
