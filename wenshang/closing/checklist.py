"""A township's quarter checklist (报送前自查): each item computed from the records as of the quarter's
last day, with the list of what is done and, where one exists, of what is missing."""
from dataclasses import asdict, dataclass
from urllib.parse import urlencode

from django.apps import apps
from django.db.models import Count, Exists, OuterRef, Q
from django.urls import get_resolver, reverse
from django.utils.translation import gettext as _

from wenshang.kernel.periods import quarter_dates, reference_date
from wenshang.web.portal import REGISTRY


@dataclass
class Item:
    key: str
    label: str
    done: int
    total: int
    url: str
    missing_url: str = ""
    detail: str = ""

    @property
    def open(self):
        return self.done < self.total

    @property
    def missing(self):
        return self.total - self.done

    def as_dict(self):
        return {**asdict(self), "open": self.open, "missing": self.missing}


def list_url(plural, params=()):
    if plural not in REGISTRY:
        get_resolver().url_patterns  # noqa: B018  (importing the URLconf registers every app's ModelViews)
    url = reverse(REGISTRY[plural].url_name("list"))
    return f"{url}?{urlencode(list(params))}" if params else url


def model(label):
    return apps.get_model(label)


def items(township, year, quarter):
    """[Item] of ``township``'s quarter (five queries)."""
    start, end = quarter_dates(year, quarter)
    Village = model("villages.Village")
    villages = Village._base_manager.filter(township=township)
    t = ("township", township.pk)
    out = []

    # 1. Every village visited in the quarter's grand survey.
    rounds = model("villages.SurveyRound")._base_manager.filter(county_id=township.county_id, year=year, quarter=quarter)
    round_id = rounds.values_list("pk", flat=True).first()
    visits = model("villages.SurveyVisit")._base_manager.filter(village=OuterRef("pk"), round_id=round_id)
    grids = model("grids.Grid")._base_manager.filter(village=OuterRef("pk"))
    secretaries = model("talent.VillageSecretary")._base_manager.filter(
        Q(end_date__isnull=True) | Q(end_date__gte=end), village=OuterRef("pk"), start_date__lte=end)
    incomes = model("villages.CollectiveIncome")._base_manager.filter(village=OuterRef("pk"), year=year - 1)
    counts = villages.aggregate(
        total=_count(), visited=_count(Exists(visits)), gridded=_count(Exists(grids)),
        led=_count(Exists(secretaries)), income=_count(Exists(incomes)))
    total = counts["total"]
    if round_id is None:
        out.append(Item("visits", _("Villages visited in the quarter's grand survey"), 0, total,
                        list_url("survey-rounds"), detail=_("No grand survey round of this quarter has been set up.")))
    else:
        out.append(Item("visits", _("Villages visited in the quarter's grand survey"), counts["visited"], total,
                        list_url("survey-visits", [t, ("round", round_id)]),
                        list_url("villages", [t, ("not_visited_round", round_id)])))

    # 2. Problems found by the survey: none overdue and still open.
    due_by = min(end, reference_date())
    problems = model("villages.SurveyProblem")._base_manager.filter(village__township=township, deadline__lte=due_by)
    late = problems.filter(~Q(status="closed")).count()
    due = problems.count()
    due_q = [t, ("due_by", due_by.isoformat())]
    out.append(Item("problems", _("Survey problems due by the quarter's end rectified or updated"), due - late, due,
                    list_url("survey-problems", due_q), list_url("survey-problems", [*due_q, ("closed", "false")])))

    # 3. Last year's collective income entered for every village: a year's figures belong to the first
    # quarter of the next (wenshang.closing.periods), so the first quarter's checklist asks for them.
    if quarter == 1:
        out.append(Item("income", _("Collective income of %(year)s entered for every village") % {"year": year - 1},
                        counts["income"], total, list_url("collective-incomes", [t, ("year", year - 1)]),
                        list_url("villages", [t, ("no_income_year", year - 1)])))

    # 4. Loans granted in the quarter entered.
    loans = model("finance.Loan")._base_manager.filter(township=township, granted_on__range=(start, end)).count()
    out.append(Item("loans", _("Loans granted in the quarter entered"), min(loans, 1), 1,
                    list_url("loans", [t, ("granted_after", start.isoformat()), ("granted_before", end.isoformat())]),
                    detail=_("%(n)s loans entered") % {"n": loans}))

    # 5. Grids and people current: every village with a grid and a serving party secretary.
    out.append(Item("grids", _("Every village divided into grids"), counts["gridded"], total, list_url("grids", [t]),
                    list_url("villages", [t, ("no_grid", "true")])))
    out.append(Item("secretaries", _("Every village with a serving party secretary"), counts["led"], total,
                    list_url("village-secretaries", [t]), list_url("villages", [t, ("no_secretary_on", end.isoformat())])))
    return out


def _count(condition=None):
    return Count("pk", filter=condition)
