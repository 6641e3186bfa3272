"""What the dashboards show, as plain data (numbers and codes, no translated text), computed from
the records in a fixed number of SQL queries and cached.

``build(township)`` issues 9 queries whatever the size of the county (one statement of scalar
subqueries for every figure of the catalogue, read from the aggregates kept on write, then one
grouped query per chart and one for the ranking table; a township's has no banks' reports and one
query for the county's townships instead); ``get(township)`` serves it from the cache.

Stale by scope: the cache key holds the versions of the scopes a page shows (``key()``: the county
page everything, ``all``; a township's page its township, ``t:<id>``, and the rows of no township,
``cat``: the county's catalogues, survey rounds, trainings …). ``wenshang.dashboard.signals`` bumps
them from the kernel's notice of changed records (every write path: forms, API, imports, bulk
loads, services, the admin, queryset updates; the township a record lies in before and after)
and from the aggregates (the townships whose figures changed through a record of another, a grid
moved to another village), at the write and again when it commits. A write in one township leaves
the others' dashboards warm; reading the versions costs no query (they are in the cache).

A township's place among the county's townships (``peers``) is kept with its data: it follows the
other townships' changes within ``TOWNSHIP_SECONDS``. With a read replica, data computed on it
within the replica's allowed lag after a bump is kept only until that lag has passed (``ttl()``), so
figures of a replica that had not yet replayed the write are not kept under the new key.
"""
import time

from django.conf import settings
from django.core.cache import cache
from django.db.models import Count, IntegerField, OuterRef, Subquery, Sum, Value
from django.db.models.functions import Cast, Coalesce, ExtractQuarter, ExtractYear

from alliances.models import PairingOutcome
from finance.models import Loan
from talent.choices import ReserveStatus
from talent.models import ReserveCadre, TrainingAttendance
from villages.choices import ProblemStatus, Tier
from villages.models import CollectiveIncome, Project, SurveyProblem, SurveyRound, SurveyVisit, Township, Village
from wenshang.kernel import routers
from wenshang.kernel.periods import previous_quarter, quarter_dates, quarter_of  # noqa: F401  (dash.quarter_dates …)
from wenshang.web import figures
from wenshang.web.models import MetricAggregate

GENERATION_KEY = "dashboard:generation"
VERSION_KEY = "dashboard:version:"  # + a scope: all, cat, t:<township id>, c:<county id>
CACHE_SECONDS = 60 * 60
TOWNSHIP_SECONDS = 5 * 60  # a township's data: its place among the county's townships at most this old
VERSION = 6  # change when the shape of the data changes


# -- cache -------------------------------------------------------------------------------------
def bump():
    """Make every cached dashboard stale (call it after a write that reported no change)."""
    cache.set(GENERATION_KEY, time.time_ns(), None)


def bump_scopes(townships=(), counties=(), catalogue=False):
    """Make stale what shows these townships and counties (and every county-wide page): their
    versions, and ``all``'s, become now. ``catalogue``: a row of no township changed (every
    township's page shows the county's catalogues)."""
    names = ["all", *(f"t:{t}" for t in townships), *(f"c:{c}" for c in counties)]
    if catalogue:
        names.append("cat")
    now = time.time_ns()
    cache.set_many({VERSION_KEY + name: now for name in names}, None)


def scopes(township_id, county_id=None):
    """The scopes whose versions make a page's key: the county page everything (one county's page, of
    a database of several: that county's rows), a township's its own rows and the rows of no township."""
    if township_id is None:
        return [f"c:{county_id}"] if county_id is not None else ["all"]
    return [f"t:{township_id}", "cat"]


def key(township_id, county_id=None):
    """The cache key of a scope's data: it changes whenever the records behind it may have (no query)."""
    return _key(township_id, county_id)


_TTL = {}  # key -> seconds its entries may be kept (see ttl())


def _key(township_id, county_id=None):
    names = [GENERATION_KEY, *(VERSION_KEY + name for name in scopes(township_id, county_id))]
    found = cache.get_many(names)
    now = time.time_ns()
    for name in names:
        if name not in found:  # never bumped (or evicted): from now on
            cache.add(name, now, None)
            found[name] = now
    versions = [found[name] for name in names]
    place = township_id or (f"c{county_id}" if county_id is not None else "county")
    out = f"dashboard:v{VERSION}:{place}:{'.'.join(map(str, versions))}|"
    seconds = TOWNSHIP_SECONDS if township_id is not None else CACHE_SECONDS
    if routers.reads_on_replica():
        window = getattr(settings, "DATABASE_REPLICA_MAX_LAG", 30) + getattr(settings, "DATABASE_REPLICA_CHECK_SECONDS", 5)
        age = (now - max(versions)) / 1e9
        if age < window:
            seconds = max(1, int(window - age) + 1)
    if len(_TTL) > 10000:
        _TTL.clear()
    _TTL[out] = seconds
    return out


def ttl(key):
    """Seconds an entry under ``key`` (or a key made from it) may be kept in the cache."""
    base = key[: key.index("|") + 1] if "|" in key else key
    return _TTL.get(base, CACHE_SECONDS)


def get(township=None, key=None, county=None):
    """The dashboard data of the county (``township=None``; ``county``: that county's alone, in a
    database of several) or of one township (``county``: its county), from the cache if fresh
    (``key``: from ``key()``, if the caller already has it)."""
    t = getattr(township, "pk", township)
    county = getattr(county, "pk", county)
    key = key or _key(t, county)
    data = cache.get(key)
    if data is None:
        data = build(t, county)
        cache.set(key, data, ttl(key))
    return data


# -- helpers -------------------------------------------------------------------------------------
def _dec(value):
    return figures._as_decimal(value)


def _num(value):
    return figures._number(_dec(value)) if not isinstance(value, int) else value


def _in(qs, path, township, county=None):
    """The rows of ``qs`` in the township (along ``path``), else in the county (``path``'s county), else all."""
    if township is not None:
        return qs.filter(**{path: township})
    return qs.filter(**{f"{path}__county": county}) if county is not None else qs


def per_outer(qs, path, aggregate):
    """A correlated subquery: ``aggregate`` over the rows of ``qs`` whose ``path`` is the outer row."""
    inner = qs.filter(**{path: OuterRef("pk")}).order_by().values(path).annotate(v=aggregate).values("v")
    output = IntegerField() if isinstance(aggregate, Count) else figures.DEC
    return Coalesce(Subquery(inner, output_field=output), Value(0), output_field=output)


def per_village(key):
    """A metric of each outer village row (a correlated subquery along the metric's village path),
    read from the aggregates' village rows."""
    return stored(key, "village")


def stored(key, path, **filters):
    """A metric of each outer village (``path`` ``village``) or township (``township``) row: a
    correlated subquery over the aggregates' rows of that level (``filters``: e.g. a year)."""
    m = figures.metric(key)
    level = "v" if path == "village" else "t"
    inner = (MetricAggregate.objects.filter(level=level, metric=key, **filters, **{path: OuterRef("pk")}).order_by()
             .values(path).annotate(v=Sum("value")).values("v"))
    output = IntegerField() if m.kind == "count" else figures.DEC
    return Coalesce(Cast(Subquery(inner), output), Value(0), output_field=output)


# -- the data ------------------------------------------------------------------------------------
def build(township=None, county=None):
    """Everything a dashboard shows, for the county or one township (id). 9 SQL queries. ``county``
    (id): the county shown, or the township's, in a database of several counties (issue 14); None:
    every record (one county's database)."""
    t = township
    c = county if t is None else None  # the rows of the county page; a township's page filters by township

    def extra(t):
        reserve = _in(ReserveCadre.objects.all(), "village__township", t, c)
        trained_people = TrainingAttendance.objects.filter(completed=True).values("person")
        rounds = SurveyRound.objects.filter(county=county) if county is not None else SurveyRound.objects.all()
        return {
            "latest_round": rounds.order_by("-year", "-quarter").values("pk")[:1],
            "reserve_trained": (reserve.filter(person__in=trained_people), Count("pk")),
            "reserve_appointed": (reserve.filter(status=ReserveStatus.APPOINTED), Count("pk")),
        }

    values = figures.drill_values(t, extra=extra, memo=("dashboard", VERSION), county=c)  # 1 query
    quarters = figures.agri_loan_quarters(c) if t is None else []  # 1 query (county only)
    if quarters:
        values["agri_loan_balance"] = _num(quarters[-1]["total"])
        values["agri_loan_growth_pct"] = figures.growth_pct(quarters[-1]["total"], quarters[0]["total"])
    elif t is None:
        values["agri_loan_balance"], values["agri_loan_growth_pct"] = 0, None
    else:
        values["agri_loan_balance"] = values["agri_loan_growth_pct"] = None

    # tiers by township (and the tier distribution)
    tiers = list(
        _in(Village.objects.all(), "township", t, c).order_by()
        .values("township_id", "township__name", "township__code", "tier").annotate(n=Count("pk"))
        .order_by("township__code", "tier")
    )
    townships = {}
    for row in tiers:
        entry = townships.setdefault(row["township_id"], {
            "id": row["township_id"], "name": row["township__name"], "code": row["township__code"], "tiers": {},
        })
        entry["tiers"][row["tier"]] = row["n"]
    tier_totals = {tier: sum(r["n"] for r in tiers if r["tier"] == tier) for tier in Tier.values}

    # collective income by year
    incomes = [
        {"year": r["year"], "total": _num(r["total"]), "villages": r["n"]}
        for r in _in(CollectiveIncome.objects.all(), "village__township", t, c).order_by()
        .values("year").annotate(total=Sum("amount"), n=Count("pk")).order_by("year")
    ]
    income_year = incomes[-1]["year"] if incomes else None

    # loans by kind and quarter granted
    loans = [
        {"kind": r["kind"], "year": r["y"], "quarter": r["q"], "n": r["n"], "amount": _num(r["amount"])}
        for r in _in(Loan.objects.all(), "township", t, c).order_by()
        .values("kind", y=ExtractYear("granted_on"), q=ExtractQuarter("granted_on"))
        .annotate(n=Count("pk"), amount=Sum("amount")).order_by("y", "q", "kind")
    ]

    # pairing outcomes by year
    pairing = [
        {"year": r["year"], "income": _num(r["income"]), "jobs": r["jobs"] or 0, "n": r["n"]}
        for r in _in(PairingOutcome.objects.all(), "pairing__village__township", t, c).order_by()
        .values("year").annotate(income=Sum("income_added"), jobs=Sum("jobs_added"), n=Count("pk")).order_by("year")
    ]

    # projects by kind, status and year started
    projects = [
        {"kind": r["kind"], "status": r["status"], "year": r["y"], "n": r["n"], "investment": _num(r["investment"]),
         "income": _num(r["income"]), "jobs": r["jobs"] or 0}
        for r in _in(Project.objects.all(), "township", t, c).order_by()
        .values("kind", "status", y=ExtractYear("start_date"))
        .annotate(n=Count("pk"), investment=Sum("investment"), income=Sum("income_added"), jobs=Sum("jobs"))
        .order_by("kind", "status", "y")
    ]

    # survey rounds: visits and villages visited
    rounds = [
        {"id": r["round_id"], "year": r["round__year"], "quarter": r["round__quarter"], "visits": r["visits"],
         "villages": r["villages"]}
        for r in _in(SurveyVisit.objects.all(), "village__township", t, c).order_by()
        .values("round_id", "round__year", "round__quarter")
        .annotate(visits=Count("pk"), villages=Count("village", distinct=True))
        .order_by("round__year", "round__quarter")
    ]

    # the ranking table: the county's townships, or a township's villages
    open_problems = SurveyProblem.objects.exclude(status=ProblemStatus.CLOSED)
    latest_round = values.pop("latest_round")
    in_county = Township.objects.filter(county=county) if county is not None else Township.objects.all()
    townships_rows = in_county.order_by("code").annotate(
        villages_n=stored("villages", "township"),
        model_n=per_outer(Village.objects.filter(tier=Tier.MODEL), "township", Count("pk")),
        foundation_n=per_outer(Village.objects.filter(tier=Tier.FOUNDATION), "township", Count("pk")),
        income=stored("collective_income", "township", year=income_year),
        projects_n=stored("projects_started", "township"),  # every project (the metric has no condition)
        reserve_n=stored("reserve_cadres", "township"),
        problems_n=per_outer(open_problems, "village__township", Count("pk")),
    ).values("pk", "name", "code", "villages_n", "model_n", "foundation_n", "income", "projects_n", "reserve_n",
             "problems_n")
    peers = []
    if t is None:
        rows = townships_rows
    else:
        # the county's townships, for the township's place among them (1 more query)
        peers = [{**row, "income": _num(row["income"])} for row in townships_rows]
        rows = Village.objects.filter(township=t).order_by("code").annotate(
            income=stored("collective_income", "village", year=income_year),
            parcels_n=per_village("homestead_parcels"),
            idle_n=per_village("homestead_idle"),
            pairings_n=per_outer(figures.metric("pairing_projects").queryset(), "villages", Count("pk")),
            reserve_n=per_village("reserve_cadres"),
            problems_n=per_outer(open_problems, "village", Count("pk")),
            visited_n=per_outer(SurveyVisit.objects.filter(round_id=latest_round), "village", Count("pk")),
        ).values("pk", "name", "code", "tier", "households", "income", "parcels_n", "idle_n", "pairings_n", "reserve_n",
                 "problems_n", "visited_n")
    ranking = []
    for row in rows:
        row = dict(row)
        row["income"] = _num(row["income"])
        ranking.append(row)

    return {
        "township": t,
        "as_of": settings.PORTAL_DATA_AS_OF,
        "figures": values,
        "agri_quarters": [{**q, "total": _num(q["total"])} for q in quarters],
        "townships": list(townships.values()),
        "tiers": tier_totals,
        "incomes": incomes,
        "income_year": income_year,
        "loans": loans,
        "pairing": pairing,
        "projects": projects,
        "rounds": rounds,
        "latest_round": latest_round,
        "ranking": ranking,
        "peers": peers,
    }


# -- periods -------------------------------------------------------------------------------------
def periods(data):
    """[(year, quarter)] from the pilot's first quarter to the quarter of the as-of date."""
    first = (data["agri_quarters"][0]["year"], data["agri_quarters"][0]["quarter"]) if data["agri_quarters"] else None
    starts = [first] if first else []
    starts += [(r["year"], r["quarter"]) for r in data["rounds"][:1]]
    start = min(starts) if starts else quarter_of(data["as_of"])
    end = quarter_of(data["as_of"])
    out, (y, q) = [], start
    while (y, q) <= end:
        out.append((y, q))
        y, q = (y + 1, 1) if q == 4 else (y, q + 1)
    return out


def previous(period):
    return previous_quarter(*period)


def period_values(data, period):
    """{indicator: value} of one quarter (a year's figures for the yearly ones)."""
    y, q = period
    out = {}
    agri = {(r["year"], r["quarter"]): r["total"] for r in data["agri_quarters"]}
    if data["township"] is None:
        out["agri_loan_balance"] = agri.get(period)
    loans = [r for r in data["loans"] if (r["year"], r["quarter"]) == period]
    out["loans_granted"] = sum(r["n"] for r in loans)
    out["loans_amount"] = _num(sum(_dec(r["amount"]) for r in loans))
    visited = {(r["year"], r["quarter"]): r["villages"] for r in data["rounds"]}
    out["villages_visited"] = visited.get(period, 0)
    income = {r["year"]: r["total"] for r in data["incomes"]}
    out["collective_income"] = income.get(y)
    outcome = {r["year"]: r for r in data["pairing"]}
    out["pairing_income"] = outcome[y]["income"] if y in outcome else None  # not reported yet
    return out


def period_table(data, period, pilot):
    """[(indicator, now, previous, growth vs previous, pilot start, growth vs pilot start)]."""
    now = period_values(data, period)
    before = period_values(data, previous(period))
    start = period_values(data, pilot)
    rows = []
    for key, value in now.items():
        rows.append({
            "key": key,
            "value": value,
            "previous": before.get(key),
            "previous_growth": figures.growth_pct(value, before.get(key)),
            "pilot": start.get(key),
            "pilot_growth": figures.growth_pct(value, start.get(key)),
        })
    return rows


def comparison(township, period, pilot, key=None, county=None):
    """Each comparable figure at the end of ``period``, of the quarter before and of the pilot's first
    quarter, with the growth in percent (3 queries; cached like the data, ``key`` from ``key()``)."""
    t = getattr(township, "pk", township)
    county = getattr(county, "pk", county)
    key = f"{key or _key(t, county)}:compare:{period[0]}Q{period[1]}:{pilot[0]}Q{pilot[1]}"
    out = cache.get(key)
    if out is None:
        before = previous(period)
        c = county if t is None else None
        now, then, start = (figures.drill_values_as_of(quarter_dates(*p)[1], t, county=c) for p in (period, before, pilot))
        out = {
            k: {"value": v, "previous": then.get(k), "pilot": start.get(k),
                "previous_growth": figures.growth_pct(v, then.get(k)), "pilot_growth": figures.growth_pct(v, start.get(k))}
            for k, v in now.items()
        }
        cache.set(key, out, ttl(key))
    return out


def agri_comparison(data, period, pilot):
    """The banks' agriculture-related loan balance at the end of ``period``, of the quarter before and
    of the pilot's first quarter, as ``comparison()`` gives the other figures (None without a report)."""
    totals = {(q["year"], q["quarter"]): q["total"] for q in data["agri_quarters"]}
    value = totals.get(period)
    if value is None:
        return None
    before, start = totals.get(previous(period)), totals.get(pilot)
    return {"value": value, "previous": before, "pilot": start, "previous_growth": figures.growth_pct(value, before),
            "pilot_growth": figures.growth_pct(value, start)}


def choose_period(data, wanted=""):
    """(period, pilot start, every period) for a ``YYYYQn`` asked for; the latest when it is not one."""
    every = periods(data)
    period = every[-1] if every else quarter_of(data["as_of"])
    for p in every:
        if wanted == f"{p[0]}Q{p[1]}":
            period = p
    return period, (every[0] if every else period), every


share = figures.share_pct
