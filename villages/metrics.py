"""The villages app's figures (see ``wenshang.web.figures``): villages, honours, projects, incomes, visits."""
from django.db.models import Q

from alliances.models import Pairing
from wenshang.web.figures import Metric, year_of

from .choices import ProjectKind, ProjectStatus, VillageHonourKind

LANDED = (ProjectStatus.BUILDING, ProjectStatus.COMPLETED)


def _paired(t):
    return {"pk__in": Pairing.objects.values("village")}


def _paired_by(day):
    return Q(pk__in=Pairing.objects.filter(start_date__lte=day).values("village"))


def project(key, kind, agg="count", compared=True, **extra):
    """A catalogue figure counted (or summed) from the projects of one kind, dated by their start."""
    where = {"kind": kind, **extra}
    params = [("kind", kind.value)]
    params += [("status_in", s.value) for s in extra.get("status__in", ())]
    if "status" in extra:
        params.append(("status", extra["status"].value))
    if "first_secretary__batch__year" in extra:
        params.append(("first_secretary_batch_year", extra["first_secretary__batch__year"]))
    return Metric(key, "villages.Project", where, agg, date="start_date" if compared else None, plural="projects",
                  params=tuple(params), unit="yuan" if agg.startswith("sum") else "count")


def _honour(key, kind):
    return Metric(key, "villages.VillageHonour", {"kind": kind}, date="year", date_is_year=True,
                  township_path="village__township", village_path="village", plural="village-honours",
                  params=(("kind", kind.value),))


_fs = {"first_secretary__batch__year": year_of("first_secretary_projects")}

METRICS = [
    _honour("national_demo_villages", VillageHonourKind.NATIONAL_GOVERNANCE),
    _honour("provincial_demo_villages", VillageHonourKind.PROVINCIAL_REVITALIZATION),
    Metric("villages", "villages.Village", village_path="pk", plural="villages"),
    Metric("paired_villages", "villages.Village", _paired, as_of=_paired_by, village_path="pk", plural="villages", params=(("paired", "true"),)),
    project("key_projects", ProjectKind.KEY_ZONE),
    project("key_projects_investment", ProjectKind.KEY_ZONE, "sum:investment"),
    project("agri_parks", ProjectKind.AGRI_PARK),
    project("smart_agri_bases", ProjectKind.SMART_AGRI_BASE),
    project("pairing_projects", ProjectKind.PAIRING),
    project("mortgage_agri_projects", ProjectKind.MORTGAGE_AGRI),
    project("partner_projects", ProjectKind.PARTNER, status__in=LANDED),
    project("partner_income", ProjectKind.PARTNER, "sum:income_added", status__in=LANDED),
    project("screened_projects", ProjectKind.PARTNER, compared=False, status=ProjectStatus.SCREENED),  # not started
    project("first_secretary_projects", ProjectKind.FIRST_SECRETARY, compared=False, **_fs),
    project("first_secretary_investment", ProjectKind.FIRST_SECRETARY, "sum:investment", compared=False, **_fs),
    project("first_secretary_income", ProjectKind.FIRST_SECRETARY, "sum:income_added", compared=False, **_fs),
    # the annual targets and the quarterly report
    Metric("collective_income", "villages.CollectiveIncome", agg="sum:amount", date="year", date_is_year=True,
           township_path="village__township", village_path="village", unit="yuan", plural="collective-incomes",
           period_params=("year",)),
    Metric("survey_visits", "villages.SurveyVisit", date="round__year", date_is_year=True,
           township_path="village__township", village_path="village", plural="survey-visits", period_params=("year",)),
    Metric("projects_started", "villages.Project", date="start_date"),
    Metric("projects_investment", "villages.Project", agg="sum:investment", date="start_date", unit="yuan"),
]
