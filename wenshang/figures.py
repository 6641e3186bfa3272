"""The figures: every key of ``seed_figures.csv`` computed from the records.

One module holds every aggregate, so the dashboards, the reports, the API and the ``figures``
command show the same numbers, and an aggregate can move from a live query to a summary table
without touching them (ARCHITECTURE.md). ``compute()`` issues a fixed number of SQL queries,
however many rows there are: related figures share one aggregate query.

The catalogue (labels, units, periods) is read from ``wenshang/data/seed_figures.csv``, a copy of
the article's figure list; its ``value`` column (the article's numbers) is never used here.
A figure's period comes from that list: ``cumulative`` (all records), ``year YYYY``,
``batch YYYY``, or the latest quarter reported.
"""
import csv
import functools
import re
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from functools import cache
from pathlib import Path

from django.db.models import Count, DecimalField, Q, Sum
from django.db.models.functions import Coalesce
from django.utils.translation import get_language

CATALOGUE = Path(__file__).resolve().parent / "data" / "seed_figures.csv"


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


# Figures that have no township: county catalogues and the banks' county-wide reports.
COUNTY_ONLY = {"task_force_units", "recruiting_stations", "agri_loan_balance", "agri_loan_growth_pct"}

DEC = DecimalField(max_digits=20, decimal_places=2)


def _sum(field, **filters):
    return Coalesce(Sum(field, filter=Q(**filters) if filters else None), 0, output_field=DEC)


def _count(field="pk", distinct=False, **filters):
    return Count(field, filter=Q(**filters) if filters else None, distinct=distinct)


def _in(qs, path, township):
    return qs.filter(**{path: township}) if township is not None else qs


def _number(value):
    """JSON-friendly: whole numbers as int, others as float (money has 2 places, percentages 2)."""
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    return value


def compute(township=None, keys=None):
    """{key: value} for every figure (or ``keys``), for the county or one township (id or object).

    County-only figures are ``None`` for a township.
    """
    from alliances.models import (
        Advisor,
        Alliance,
        AllianceMembership,
        JointCommittee,
        JointCommitteeVillage,
        Pairing,
        PairingOutcome,
        TaskForceUnit,
    )
    from finance.choices import STARTUP_KINDS, LoanKind
    from finance.models import AgriLoanReport, FinanceViceMayor, Homestead, LandTransaction, Loan
    from grids.models import Grid
    from talent.choices import HonourKind, PartySchoolLevel, TrainingKind
    from talent.models import (
        FirstSecretary,
        Honour,
        Partner,
        PartySchool,
        RecruitingStation,
        ReserveCadre,
        Returnee,
        TrainingAttendance,
        Workstation,
    )
    from villages.choices import ProjectKind, ProjectStatus, VillageHonourKind
    from villages.models import Project, Village, VillageHonour

    info = catalogue()
    t = getattr(township, "pk", township)
    year = {k: f.year for k, f in info.items()}
    wanted = set(keys or info)
    out = {}

    def want(*names):
        return any(n in wanted for n in names)

    if want("alliances"):
        out["alliances"] = _in(Alliance.objects, "township", t).count()
    if want("alliance_member_units"):
        out["alliance_member_units"] = (
            _in(AllianceMembership.objects, "unit__township", t).values("unit").distinct().count()
        )
    if want("joint_committees"):
        out["joint_committees"] = _in(JointCommittee.objects, "township", t).count()
    if want("joint_committee_villages"):
        out["joint_committee_villages"] = _in(JointCommitteeVillage.objects, "village__township", t).count()
    if want("development_advisors"):
        out["development_advisors"] = _in(Advisor.objects, "joint_committee__township", t).count()
    if want("national_demo_villages", "provincial_demo_villages"):
        honours = _in(VillageHonour.objects, "village__township", t).aggregate(
            national=_count(kind=VillageHonourKind.NATIONAL_GOVERNANCE),
            provincial=_count(kind=VillageHonourKind.PROVINCIAL_REVITALIZATION),
        )
        out["national_demo_villages"] = honours["national"]
        out["provincial_demo_villages"] = honours["provincial"]
    if want("villages"):
        out["villages"] = _in(Village.objects, "township", t).count()
    if want("grids"):
        out["grids"] = _in(Grid.objects, "village__township", t).count()

    project_keys = (
        "key_projects", "key_projects_investment", "agri_parks", "smart_agri_bases", "pairing_projects",
        "mortgage_agri_projects", "partner_projects", "partner_income", "screened_projects",
        "first_secretary_projects", "first_secretary_investment", "first_secretary_income",
    )
    if want(*project_keys):
        landed = [ProjectStatus.BUILDING, ProjectStatus.COMPLETED]
        fs = {"kind": ProjectKind.FIRST_SECRETARY, "first_secretary__batch__year": year["first_secretary_projects"]}
        p = _in(Project.objects, "township", t).aggregate(
            key_projects=_count(kind=ProjectKind.KEY_ZONE),
            key_projects_investment=_sum("investment", kind=ProjectKind.KEY_ZONE),
            agri_parks=_count(kind=ProjectKind.AGRI_PARK),
            smart_agri_bases=_count(kind=ProjectKind.SMART_AGRI_BASE),
            pairing_projects=_count(kind=ProjectKind.PAIRING),
            mortgage_agri_projects=_count(kind=ProjectKind.MORTGAGE_AGRI),
            partner_projects=_count(kind=ProjectKind.PARTNER, status__in=landed),
            partner_income=_sum("income_added", kind=ProjectKind.PARTNER, status__in=landed),
            screened_projects=_count(kind=ProjectKind.PARTNER, status=ProjectStatus.SCREENED),
            first_secretary_projects=_count(**fs),
            first_secretary_investment=_sum("investment", **fs),
            first_secretary_income=_sum("income_added", **fs),
        )
        out.update(p)
    if want("homestead_parcels"):
        out["homestead_parcels"] = _in(Homestead.objects, "village__township", t).count()
    if want("task_force_units"):
        out["task_force_units"] = TaskForceUnit.objects.count() if t is None else None
    if want("paired_enterprises", "paired_villages"):
        pairs = _in(Pairing.objects, "village__township", t).aggregate(
            enterprises=_count("enterprise", distinct=True), villages=_count("village", distinct=True)
        )
        out["paired_enterprises"] = pairs["enterprises"]
        out["paired_villages"] = pairs["villages"]
    if want("pairing_collective_income_2023", "pairing_jobs"):
        outcomes = _in(PairingOutcome.objects, "pairing__village__township", t).aggregate(
            income=_sum("income_added", year=year["pairing_collective_income_2023"]),
            jobs=Coalesce(Sum("jobs_added"), 0),
        )
        out["pairing_collective_income_2023"] = outcomes["income"]
        out["pairing_jobs"] = outcomes["jobs"]
    if want("finance_vice_mayors"):
        out["finance_vice_mayors"] = _in(FinanceViceMayor.objects, "township", t).count()
    loan_keys = (
        "project_loans", "homestead_credit_households", "homestead_credit_amount",
        "startup_loans_amount", "startup_loans_people",
    )
    if want(*loan_keys):
        loans = _in(Loan.objects, "township", t).aggregate(
            project_loans=_sum("amount", kind=LoanKind.PROJECT),
            homestead_credit_households=_count("borrower_id_number", distinct=True, kind=LoanKind.HOMESTEAD_CREDIT),
            homestead_credit_amount=_sum("amount", kind=LoanKind.HOMESTEAD_CREDIT),
            startup_loans_amount=_sum("amount", kind__in=STARTUP_KINDS),
            startup_loans_people=_count("borrower_id_number", distinct=True, kind__in=STARTUP_KINDS),
        )
        out.update(loans)
    if want("agri_loan_balance", "agri_loan_growth_pct"):
        balance, growth = (None, None) if t is not None else agri_loan_figures(AgriLoanReport)
        out["agri_loan_balance"] = balance
        out["agri_loan_growth_pct"] = growth
    if want("land_transactions", "land_transactions_area", "land_transactions_income"):
        land = _in(LandTransaction.objects, "village__township", t).aggregate(
            n=Count("pk"), area=_sum("area_mu"), income=_sum("price")
        )
        out["land_transactions"] = land["n"]
        out["land_transactions_area"] = land["area"]
        out["land_transactions_income"] = land["income"]
    if want("reserve_cadres"):
        out["reserve_cadres"] = _in(ReserveCadre.objects, "village__township", t).count()
    if want("recruiting_stations"):
        out["recruiting_stations"] = RecruitingStation.objects.count() if t is None else None
    if want("returned_talents"):
        out["returned_talents"] = _in(
            Returnee.objects.filter(returned_on__year=year["returned_talents"]), "person__township", t
        ).count()
    if want("partner_workstations"):
        out["partner_workstations"] = _in(Workstation.objects, "township", t).count()
    if want("partners"):
        out["partners"] = _in(Partner.objects, "workstation__township", t).count()
    if want("composite_talents_trained", "farmers_trained"):
        trained = _in(TrainingAttendance.objects.filter(completed=True), "person__township", t).aggregate(
            composite=_count("person", distinct=True, training__kind=TrainingKind.COMPOSITE_TALENT),
            farmers=_count("person", distinct=True, training__kind=TrainingKind.HIGH_QUALITY_FARMER),
        )
        out["composite_talents_trained"] = trained["composite"]
        out["farmers_trained"] = trained["farmers"]
    if want("good_youth", "agritech_models"):
        honours = _in(Honour.objects, "person__township", t).aggregate(
            good_youth=_count(kind=HonourKind.GOOD_YOUTH), agritech=_count(kind=HonourKind.AGRITECH_MODEL)
        )
        out["good_youth"] = honours["good_youth"]
        out["agritech_models"] = honours["agritech"]
    if want("first_secretaries_2021", "first_secretaries_new"):
        fs = _in(FirstSecretary.objects, "village__township", t).aggregate(
            old=_count(batch__year=year["first_secretaries_2021"]),
            new=_count(batch__year=year["first_secretaries_new"]),
        )
        out["first_secretaries_2021"] = fs["old"]
        out["first_secretaries_new"] = fs["new"]
    if want("township_party_schools"):
        out["township_party_schools"] = _in(
            PartySchool.objects.filter(level=PartySchoolLevel.TOWNSHIP), "township", t
        ).count()

    return {k: _number(out[k]) for k in info if k in wanted and k in out}


def agri_loan_figures(report_model):
    """The latest quarter's total balance and its growth in percent over the first quarter reported."""
    totals = list(
        report_model.objects.values("year", "quarter").annotate(total=Sum("balance")).order_by("year", "quarter")
    )
    if not totals:
        return Decimal(0), None
    first, last = totals[0]["total"], totals[-1]["total"]
    growth = None
    if first:
        growth = ((last / first - 1) * 100).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
    return last, growth


# -- Drill-down: the records behind each figure ------------------------------------------------
#
# For the dashboards every figure of the catalogue is also described declaratively: the model
# whose rows make it, the condition on them, the path to the township, how the rows are
# aggregated, and the list page (``ModelViews.plural``) with the query string that shows exactly
# those rows. ``drill_values()`` computes all of them in ONE SQL statement (a scalar subquery per
# figure); the tests check that each equals ``compute()`` and that each list page's count equals
# the figure.


@dataclass(frozen=True)
class Drill:
    """How a figure is made from records, and where the records are listed.

    ``where(township_id)`` returns the rows' condition (a dict of lookups or a ``Q``); ``params``
    the list page's query string (a township is added as ``township=<id>`` when the list's
    township filter follows ``township_path``, else through ``township_param``). ``agg`` is
    ``count``, ``sum:<field>`` or ``distinct:<field>``.
    """

    plural: str
    model: str
    where: object = None
    params: tuple = ()
    township_path: str = "township"
    agg: str = "count"
    township_param: str = "township"

    def get_model(self):
        from django.apps import apps

        return apps.get_model(self.model)

    def condition(self, township=None):
        where = self.where(township) if callable(self.where) else (self.where or {})
        q = where if isinstance(where, Q) else Q(**where)
        if township is not None and self.township_path:
            q &= Q(**{self.township_path: township})
        return q

    def queryset(self, township=None):
        return self.get_model()._base_manager.filter(self.condition(township))

    def aggregate(self):
        kind, _, field = self.agg.partition(":")
        if kind == "sum":
            return _sum(field)
        if kind == "distinct":
            return Count(field, distinct=True)
        return Count("pk")

    def query(self, township=None):
        """[(name, value)] of the list page's query string."""
        params = [(k, v) for k, v in self.params]
        if township is not None and self.township_path and self.township_param:
            params.append((self.township_param, township))
        return params


def _project(kind, **extra):
    from villages.choices import ProjectKind

    where = {"kind": getattr(ProjectKind, kind), **extra}
    params = [("kind", where["kind"].value)]
    if "status__in" in extra:
        params += [("status_in", s.value) for s in extra["status__in"]]
    if "status" in extra:
        params.append(("status", extra["status"].value))
    if "first_secretary__batch__year" in extra:
        params.append(("first_secretary_batch_year", extra["first_secretary__batch__year"]))
    return {"where": where, "params": tuple(params)}


def _member_units(t):
    from alliances.models import AllianceMembership

    return Q(pk__in=AllianceMembership.objects.values("unit"))


def _paired_villages(t):
    from alliances.models import Pairing

    return Q(pk__in=Pairing.objects.values("village"))


def _trained(kind):
    def where(t):
        from talent.models import TrainingAttendance

        return Q(pk__in=TrainingAttendance.objects.filter(completed=True, training__kind=kind).values("person"))

    return where


@cache
def drills():
    """{key: Drill} for every figure of the catalogue except the banks' reports (see ``agri_loan_drill``)."""
    from finance.choices import STARTUP_KINDS, LoanKind
    from talent.choices import HonourKind, PartySchoolLevel, TrainingKind
    from villages.choices import ProjectStatus, VillageHonourKind

    y = {k: f.year for k, f in catalogue().items()}
    landed = (ProjectStatus.BUILDING, ProjectStatus.COMPLETED)
    fs = _project("FIRST_SECRETARY", first_secretary__batch__year=y["first_secretary_projects"])
    partner = _project("PARTNER", status__in=landed)
    honour = "villages.VillageHonour"
    startup = {"where": {"kind__in": STARTUP_KINDS}, "params": tuple(("kind_in", k.value) for k in STARTUP_KINDS)}
    per_borrower = (("one_per_borrower", "true"),)
    returned = y["returned_talents"]
    d = {
        "alliances": Drill("alliances", "alliances.Alliance"),
        "alliance_member_units": Drill(
            "member-units", "alliances.MemberUnit", _member_units, (("in_alliance", "true"),)
        ),
        "joint_committees": Drill("joint-committees", "alliances.JointCommittee"),
        "joint_committee_villages": Drill(
            "joint-committee-villages", "alliances.JointCommitteeVillage", township_path="village__township"
        ),
        "development_advisors": Drill("advisors", "alliances.Advisor", township_path="joint_committee__township"),
        "national_demo_villages": Drill(
            "village-honours", honour, {"kind": VillageHonourKind.NATIONAL_GOVERNANCE},
            (("kind", VillageHonourKind.NATIONAL_GOVERNANCE.value),), "village__township",
        ),
        "provincial_demo_villages": Drill(
            "village-honours", honour, {"kind": VillageHonourKind.PROVINCIAL_REVITALIZATION},
            (("kind", VillageHonourKind.PROVINCIAL_REVITALIZATION.value),), "village__township",
        ),
        "villages": Drill("villages", "villages.Village"),
        "grids": Drill("grids", "grids.Grid", township_path="village__township"),
        "key_projects": Drill("projects", "villages.Project", **_project("KEY_ZONE")),
        "key_projects_investment": Drill("projects", "villages.Project", agg="sum:investment", **_project("KEY_ZONE")),
        "agri_parks": Drill("projects", "villages.Project", **_project("AGRI_PARK")),
        "smart_agri_bases": Drill("projects", "villages.Project", **_project("SMART_AGRI_BASE")),
        "homestead_parcels": Drill("homesteads", "finance.Homestead", township_path="village__township"),
        "task_force_units": Drill("task-force-units", "alliances.TaskForceUnit", township_path=None),
        "paired_enterprises": Drill(
            "pairings", "alliances.Pairing", None, (("one_per_enterprise", "true"),), "village__township",
            "distinct:enterprise",
        ),
        "paired_villages": Drill("villages", "villages.Village", _paired_villages, (("paired", "true"),)),
        "pairing_projects": Drill("projects", "villages.Project", **_project("PAIRING")),
        "pairing_collective_income_2023": Drill(
            "pairing-outcomes", "alliances.PairingOutcome", {"year": y["pairing_collective_income_2023"]},
            (("year", y["pairing_collective_income_2023"]),), "pairing__village__township", "sum:income_added",
        ),
        "pairing_jobs": Drill(
            "pairing-outcomes", "alliances.PairingOutcome", township_path="pairing__village__township", agg="sum:jobs_added"
        ),
        "finance_vice_mayors": Drill("finance-vice-mayors", "finance.FinanceViceMayor"),
        "project_loans": Drill(
            "loans", "finance.Loan", {"kind": LoanKind.PROJECT}, (("kind", LoanKind.PROJECT.value),), agg="sum:amount"
        ),
        "mortgage_agri_projects": Drill("projects", "villages.Project", **_project("MORTGAGE_AGRI")),
        "homestead_credit_households": Drill(
            "loans", "finance.Loan", {"kind": LoanKind.HOMESTEAD_CREDIT},
            (("kind", LoanKind.HOMESTEAD_CREDIT.value), *per_borrower), agg="distinct:borrower_id_number",
        ),
        "homestead_credit_amount": Drill(
            "loans", "finance.Loan", {"kind": LoanKind.HOMESTEAD_CREDIT}, (("kind", LoanKind.HOMESTEAD_CREDIT.value),),
            agg="sum:amount",
        ),
        "land_transactions": Drill("land-transactions", "finance.LandTransaction", township_path="village__township"),
        "land_transactions_area": Drill(
            "land-transactions", "finance.LandTransaction", township_path="village__township", agg="sum:area_mu"
        ),
        "land_transactions_income": Drill(
            "land-transactions", "finance.LandTransaction", township_path="village__township", agg="sum:price"
        ),
        "reserve_cadres": Drill("reserve-cadres", "talent.ReserveCadre", township_path="village__township"),
        "recruiting_stations": Drill("recruiting-stations", "talent.RecruitingStation", township_path=None),
        "returned_talents": Drill(
            "returnees", "talent.Returnee", {"returned_on__year": returned},
            (("returned_after", f"{returned}-01-01"), ("returned_before", f"{returned}-12-31")), "person__township",
        ),
        "partner_workstations": Drill("workstations", "talent.Workstation"),
        "partners": Drill("partners", "talent.Partner", township_path="workstation__township"),
        "partner_projects": Drill("projects", "villages.Project", **partner),
        "partner_income": Drill("projects", "villages.Project", agg="sum:income_added", **partner),
        "screened_projects": Drill("projects", "villages.Project", **_project("PARTNER", status=ProjectStatus.SCREENED)),
        "composite_talents_trained": Drill(
            "people", "talent.Person", _trained(TrainingKind.COMPOSITE_TALENT),
            (("trained", TrainingKind.COMPOSITE_TALENT.value),),
        ),
        "farmers_trained": Drill(
            "people", "talent.Person", _trained(TrainingKind.HIGH_QUALITY_FARMER),
            (("trained", TrainingKind.HIGH_QUALITY_FARMER.value),),
        ),
        "good_youth": Drill(
            "honours", "talent.Honour", {"kind": HonourKind.GOOD_YOUTH}, (("kind", HonourKind.GOOD_YOUTH.value),),
            "person__township",
        ),
        "agritech_models": Drill(
            "honours", "talent.Honour", {"kind": HonourKind.AGRITECH_MODEL}, (("kind", HonourKind.AGRITECH_MODEL.value),),
            "person__township",
        ),
        "startup_loans_amount": Drill("loans", "finance.Loan", agg="sum:amount", **startup),
        "startup_loans_people": Drill(
            "loans", "finance.Loan", startup["where"], startup["params"] + per_borrower, agg="distinct:borrower_id_number"
        ),
        "first_secretaries_2021": Drill(
            "first-secretaries", "talent.FirstSecretary", {"batch__year": y["first_secretaries_2021"]},
            (("batch_year", y["first_secretaries_2021"]),), "village__township",
        ),
        "first_secretary_projects": Drill("projects", "villages.Project", **fs),
        "first_secretary_investment": Drill("projects", "villages.Project", agg="sum:investment", **fs),
        "first_secretary_income": Drill("projects", "villages.Project", agg="sum:income_added", **fs),
        "first_secretaries_new": Drill(
            "first-secretaries", "talent.FirstSecretary", {"batch__year": y["first_secretaries_new"]},
            (("batch_year", y["first_secretaries_new"]),), "village__township",
        ),
        "township_party_schools": Drill(
            "party-schools", "talent.PartySchool", {"level": PartySchoolLevel.TOWNSHIP},
            (("level", PartySchoolLevel.TOWNSHIP.value),),
        ),
    }
    return d


def scalar(queryset, aggregate):
    """A queryset's aggregate as a scalar subquery expression (no GROUP BY: one row, even when empty)."""
    from django.db.models import Subquery, Value

    return Subquery(queryset.order_by().annotate(_one=Value(1)).values("_one").annotate(v=aggregate).values("v"))


_COMPILED = {}  # memo → (names, SQL, params, database alias): the statement is the same every time


def scalars(named, memo=None):
    """{name: value} of several (queryset, aggregate) pairs in ONE SQL statement: SELECT (…), (…), …

    An entry may also be a queryset of one value (``.values("pk")[:1]``), taken as it is. ``named``
    may be a callable returning them; with ``memo`` (a hashable naming the statement) it is built and
    compiled once per process, which saves most of the Python time of a cold dashboard."""
    from django.db import connections, router

    compiled = _COMPILED.get(memo) if memo is not None else None
    if compiled is None:
        named = named() if callable(named) else named
        if not named:
            return {}
        names = list(named)
        first = next(iter(named.values()))
        alias = router.db_for_read((first[0] if isinstance(first, tuple) else first).model)
        parts, params = [], []
        for name in names:
            entry = named[name]
            query = scalar(*entry).query if isinstance(entry, tuple) else entry.query
            sql, p = query.get_compiler(connection=connections[alias]).as_sql()
            parts.append(f"({sql})")
            params.extend(p)
        compiled = (names, "SELECT " + ", ".join(parts), tuple(params), alias)
        if memo is not None:
            _COMPILED[memo] = compiled
    names, sql, params, alias = compiled
    with connections[alias].cursor() as cursor:
        cursor.execute(sql, params)
        row = cursor.fetchone()
    return dict(zip(names, row))


def _as_decimal(value):
    if value is None:
        return Decimal(0)
    if isinstance(value, Decimal):
        return value
    if isinstance(value, float):
        return Decimal(repr(value)).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
    return Decimal(value)


def drill_values(township=None, extra=None, memo=None):
    """{key: value} of every drill-down figure (as ``compute()`` gives them) in one SQL statement.

    ``extra`` (a dict, or a callable of the township returning one) adds more named (queryset,
    aggregate) pairs to the same statement; their raw values come back under their names.
    County-only figures are ``None`` for a township. ``memo``: see ``scalars()``.
    """
    t = getattr(township, "pk", township)

    def named():
        out = {}
        for key, drill in drills().items():
            if t is not None and key in COUNTY_ONLY:
                continue
            out[key] = (drill.queryset(t), drill.aggregate())
        out.update((extra(t) if callable(extra) else extra) or {})
        return out

    raw = scalars(named, memo=(memo, t) if memo is not None else None)
    out = {}
    for key, value in raw.items():
        drill = drills().get(key)
        if drill is not None and drill.agg.startswith("sum"):
            value = _number(_as_decimal(value).quantize(Decimal("0.01")) if not isinstance(value, int) else Decimal(value))
        out[key] = value
    if t is not None:
        out.update({k: None for k in drills() if k in COUNTY_ONLY})
    return out


def agri_loan_quarters():
    """[{year, quarter, total}] of the banks' agriculture-loan reports, oldest first (one query)."""
    from finance.models import AgriLoanReport

    return [
        {"year": r["year"], "quarter": r["quarter"], "total": _as_decimal(r["total"])}
        for r in AgriLoanReport.objects.values("year", "quarter").annotate(total=Sum("balance")).order_by("year", "quarter")
    ]


def growth_pct(now, then):
    """Growth in percent from ``then`` to ``now`` (2 places), or None when there is no base."""
    if now is None or then in (None, 0):
        return None
    return float(((Decimal(str(now)) / Decimal(str(then)) - 1) * 100).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP))


# -- Figures at an earlier date (the dashboards' period comparisons) -------------------------------
#
# A cumulative figure at the end of an earlier quarter counts (or sums) the same rows restricted to
# those dated by then. ``as_of_conditions()`` says, per figure, which date decides; figures of a
# fixed year or batch, and those without a date (villages, grids, catalogues), are not compared.


@cache
def as_of_conditions():
    """{key: callable(date) → Q on the drill's model}."""
    from alliances.models import AllianceMembership, Pairing
    from talent.models import TrainingAttendance

    def on(path):
        return lambda d: Q(**{f"{path}__lte": d})

    def year(path):
        return lambda d: Q(**{f"{path}__lte": d.year})

    def started(path="start_date"):
        return lambda d: Q(**{f"{path}__lte": d})

    def members(d):
        return Q(pk__in=AllianceMembership.objects.filter(joined_on__lte=d).values("unit"))

    def paired_villages(d):
        return Q(pk__in=Pairing.objects.filter(start_date__lte=d).values("village"))

    def trained(d):
        return Q(pk__in=TrainingAttendance.objects.filter(training__end_date__lte=d).values("person"))

    projects = ("key_projects", "key_projects_investment", "agri_parks", "smart_agri_bases", "pairing_projects",
                "mortgage_agri_projects", "partner_projects", "partner_income")  # screened ones have not started
    loans = ("project_loans", "homestead_credit_households", "homestead_credit_amount", "startup_loans_amount",
             "startup_loans_people")
    out = {
        "alliances": on("founded_on"),
        "alliance_member_units": members,
        "joint_committees": on("established_on"),
        "joint_committee_villages": on("joined_on"),
        "development_advisors": started(),
        "national_demo_villages": year("year"),
        "provincial_demo_villages": year("year"),
        "homestead_parcels": on("surveyed_on"),
        "paired_enterprises": started(),
        "paired_villages": paired_villages,
        "pairing_jobs": year("year"),
        "finance_vice_mayors": started(),
        "land_transactions": on("date"),
        "land_transactions_area": on("date"),
        "land_transactions_income": on("date"),
        "reserve_cadres": on("since"),
        "recruiting_stations": on("established_on"),
        "partner_workstations": on("established_on"),
        "partners": on("joined_on"),
        "composite_talents_trained": trained,
        "farmers_trained": trained,
        "good_youth": year("year"),
        "agritech_models": year("year"),
    }
    out.update({k: started() for k in projects})
    out.update({k: on("granted_on") for k in loans})
    return out


def drill_values_as_of(date, township=None):
    """{key: value} of every comparable figure counting only rows dated by ``date`` (one statement)."""
    t = getattr(township, "pk", township)
    conditions = as_of_conditions()

    def named():
        out = {}
        for key, condition in conditions.items():
            if t is not None and key in COUNTY_ONLY:
                continue
            drill = drills()[key]
            out[key] = (drill.queryset(t).filter(condition(date)), drill.aggregate())
        return out

    raw = scalars(named, memo=("as_of", date, t))
    return {
        key: _number(_as_decimal(v).quantize(Decimal("0.01"))) if drills()[key].agg.startswith("sum") and not isinstance(v, int)
        else v
        for key, v in raw.items()
    }
