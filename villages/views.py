from django.core.exceptions import ValidationError
from django.core.paginator import Page, Paginator
from django.db.models import Count, Q
from django.http import Http404
from django.shortcuts import render
from django.urls import path
from django.utils.cache import patch_vary_headers
from django.utils.translation import gettext as _

from wenshang.kernel.services import save_scoped
from wenshang.web.forms import PortalModelForm
from wenshang.web.paging import Total
from wenshang.web.portal import ListView, ModelViews, cell, column_headers

from . import filters, services
from .assign import AssignView
from .choices import Tier
from .forms import VillageForm
from .models import (
    City,
    CollectiveIncome,
    County,
    Project,
    SurveyAssignment,
    SurveyProblem,
    SurveyRound,
    SurveyVisit,
    Target,
    TierChange,
    Township,
    Village,
    VillageHonour,
)


class CityViews(ModelViews):
    """The cities (地级市) that run the portal for their counties: changed by administrators only, read by
    their own users (a county's users read their county, not the city)."""

    model = City
    plural = "cities"
    chain = "organization"
    filterset_class = filters.CityFilterSet
    columns = ("name", "code")
    related = ("counties",)
    in_menu = False


class CountyViews(ModelViews):
    model = County
    plural = "counties"
    chain = "organization"
    filterset_class = filters.CountyFilterSet
    columns = ("name", "code", "city")
    select_related = ("city",)
    related = ("townships",)
    in_menu = False


class TownshipViews(ModelViews):
    model = Township
    plural = "townships"
    chain = "organization"
    filterset_class = filters.TownshipFilterSet
    columns = ("name", "code", "kind")
    related = ("villages",)


class VillageListView(ListView):
    """The villages: a county's (or a city's) 3,600 are not one list of 3,600 rows. Unfiltered, and
    for a user who sees more than one township, the page shows the townships (by county when there
    are several), each with its number of villages by tier, and a township's villages open under it
    on demand (a Bootstrap collapse; htmx fetches the rows, ``?township=<id>`` with ``HX-Request``).
    Without JavaScript a township's name is a link to the same address: the list of its villages.
    A filter, a search or a sort gives the usual list (``?view=list``: all of them, paged)."""

    grouped_template = "villages/village_list.html"
    rows_template = "villages/village_rows.html"
    MAX_ROWS = 500  # a township's villages under its heading; more (none has) are in its list

    def get(self, request):
        if request.headers.get("HX-Request") and request.GET.get("township"):
            response = self.township_rows(request)
        elif not request.GET:
            townships = grouped_townships(request.user)
            response = self.grouped(request, townships) if len(townships) > 1 else super().get(request)
        else:
            response = super().get(request)
        patch_vary_headers(response, ["HX-Request"])
        return response

    def grouped(self, request, townships):
        cfg = self.config
        qs = cfg.queryset(request.user, "view")
        counties = []
        for township in townships:
            if not counties or counties[-1][0] != township.county_id:
                counties.append((township.county_id, township.county, []))
            counties[-1][2].append(township)
        # The list the page stands for (``page.paginator``: every village, as a list page has it), for
        # code that asks (the dashboards' figures link here); the page itself shows no row of it.
        page = Page([], 1, Paginator(qs.order_by("code"), cfg.paginate_by))
        return render(request, self.grouped_template, self.context(
            filterset=cfg.filterset_class(None, queryset=qs, request=request), townships=townships,
            counties=[(county, items) for _, county, items in counties], tiers=Tier.choices, page=page, rows=[],
            total=Total(sum(t.n for t in townships)), breadcrumbs=cfg.breadcrumbs(), grouped=True,
        ))

    def township_rows(self, request):
        cfg = self.config
        qs = cfg.queryset(request.user, "view")
        filterset = cfg.filterset_class({"township": request.GET["township"]}, queryset=qs, request=request)
        if not filterset.is_valid():  # not a township the user may read
            raise Http404
        villages = list(filterset.qs.order_by("code")[: self.MAX_ROWS + 1])
        rows = [(obj, [cell(request.user, obj, c) for c in cfg.columns]) for obj in villages[: self.MAX_ROWS]]
        return render(request, self.rows_template, self.context(
            rows=rows, headers=column_headers(cfg.model, cfg.columns), township=filterset.form.cleaned_data["township"],
            more=len(villages) > self.MAX_ROWS,
        ))


def grouped_townships(user):
    """The townships ``user`` may read, each with ``n`` villages and ``tier_<value>`` of each tier
    (one query), by county and code."""
    tiers = {f"tier_{value}": Count("villages", filter=Q(villages__tier=value)) for value in Tier.values}
    townships = Township.objects.restrict(user, "view").select_related("county").annotate(n=Count("villages"), **tiers)
    out = list(townships.order_by("county__code", "code"))
    for township in out:
        township.tiers = [(label, getattr(township, f"tier_{value}")) for value, label in Tier.choices]
    return out


class VillageViews(ModelViews):
    model = Village
    plural = "villages"
    chain = "organization"
    form_class = VillageForm
    filterset_class = filters.VillageFilterSet
    columns = ("name", "code", "township", "kind", "tier", "households", "population")
    select_related = ("township",)
    related = ("tier_changes", "grids", "honours", "incomes")
    history_related = ("tier_changes",)  # a tier change is recorded as such (the demo's and imports' too)
    detail_template = "villages/village_detail.html"
    api_locked_on_update = ("tier",)  # changed by a tier-change record, as in the form
    view_overrides = {"list": VillageListView}  # by township, not 3,600 rows at once


class TierChangeViews(ModelViews):
    """A village's tier changes go through ``villages.services.change_tier``.

    Adding a tier change records it and moves the village to the new tier in one transaction
    (the tier before is the village's current tier, not typed; a change dated before the
    village's latest change is refused, see ``villages.services``). Editing a recorded change
    corrects only its reason and who decided: the village, date and tiers are shown locked, so an
    edit never changes a village's tier. Deleting a change does not touch the village's tier.
    """

    model = TierChange
    plural = "tier-changes"
    chain = "organization"
    filterset_class = filters.TierChangeFilterSet
    columns = ("village", "date", "from_tier", "to_tier", "decided_by")
    select_related = ("village",)
    _tier_form = None
    api_read_only_fields = ("from_tier",)  # the village's tier before the change, set by change_tier
    api_locked_on_update = ("village", "date", "to_tier")

    @classmethod
    def get_form_class(cls):
        if cls._tier_form is None:
            class TierChangeForm(PortalModelForm):
                locked = ("village", "date", "from_tier", "to_tier")

                class Meta:
                    model = TierChange
                    fields = ["village", "date", "from_tier", "to_tier", "reason", "decided_by"]

                def __init__(self, *args, **kwargs):
                    super().__init__(*args, **kwargs)
                    if self.instance.pk is None:
                        del self.fields["from_tier"]  # the village's current tier, set by change_tier
                    else:
                        for name in self.locked:
                            self.fields[name].disabled = True

            cls._tier_form = TierChangeForm
        return cls._tier_form

    @classmethod
    def save_object(cls, instance, form, user):
        if instance.pk is None:
            return services.change_tier(
                user=user,
                village=instance.village,
                to_tier=instance.to_tier,
                date=instance.date,
                reason=instance.reason,
                decided_by=instance.decided_by,
            )
        return services.edit_tier_change(user=user, change=instance, reason=instance.reason, decided_by=instance.decided_by)


class VillageHonourViews(ModelViews):
    model = VillageHonour
    plural = "village-honours"
    chain = "organization"
    filterset_class = filters.VillageHonourFilterSet
    columns = ("village", "kind", "year", "awarded_by")
    select_related = ("village",)


class CollectiveIncomeViews(ModelViews):
    model = CollectiveIncome
    plural = "collective-incomes"
    chain = "industry"
    filterset_class = filters.CollectiveIncomeFilterSet
    columns = ("village", "year", "amount", "operating")
    select_related = ("village",)


class ProjectViews(ModelViews):
    model = Project
    plural = "projects"
    chain = "industry"
    filterset_class = filters.ProjectFilterSet
    columns = ("name", "kind", "status", "township", "investment", "jobs", "income_added", "start_date")
    select_related = ("township",)
    related = ("loans",)


class SurveyRoundViews(ModelViews):
    model = SurveyRound
    plural = "survey-rounds"
    chain = "survey"
    filterset_class = filters.SurveyRoundFilterSet
    columns = ("theme", "year", "quarter", "start_date", "end_date")


class SurveyAssignmentViews(ModelViews):
    model = SurveyAssignment
    big = True  # 4,800 assignments on the demo county, ten times that in a city: keyset pages
    plural = "survey-assignments"
    chain = "survey"
    filterset_class = filters.SurveyAssignmentFilterSet
    columns = ("village", "round", "leader_name", "leader_title", "advisor")
    select_related = ("village", "round", "advisor")

    @classmethod
    def urls(cls):
        return [path(f"{cls.plural}/assign/", AssignView.as_view(views=cls), name="surveyassignment_assign"), *super().urls()]


class SurveyVisitViews(ModelViews):
    model = SurveyVisit
    big = True  # 4,800 visits on the demo county, ten times that in a city: keyset pages
    plural = "survey-visits"
    chain = "survey"
    filterset_class = filters.SurveyVisitFilterSet
    columns = ("village", "round", "visited_on", "visitors")
    select_related = ("village", "round")
    related = ("problems",)


class SurveyProblemViews(ModelViews):
    model = SurveyProblem
    big = True  # 5,300 problems on the demo county, ten times that in a city: keyset pages
    plural = "survey-problems"
    chain = "survey"
    filterset_class = filters.SurveyProblemFilterSet
    columns = ("village", "category", "responsible_unit", "deadline", "status")
    select_related = ("village",)


class TargetViews(ModelViews):
    """Annual targets: the county sets its own and the townships'; a township's staff set their
    villages' (``save_object``). Their progress is on the targets page of the dashboards."""

    model = Target
    plural = "targets"
    chain = "survey"
    filterset_class = filters.TargetFilterSet
    columns = ("year", "indicator", "township", "village", "value", "note")
    select_related = ("township", "village")

    @classmethod
    def save_object(cls, instance, form, user):
        if instance.village_id and not instance.township_id:  # a village's target belongs to the village's township
            instance.township_id = instance.village.township_id  # (the scope check comes before the model's clean)
        if user.township_id and not instance.village_id:
            raise ValidationError({"village": _(
                "Township staff set their villages' targets; the township's own target is set by the county.")})
        return save_scoped(instance, user=user)
