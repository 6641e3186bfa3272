"""Pages of the grand survey's coverage board and reports: the board (this quarter's visits by
township and zone, villages not yet visited, open and overdue problems), the report list with the
request form, a report's page with its progress bar and versions, and the downloads.

Scope: the board reads villages, visits and problems through ``restrict(user, "view")``; reports
are read through ``Report.objects.restrict`` (a township's staff read their township's and its
zones' reports, not the county's) and requested through ``services.may_request``.
"""
from collections import defaultdict
from pathlib import Path

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import Count, Q
from django.http import FileResponse, Http404, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views import View

from alliances.models import JointCommittee, JointCommitteeVillage
from villages.choices import ProblemStatus
from villages.models import City, County, SurveyAssignment, SurveyProblem, SurveyRound, SurveyVisit, Township, Village
from wenshang.kernel.scope import can, scope_of
from wenshang.reports import data, services
from wenshang.reports.models import Report


def _crumbs(*extra):
    return [(_("Wenshang County"), reverse("home")), *extra]


# -- coverage board ---------------------------------------------------------------------------------
def _rounds(user=None):
    rounds = SurveyRound.objects.restrict(user, "view") if user is not None else SurveyRound.objects.all()
    return list(rounds.order_by("-year", "-quarter"))


def _current_round(rounds, on):
    year, quarter = data.quarter_of(on)
    for r in rounds:
        if (r.year, r.quarter) <= (year, quarter):
            return r
    return rounds[-1] if rounds else None


class CoverageView(LoginRequiredMixin, View):
    """The board of one county (a county's users; a city's, with ``?county=<id>``) or, for a user who
    reads several counties, the counties side by side for a quarter, each a click from its board."""

    template_name = "reports/coverage.html"

    def get(self, request):
        user = request.user
        counties = list(County.objects.restrict(user, "view").order_by("code")) if scope_of(user).level != "township" else []
        wanted = request.GET.get("county", "")
        county = None
        if wanted:
            county = next((c for c in counties if str(c.pk) == wanted), None)
            if county is None:
                raise Http404
        if county is None and len(counties) > 1:
            return self.counties_board(request, counties)
        return self.county_board(request, county, several=len(counties) > 1)

    def county_board(self, request, county, several):
        user = request.user
        on = data.reference_date()
        rounds = _rounds(user)
        if county is not None:
            rounds = [r for r in rounds if r.county_id == county.pk]
        selected = request.GET.get("round", "")
        survey_round = next((r for r in rounds if str(r.pk) == selected), None) or _current_round(rounds, on)
        in_county = {"township__county": county} if county is not None else {}
        villages_in = {"village__township__county": county} if county is not None else {}
        villages = list(
            Village.objects.restrict(user, "view").filter(**in_county).order_by("township__code", "code")
            .values("id", "name", "code", "township_id", "township__name")
        )
        ids = [v["id"] for v in villages]
        visited = set()
        leaders = {}
        if survey_round is not None:
            visited = set(SurveyVisit.objects.restrict(user, "view").filter(round=survey_round).values_list("village_id", flat=True))
            leaders = dict(
                SurveyAssignment.objects.restrict(user, "view").filter(round=survey_round).values_list("village_id", "leader_name")
            )
        zones = dict(JointCommitteeVillage.objects.restrict(user, "view").filter(**villages_in)
                     .values_list("village_id", "committee__name"))
        open_problems = list(
            SurveyProblem.objects.restrict(user, "view").filter(**villages_in).exclude(status=ProblemStatus.CLOSED)
            .values_list("village_id", "deadline")
        )
        open_n, overdue_n = defaultdict(int), defaultdict(int)
        for village_id, deadline in open_problems:
            open_n[village_id] += 1
            if deadline < on:
                overdue_n[village_id] += 1

        def group(key_of, name_of):
            groups = {}
            for v in villages:
                key = key_of(v)
                if key is None:
                    continue
                g = groups.setdefault(key, {"key": key, "name": name_of(v), "villages": 0, "visited": 0, "open": 0, "overdue": 0})
                g["villages"] += 1
                g["visited"] += v["id"] in visited
                g["open"] += open_n[v["id"]]
                g["overdue"] += overdue_n[v["id"]]
            for g in groups.values():
                g["coverage"] = data.pct(g["visited"], g["villages"])
                g["missing"] = g["villages"] - g["visited"]
            return list(groups.values())

        by_township = group(lambda v: v["township_id"], lambda v: v["township__name"])
        by_zone = sorted(group(lambda v: zones.get(v["id"]), lambda v: zones.get(v["id"])), key=lambda g: g["name"])
        not_visited = [
            {**v, "leader": leaders.get(v["id"], ""), "zone": zones.get(v["id"], "")} for v in villages if v["id"] not in visited
        ]
        totals = {
            "villages": len(ids), "visited": len(visited & set(ids)),
            "open": sum(open_n.values()), "overdue": sum(overdue_n.values()),
        }
        totals["coverage"] = data.pct(totals["visited"], totals["villages"])
        crumbs = [(_("Survey coverage board"), reverse("reports:coverage"))]
        if county is not None and several:
            crumbs.append((county.name, f"{reverse('reports:coverage')}?county={county.pk}"))
        return render(request, self.template_name, {
            "rounds": rounds, "round": survey_round, "on": on, "by_township": by_township, "by_zone": by_zone,
            "can_assign": can(request.user, "add", SurveyAssignment), "county": county if several else None,
            "not_visited": not_visited, "totals": totals, "county_user": scope_of(user).level != "township",
            "breadcrumbs": _crumbs(*crumbs),
        })

    def counties_board(self, request, counties):
        """Every county the user reads, for one quarter (the rounds of that quarter, each county's own):
        villages, visited, coverage, open and overdue problems; no village list (a county's board has it)."""
        user = request.user
        on = data.reference_date()
        quarters = sorted({(r.year, r.quarter) for r in _rounds(user)}, reverse=True)
        wanted = request.GET.get("quarter", "")
        quarter = next((q for q in quarters if f"{q[0]}-{q[1]}" == wanted), None)
        if quarter is None:
            now = data.quarter_of(on)
            quarter = next((q for q in quarters if q <= now), quarters[-1] if quarters else None)
        ids = [c.pk for c in counties]
        villages = dict(Village.objects.restrict(user, "view").filter(township__county__in=ids).order_by()
                        .values_list("township__county").annotate(n=Count("pk")))
        visited = {}
        if quarter is not None:
            visited = dict(SurveyVisit.objects.restrict(user, "view")
                           .filter(round__year=quarter[0], round__quarter=quarter[1], village__township__county__in=ids)
                           .order_by().values_list("village__township__county").annotate(n=Count("village", distinct=True)))
        problems = {row[0]: row[1:] for row in SurveyProblem.objects.restrict(user, "view")
                    .filter(village__township__county__in=ids).exclude(status=ProblemStatus.CLOSED).order_by()
                    .values_list("village__township__county")
                    .annotate(n=Count("pk"), late=Count("pk", filter=Q(deadline__lt=on)))}
        rows = []
        for c in counties:
            n, seen = villages.get(c.pk, 0), visited.get(c.pk, 0)
            open_n, overdue = problems.get(c.pk, (0, 0))
            rows.append({"county": c, "villages": n, "visited": seen, "missing": n - seen, "coverage": data.pct(seen, n),
                         "open": open_n, "overdue": overdue, "url": f"{reverse('reports:coverage')}?county={c.pk}"})
        totals = {"villages": sum(r["villages"] for r in rows), "visited": sum(r["visited"] for r in rows),
                  "open": sum(r["open"] for r in rows), "overdue": sum(r["overdue"] for r in rows)}
        totals["coverage"] = data.pct(totals["visited"], totals["villages"])
        totals["missing"] = totals["villages"] - totals["visited"]
        return render(request, "reports/coverage_counties.html", {
            "quarters": [(f"{y}-{q}", _("%(year)s Q%(quarter)s") % {"year": y, "quarter": q}) for y, q in quarters],
            "quarter": f"{quarter[0]}-{quarter[1]}" if quarter else "", "rows": rows, "totals": totals, "on": on,
            "breadcrumbs": _crumbs((_("Survey coverage board"), reverse("reports:coverage"))),
        })


# -- requesting and listing reports ----------------------------------------------------------------
def subject_choices(user):
    """[(key, label)] of the reports ``user`` may request: their county's (a city's, the city's counties
    compared and each of its counties'; the deployment's, each city's and county's), their townships' and
    zones'."""
    out = []
    if user.is_superuser or scope_of(user).level in (None, "city"):
        for city in City.objects.restrict(user, "view").filter(counties__isnull=False).distinct().order_by("code"):
            out.append((f"city:{city.code}", _("%(city)s (its counties compared)") % {"city": city.name}))
    if user.is_superuser or scope_of(user).level != "township":
        counties = list(County.objects.restrict(user, "view").order_by("code"))
        for county in counties:
            label = _("Whole county") if len(counties) == 1 else county.name
            out.append((f"county:{county.code}", label))
        if not counties:
            out.append(("county", _("Whole county")))
    for t in Township.objects.restrict(user, "view").order_by("code"):
        out.append((f"township:{t.code}", t.name))
    for c in JointCommittee.objects.restrict(user, "view").select_related("township").order_by("township__code", "name"):
        out.append((f"zone:{c.pk}", f"{c.name}（{c.township.name}）"))
    return out


def period_choices(user=None):
    periods = list(dict.fromkeys((r.year, r.quarter) for r in _rounds(user)))  # several counties' rounds: a quarter once
    return [(f"{y}-{q}", _("%(year)s Q%(quarter)s") % {"year": y, "quarter": q}) for y, q in periods]


class RequestForm(forms.Form):
    period = forms.ChoiceField(label=gettext_lazy("Quarter"), widget=forms.Select(attrs={"class": "form-select form-select-sm"}))
    subject = forms.ChoiceField(label=gettext_lazy("Report of"), widget=forms.Select(attrs={"class": "form-select form-select-sm"}))

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["period"].choices = period_choices(user)
        self.fields["subject"].choices = subject_choices(user)


class ReportListView(LoginRequiredMixin, View):
    template_name = "reports/list.html"

    def page(self, request, form, status=200):
        reports = Report.objects.restrict(request.user, "view").select_related("requested_by")
        page = Paginator(reports, 50).get_page(request.GET.get("page"))
        return render(request, self.template_name, {
            "form": form, "page": page, "breadcrumbs": _crumbs((_("Survey reports"), reverse("reports:list"))),
        }, status=status)

    def get(self, request):
        return self.page(request, RequestForm(user=request.user))

    def post(self, request):
        form = RequestForm(request.POST, user=request.user)
        if not form.is_valid():
            return self.page(request, form, status=400)
        year, quarter = (int(x) for x in form.cleaned_data["period"].split("-"))
        try:
            subject = data.subject_from_key(form.cleaned_data["subject"])
            report, created = services.request_report(subject=subject, year=year, quarter=quarter, user=request.user)
        except (LookupError, services.NotAllowed):
            raise PermissionDenied from None
        if not created:
            messages.info(request, _("This report is already being prepared; follow its progress here."))
        else:  # queued once its row is committed; the queue's answer is the outbox's business (leases.publish)
            messages.success(request, _("The report was requested and is queued; you may leave this page."))
        return redirect("reports:detail", pk=report.pk)


def _visible(request, pk):
    return get_object_or_404(Report.objects.restrict(request.user, "view").select_related("requested_by"), pk=pk)


class ReportDetailView(LoginRequiredMixin, View):
    template_name = "reports/detail.html"

    def get(self, request, pk):
        report = _visible(request, pk)
        versions = Report.objects.restrict(request.user, "view").filter(
            subject=report.subject, year=report.year, quarter=report.quarter
        ).select_related("requested_by").order_by("-version")
        return render(request, self.template_name, {
            "report": report, "versions": versions, "working": not report.finished,
            "can_request": services.may_request(request.user, data.subject_from_key(report.subject)),
            "waiting_for_queue": services.waiting_for_queue(report),
            "period": f"{report.year}-{report.quarter}",
            "breadcrumbs": _crumbs((_("Survey reports"), reverse("reports:list"))),
        })


class ReportProgressView(LoginRequiredMixin, View):
    def get(self, request, pk):
        report = _visible(request, pk)
        if services.resend_if_waiting(report):
            report.refresh_from_db()
        return JsonResponse({
            "id": report.pk, "status": report.status, "status_display": report.get_status_display(),
            "progress": report.progress, "finished": report.finished, "message": report.message,
            "waiting_for_queue": services.waiting_for_queue(report),
        })


class ReportDownloadView(LoginRequiredMixin, View):
    TYPES = {"pdf": "application/pdf", "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"}

    def get(self, request, pk, kind):
        report = _visible(request, pk)
        name = getattr(report, kind).name if kind in self.TYPES else ""
        if report.status != Report.Status.DONE or not name:
            raise Http404
        path = Path(name) if Path(name).is_absolute() else Path(settings.MEDIA_ROOT) / name
        if not path.is_file():
            raise Http404
        return FileResponse(path.open("rb"), as_attachment=True, filename=path.name, content_type=self.TYPES[kind])
