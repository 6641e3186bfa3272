from django.core.exceptions import ValidationError
from django.urls import path
from django.utils.translation import gettext as _

from wenshang.kernel.services import save_scoped
from wenshang.web.forms import PortalModelForm
from wenshang.web.portal import ModelViews

from . import filters, services
from .assign import AssignView
from .forms import VillageForm
from .models import (
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


class CountyViews(ModelViews):
    model = County
    plural = "counties"
    chain = "organization"
    filterset_class = filters.CountyFilterSet
    columns = ("name", "code")
    related = ("townships",)
    in_menu = False


class TownshipViews(ModelViews):
    model = Township
    plural = "townships"
    chain = "organization"
    filterset_class = filters.TownshipFilterSet
    columns = ("name", "code", "kind")
    related = ("villages",)


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
    plural = "survey-visits"
    chain = "survey"
    filterset_class = filters.SurveyVisitFilterSet
    columns = ("village", "round", "visited_on", "visitors")
    select_related = ("village", "round")
    related = ("problems",)


class SurveyProblemViews(ModelViews):
    model = SurveyProblem
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
