"""The village profile (一村一档): one page gathering everything the portal knows about a village.

Tier and its history; grids and their workers; the alliances its member units belong to; its
demonstration zone (joint committee) and assigned county department; pairings and projects;
loans by kind; homesteads (count, area, idle share); land transactions; its people (secretary,
reserve cadres, first secretaries, returnees); the latest survey visits and the problems still
open; collective income by year; honours.

Every section is one query (aggregated in the database, never a query per row), each through the
user's scope (``restrict``): a village outside it is a 404. Phone numbers are masked unless the
user may see personal data, and an unmasked view is recorded.
"""
from django.contrib.auth.decorators import login_required
from django.db.models import Count, Q, Sum
from django.shortcuts import get_object_or_404, render
from django.urls import reverse

from alliances.models import AllianceMembership, Pairing
from finance.choices import LoanKind
from finance.models import Homestead, LandTransaction, Loan
from grids.models import Grid, GridWorker
from talent.models import FirstSecretary, Person, ReserveCadre, Returnee, VillageSecretary
from wenshang.kernel import privacy
from wenshang.kernel.periods import reference_date
from wenshang.kernel.scope import permission_filter, scope_of
from wenshang.web import figures
from wenshang.web.portal import detail_url

from .choices import ProblemStatus
from .models import CollectiveIncome, Project, SurveyProblem, SurveyVisit, TierChange, Village, VillageHonour

LATEST_VISITS = 5
LATEST_TRANSACTIONS = 10


def may_open(user, obj, township_id):
    """Whether ``user`` may read ``obj`` (in memory, no query), so that a link is offered only then.
    A county's or a city's user reads whatever the profile of a village of theirs shows: its records
    are of the village's county (two counties' records never mix)."""
    allowed = permission_filter(user, type(obj), "view")
    if isinstance(allowed, bool):
        return allowed
    if scope_of(user).level in ("county", "city"):
        return True
    return township_id == user.township_id or (township_id is None and getattr(type(obj), "scope_null_visible", False))


def link(user, obj, township_id):
    return detail_url(obj) if obj is not None and may_open(user, obj, township_id) else None


def _sum(value):
    return value or 0


def gather(user, village):
    """Every section of the profile (about 20 queries, whatever the village holds)."""
    on = reference_date()
    current = Q(end_date__isnull=True) | Q(end_date__gte=on)

    def scoped(model):
        return model.objects.restrict(user, "view")

    tier_changes = list(scoped(TierChange).filter(village=village).order_by("date", "pk"))
    grids = list(
        scoped(Grid).filter(village=village)
        .annotate(worker_count=Count("workers", filter=Q(workers__end_date__isnull=True) | Q(workers__end_date__gte=on)))
        .order_by("code")
    )
    workers = list(scoped(GridWorker).filter(current, grid__village=village).select_related("grid").order_by("grid__code", "role", "name"))
    memberships = list(
        scoped(AllianceMembership).filter(unit__village=village).select_related("alliance", "unit").order_by("alliance__name", "unit__name")
    )
    pairings = list(scoped(Pairing).filter(village=village).select_related("enterprise").order_by("start_date", "pk"))
    projects = list(scoped(Project).filter(villages=village).order_by("-start_date", "name"))
    loans = list(
        scoped(Loan).filter(village=village).values("kind").annotate(count=Count("pk"), total=Sum("amount")).order_by("kind")
    )
    parcels, area, idle = (figures.metric(k) for k in ("homestead_parcels", "homestead_area", "homestead_idle"))
    homesteads = scoped(Homestead).filter(village=village).aggregate(
        count=parcels.aggregate(filter=parcels.condition()), area=area.aggregate(filter=area.condition()),
        idle=idle.aggregate(filter=idle.condition()),
    )
    deals, deal_area, deal_price = (figures.metric(k) for k in ("land_transactions", "land_transactions_area",
                                                                 "land_transactions_income"))
    land_totals = scoped(LandTransaction).filter(village=village).aggregate(
        count=deals.aggregate(filter=deals.condition()), area=deal_area.aggregate(filter=deal_area.condition()),
        price=deal_price.aggregate(filter=deal_price.condition()),
    )
    land = list(scoped(LandTransaction).filter(village=village).order_by("-date", "-pk")[:LATEST_TRANSACTIONS])
    secretaries = list(scoped(VillageSecretary).filter(village=village).select_related("person").order_by("-start_date", "-pk"))
    reserve = list(scoped(ReserveCadre).filter(village=village).select_related("person").order_by("since", "pk"))
    first_secretaries = list(
        scoped(FirstSecretary).filter(village=village).select_related("person", "batch").order_by("-start_date", "-pk")
    )
    returnees = list(scoped(Returnee).filter(person__village=village).select_related("person", "station").order_by("-returned_on", "-pk"))
    people_count = scoped(Person).filter(village=village).count()
    visits = list(scoped(SurveyVisit).filter(village=village).select_related("round").order_by("-visited_on", "-pk")[:LATEST_VISITS])
    problems = list(
        scoped(SurveyProblem).filter(village=village).exclude(status=ProblemStatus.CLOSED).order_by("deadline", "pk")
    )
    incomes = list(scoped(CollectiveIncome).filter(village=village).order_by("year"))
    honours = list(scoped(VillageHonour).filter(village=village).order_by("-year"))

    # -- personal data: masked unless the user may see it, and every unmasked view recorded
    shown_people = [s.person for s in secretaries if s.end_date is None or s.end_date >= on]
    for worker in workers:
        worker.phone_shown = privacy.shown(user, worker, "phone")
    for person in shown_people:
        person.phone_shown = privacy.shown(user, person, "phone")
    if workers:
        privacy.record_access(user, GridWorker, workers, "profile:villages", ["phone"])
    if shown_people:
        privacy.record_access(user, Person, shown_people, "profile:villages", ["phone"])

    kind_labels = dict(LoanKind.choices)
    count = homesteads["count"] or 0
    zone = getattr(village, "zone_membership", None)
    township_id = village.township_id
    return {
        "on": on,
        "tier_changes": tier_changes,
        "grids": [(g, link(user, g, township_id)) for g in grids],
        "worker_count": len(workers),
        "workers": workers,
        "alliances": [
            (m, link(user, m.alliance, m.alliance.township_id)) for m in memberships
        ],
        "alliance_count": len({m.alliance_id for m in memberships}),
        "zone": zone,
        "zone_url": link(user, zone.committee, zone.committee.township_id) if zone is not None else None,
        "pairings": [(p, link(user, p, township_id), link(user, p.enterprise, p.enterprise.township_id)) for p in pairings],
        "projects": [(p, link(user, p, p.township_id)) for p in projects],
        "project_totals": {
            "investment": sum(p.investment for p in projects),
            "jobs": sum(p.jobs for p in projects),
            "income_added": sum(p.income_added for p in projects),
        },
        "loans": [dict(row, label=kind_labels.get(row["kind"], row["kind"])) for row in loans],
        "loan_totals": {"count": sum(r["count"] for r in loans), "total": sum(_sum(r["total"]) for r in loans)},
        "homesteads": {
            "count": count,
            "area": _sum(homesteads["area"]),
            "idle": homesteads["idle"] or 0,
            "idle_share": figures.share_pct(homesteads["idle"] or 0, count, places=None),
        },
        "land": [(t, link(user, t, township_id)) for t in land],
        "land_totals": {"count": land_totals["count"] or 0, "area": _sum(land_totals["area"]), "price": _sum(land_totals["price"])},
        "secretary": next(((s, link(user, s, township_id)) for s in secretaries if s.end_date is None or s.end_date >= on), None),
        "past_secretaries": [(s, link(user, s, township_id)) for s in secretaries if s.end_date is not None and s.end_date < on],
        "reserve": [(r, link(user, r.person, r.person.township_id)) for r in reserve],
        "first_secretaries": [(f, link(user, f, township_id)) for f in first_secretaries],
        "returnees": [(r, link(user, r.person, r.person.township_id)) for r in returnees],
        "people_count": people_count,
        "visits": [(v, link(user, v, township_id)) for v in visits],
        "problems": [(p, link(user, p, township_id), p.deadline < on) for p in problems],
        "overdue_count": sum(1 for p in problems if p.deadline < on),
        "incomes": [(i, (i.operating * 100 / i.amount) if i.amount else None) for i in incomes],
        "honours": honours,
    }


@login_required
def village_profile(request, pk):
    qs = Village.objects.restrict(request.user, "view").select_related(
        "township__county", "zone_membership__committee"
    )
    village = get_object_or_404(qs, pk=pk)
    township = village.township
    breadcrumbs = [
        (str(township.county), reverse("home")),
        (str(township), reverse("villages:township_detail", args=[township.pk])),
        (str(village), reverse("villages:village_detail", args=[village.pk])),
    ]
    context = {
        "village": village,
        "township": township,
        "breadcrumbs": breadcrumbs,
        **gather(request.user, village),
    }
    return render(request, "villages/profile.html", context)
