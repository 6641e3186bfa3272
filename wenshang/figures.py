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
    """{key: FigureInfo} in the list's order."""
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
