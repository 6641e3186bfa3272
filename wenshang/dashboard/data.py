"""What the dashboards show, as plain data (numbers and codes, no translated text), computed from
the records in a fixed number of SQL queries and cached.

``build(township)`` issues 9 queries whatever the size of the county (one statement of scalar
subqueries for every figure of the catalogue, then one grouped query per chart and one for the
ranking table; a township's has no banks' reports and one query for the county's townships
instead); ``get(township)`` serves it from the cache. The cache key holds a generation that
``wenshang.dashboard.signals`` renews whenever a record of the three chains is saved or deleted,
and the highest change-log id: every write path (forms, API, imports, bulk loads, commands) logs
its changes in ``ObjectChange``, so a bulk load that sends no signal still invalidates the data.
"""
import time

from django.conf import settings
from django.core.cache import cache
from django.db.models import Count, IntegerField, Max, OuterRef, Subquery, Sum, Value
from django.db.models.functions import Coalesce, ExtractQuarter, ExtractYear

from alliances.models import PairingOutcome
from finance.models import Loan
from talent.choices import ReserveStatus
from talent.models import ReserveCadre, TrainingAttendance
from villages.choices import ProblemStatus, Tier
from villages.models import CollectiveIncome, Project, SurveyProblem, SurveyRound, SurveyVisit, Township, Village
from wenshang.kernel.models import ObjectChange
from wenshang.kernel.periods import previous_quarter, quarter_dates, quarter_of  # noqa: F401  (dash.quarter_dates …)
from wenshang.web import figures

GENERATION_KEY = "dashboard:generation"
CACHE_SECONDS = 60 * 60
VERSION = 5  # change when the shape of the data changes


# -- cache -------------------------------------------------------------------------------------
def bump():
    """Make every cached dashboard stale (called by the signals; call it after a raw bulk write)."""
    cache.set(GENERATION_KEY, time.time_ns(), None)


def key(township_id):
    """The cache key of a scope's data: it changes whenever the records behind it may have (1 query)."""
    return _key(township_id)


def _key(township_id):
    generation = cache.get(GENERATION_KEY)
    if generation is None:
        generation = time.time_ns()
        cache.add(GENERATION_KEY, generation, None)
        generation = cache.get(GENERATION_KEY, generation)
    last_change = ObjectChange.objects.aggregate(m=Max("pk"))["m"] or 0
    return f"dashboard:v{VERSION}:{generation}:{last_change}:{township_id or 'county'}"


def get(township=None, key=None):
    """The dashboard data of the county (``township=None``) or of one township, from the cache if fresh
    (``key``: from ``key()``, if the caller already has it)."""
    t = getattr(township, "pk", township)
    key = key or _key(t)
    data = cache.get(key)
    if data is None:
        data = build(t)
        cache.set(key, data, CACHE_SECONDS)
    return data


# -- helpers -------------------------------------------------------------------------------------
def _dec(value):
    return figures._as_decimal(value)


def _num(value):
    return figures._number(_dec(value)) if not isinstance(value, int) else value


def _in(qs, path, township):
    return qs.filter(**{path: township}) if township is not None else qs


def per_outer(qs, path, aggregate):
    """A correlated subquery: ``aggregate`` over the rows of ``qs`` whose ``path`` is the outer row."""
    inner = qs.filter(**{path: OuterRef("pk")}).order_by().values(path).annotate(v=aggregate).values("v")
    output = IntegerField() if isinstance(aggregate, Count) else figures.DEC
    return Coalesce(Subquery(inner, output_field=output), Value(0), output_field=output)


def per_village(key):
    """A metric of each outer village row (a correlated subquery along the metric's village path)."""
    m = figures.metric(key)
    return per_outer(m.queryset(), m.village_path, m.aggregate())


# -- the data ------------------------------------------------------------------------------------
def build(township=None):
    """Everything a dashboard shows, for the county or one township (id). 9 SQL queries."""
    t = township

    def extra(t):
        reserve = _in(ReserveCadre.objects.all(), "village__township", t)
        trained_people = TrainingAttendance.objects.filter(completed=True).values("person")
        return {
            "latest_round": SurveyRound.objects.order_by("-year", "-quarter").values("pk")[:1],
            "reserve_trained": (reserve.filter(person__in=trained_people), Count("pk")),
            "reserve_appointed": (reserve.filter(status=ReserveStatus.APPOINTED), Count("pk")),
        }

    values = figures.drill_values(t, extra=extra, memo=("dashboard", VERSION))  # 1 query
    quarters = figures.agri_loan_quarters() if t is None else []  # 1 query (county only)
    if quarters:
        values["agri_loan_balance"] = _num(quarters[-1]["total"])
        values["agri_loan_growth_pct"] = figures.growth_pct(quarters[-1]["total"], quarters[0]["total"])
    elif t is None:
        values["agri_loan_balance"], values["agri_loan_growth_pct"] = 0, None
    else:
        values["agri_loan_balance"] = values["agri_loan_growth_pct"] = None

    # tiers by township (and the tier distribution)
    tiers = list(
        _in(Village.objects.all(), "township", t).order_by()
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
        for r in _in(CollectiveIncome.objects.all(), "village__township", t).order_by()
        .values("year").annotate(total=Sum("amount"), n=Count("pk")).order_by("year")
    ]
    income_year = incomes[-1]["year"] if incomes else None

    # loans by kind and quarter granted
    loans = [
        {"kind": r["kind"], "year": r["y"], "quarter": r["q"], "n": r["n"], "amount": _num(r["amount"])}
        for r in _in(Loan.objects.all(), "township", t).order_by()
        .values("kind", y=ExtractYear("granted_on"), q=ExtractQuarter("granted_on"))
        .annotate(n=Count("pk"), amount=Sum("amount")).order_by("y", "q", "kind")
    ]

    # pairing outcomes by year
    pairing = [
        {"year": r["year"], "income": _num(r["income"]), "jobs": r["jobs"] or 0, "n": r["n"]}
        for r in _in(PairingOutcome.objects.all(), "pairing__village__township", t).order_by()
        .values("year").annotate(income=Sum("income_added"), jobs=Sum("jobs_added"), n=Count("pk")).order_by("year")
    ]

    # projects by kind, status and year started
    projects = [
        {"kind": r["kind"], "status": r["status"], "year": r["y"], "n": r["n"], "investment": _num(r["investment"]),
         "income": _num(r["income"]), "jobs": r["jobs"] or 0}
        for r in _in(Project.objects.all(), "township", t).order_by()
        .values("kind", "status", y=ExtractYear("start_date"))
        .annotate(n=Count("pk"), investment=Sum("investment"), income=Sum("income_added"), jobs=Sum("jobs"))
        .order_by("kind", "status", "y")
    ]

    # survey rounds: visits and villages visited
    rounds = [
        {"id": r["round_id"], "year": r["round__year"], "quarter": r["round__quarter"], "visits": r["visits"],
         "villages": r["villages"]}
        for r in _in(SurveyVisit.objects.all(), "village__township", t).order_by()
        .values("round_id", "round__year", "round__quarter")
        .annotate(visits=Count("pk"), villages=Count("village", distinct=True))
        .order_by("round__year", "round__quarter")
    ]

    # the ranking table: the county's townships, or a township's villages
    open_problems = SurveyProblem.objects.exclude(status=ProblemStatus.CLOSED)
    latest_round = values.pop("latest_round")
    townships_rows = Township.objects.order_by("code").annotate(
        villages_n=per_outer(Village.objects.all(), "township", Count("pk")),
        model_n=per_outer(Village.objects.filter(tier=Tier.MODEL), "township", Count("pk")),
        foundation_n=per_outer(Village.objects.filter(tier=Tier.FOUNDATION), "township", Count("pk")),
        income=per_outer(CollectiveIncome.objects.filter(year=income_year), "village__township", Sum("amount")),
        projects_n=per_outer(Project.objects.all(), "township", Count("pk")),
        reserve_n=per_outer(ReserveCadre.objects.all(), "village__township", Count("pk")),
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
            income=per_outer(CollectiveIncome.objects.filter(year=income_year), "village", Sum("amount")),
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


def comparison(township, period, pilot, key=None):
    """Each comparable figure at the end of ``period``, of the quarter before and of the pilot's first
    quarter, with the growth in percent (3 queries; cached like the data, ``key`` from ``key()``)."""
    t = getattr(township, "pk", township)
    key = f"{key or _key(t)}:compare:{period[0]}Q{period[1]}:{pilot[0]}Q{pilot[1]}"
    out = cache.get(key)
    if out is None:
        before = previous(period)
        now, then, start = (figures.drill_values_as_of(quarter_dates(*p)[1], t) for p in (period, before, pilot))
        out = {
            k: {"value": v, "previous": then.get(k), "pilot": start.get(k),
                "previous_growth": figures.growth_pct(v, then.get(k)), "pilot_growth": figures.growth_pct(v, start.get(k))}
            for k, v in now.items()
        }
        cache.set(key, out, CACHE_SECONDS)
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
