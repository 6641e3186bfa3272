from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import path, reverse
from django.utils.translation import gettext as _
from django.views import View

from villages.models import Village
from wenshang.kernel.scope import can
from wenshang.web.portal import ModelViews

from . import filters, forms, selectors, services
from .api import GridEventSteps
from .forms import EventStepForm
from .models import CreditRecord, Grid, GridEvent, GridWorker, Household, LectureHall, LectureSession


class GridViews(ModelViews):
    model = Grid
    plural = "grids"
    chain = "organization"
    filterset_class = filters.GridFilterSet
    columns = ("name", "code", "village", "village__township", "households", "population")
    select_related = ("village__township",)
    related = ("workers", "credit_households", "events")
    detail_template = "grids/grid_detail.html"


class GridWorkerViews(ModelViews):
    model = GridWorker
    big = True  # 4,900 workers on the demo county, ten times that in a city: keyset pages
    plural = "grid-workers"
    chain = "organization"
    filterset_class = filters.GridWorkerFilterSet
    form_class = forms.GridWorkerForm
    columns = ("name", "role", "grid__village", "grid", "lane", "phone", "start_date", "end_date")
    select_related = ("grid__village",)


class HouseholdViews(ModelViews):
    model = Household
    big = True  # 7,400 households on the demo county, ten times that in a city: keyset pages
    plural = "households"
    chain = "organization"
    filterset_class = filters.HouseholdFilterSet
    form_class = forms.HouseholdForm
    columns = ("head_name", "grid__village", "grid", "members", "credit_points", "address")
    select_related = ("grid__village",)
    related = ("credit_records",)
    detail_template = "grids/household_detail.html"


# -- credit points: written through grids.services, so the household totals stay right -----------
class CreditRecordViews(ModelViews):
    model = CreditRecord
    big = True  # 25,900 records on the demo county, ten times that in a city: keyset pages
    plural = "credit-records"
    chain = "organization"
    filterset_class = filters.CreditRecordFilterSet
    form_class = forms.CreditRecordForm
    columns = ("household", "household__grid__village", "date", "category", "points", "reason")
    select_related = ("household__grid__village",)

    @classmethod
    def save_object(cls, instance, form, user):
        if instance.pk:
            return services.change_credit_record(user=user, record=instance)
        return services.add_credit_record(
            user=user, household=instance.household, date=instance.date, category=instance.category,
            points=instance.points, reason=instance.reason,
        )

    @classmethod
    def delete_object(cls, instance, user):
        services.delete_credit_record(user=user, record=instance)

    api_bulk = True
    api_batch_rule = staticmethod(services.credit_records_written)  # the service's totals, for a bulk request


class VillageRankingView(LoginRequiredMixin, View):
    """The credit households of one village, best first, with their rank."""

    def get(self, request, village_id):
        village = get_object_or_404(Village.objects.restrict(request.user, "view").select_related("township"), pk=village_id)
        households = selectors.village_ranking(village=village, user=request.user)
        breadcrumbs = [
            (_("Wenshang County"), reverse("home")),
            (str(village.township), reverse("villages:township_detail", args=[village.township_id])),
            (str(village), reverse("villages:village_detail", args=[village.pk])),
            (Household._meta.verbose_name_plural, HouseholdViews.list_url()),
        ]
        return render(request, "grids/ranking.html", {
            "village": village,
            "households": households,
            "household_config": HouseholdViews,
            "breadcrumbs": breadcrumbs,
        })


# -- grid events: reported → assigned → resolved → closed ---------------------------------------------
class GridEventAdvanceView(LoginRequiredMixin, View):
    """POST one step of an event's progress (the buttons on its page)."""

    def post(self, request, pk):
        event = get_object_or_404(GridEvent.objects.restrict(request.user, "view"), pk=pk)
        if not can(request.user, "change", event):
            raise PermissionDenied
        form = EventStepForm(request.POST)
        url = reverse(GridEventViews.url_name("detail"), args=[event.pk])
        if not form.is_valid():
            messages.error(request, _("The step could not be recorded; please try again."))
            return redirect(url)
        try:
            services.advance_event(user=request.user, event=event, to_status=form.cleaned_data["to_status"],
                                   by=form.cleaned_data["by"], note=form.cleaned_data["note"])
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
            return redirect(url)
        messages.success(request, _("“%(obj)s” is now %(status)s.") % {"obj": event, "status": event.get_status_display()})
        return redirect(url)


class GridEventViews(ModelViews):
    model = GridEvent
    big = True  # 3,000 events on the demo county, more every day, ten times that in a city: keyset pages
    plural = "grid-events"
    chain = "organization"
    filterset_class = filters.GridEventFilterSet
    form_class = forms.GridEventForm
    columns = ("title", "grid__village", "grid", "category", "status", "reported_at", "assigned_to")
    select_related = ("grid__village",)
    detail_template = "grids/gridevent_detail.html"
    api_mixins = (GridEventSteps,)  # POST …/grid-events/<id>/advance/

    @classmethod
    def urls(cls):
        return [
            *super().urls(),
            path(f"{cls.plural}/<int:pk>/advance/", GridEventAdvanceView.as_view(), name="gridevent_advance"),
        ]


class LectureHallViews(ModelViews):
    model = LectureHall
    plural = "lecture-halls"
    chain = "organization"
    filterset_class = filters.LectureHallFilterSet
    columns = ("name", "village", "village__township", "address", "opened_on")
    select_related = ("village__township",)
    related = ("sessions",)


class LectureSessionViews(ModelViews):
    model = LectureSession
    plural = "lecture-sessions"
    chain = "organization"
    filterset_class = filters.LectureSessionFilterSet
    columns = ("topic", "date", "hall", "speaker", "attendance")
    select_related = ("hall",)

