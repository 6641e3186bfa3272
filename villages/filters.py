import django_filters
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from alliances.models import Pairing
from wenshang.kernel.periods import reference_date
from wenshang.web.filters import PortalFilterSet, WholeNumberFilter, township_filter, village_filter

from .choices import ProblemStatus, ProjectStatus
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


class CityFilterSet(PortalFilterSet):
    search_fields = ("name", "code__startswith")

    class Meta:
        model = City
        fields = ["q"]


class CountyFilterSet(PortalFilterSet):
    search_fields = ("name", "code__startswith")

    class Meta:
        model = County
        fields = ["q", "city"]


class TownshipFilterSet(PortalFilterSet):
    search_fields = ("name", "code__startswith")

    class Meta:
        model = Township
        fields = ["q", "kind"]


class VillageFilterSet(PortalFilterSet):
    search_fields = ("name", "code__startswith")
    # The dashboards' drill-downs: villages in a village-enterprise pairing, villages visited in a survey round.
    paired = django_filters.BooleanFilter(method="filter_paired", label=_("in a village-enterprise pairing"))
    visited_round = django_filters.ModelChoiceFilter(
        field_name="survey_visits__round",  # what the method filters on (and how the API schema types it)
        method="filter_visited_round", queryset=SurveyRound.objects.all(), label=_("visited in survey round")
    )

    not_visited_round = django_filters.ModelChoiceFilter(
        field_name="survey_visits__round", method="filter_not_visited_round", queryset=SurveyRound.objects.all(),
        label=_("not visited in survey round"),
    )

    # What a township's quarter checklist finds missing (wenshang.closing.checklist)
    no_income_year = WholeNumberFilter(method="filter_no_income_year", label=_("without collective income of year"))
    no_grid = django_filters.BooleanFilter(field_name="grids", method="filter_no_grid", label=_("not divided into grids"))
    no_secretary_on = django_filters.DateFilter(field_name="secretaries__start_date", method="filter_no_secretary_on",
                                                label=_("without a serving party secretary on"))

    def filter_no_income_year(self, queryset, name, value):
        return queryset.exclude(incomes__year=value) if value else queryset

    def filter_no_grid(self, queryset, name, value):
        return queryset.filter(grids__isnull=True) if value else queryset

    def filter_no_secretary_on(self, queryset, name, value):
        if not value:
            return queryset
        serving = Q(secretaries__start_date__lte=value) & (Q(secretaries__end_date__isnull=True) | Q(secretaries__end_date__gte=value))
        return queryset.exclude(pk__in=queryset.model._base_manager.filter(serving).values("pk"))

    def filter_paired(self, queryset, name, value):
        if value is None:
            return queryset
        paired = Pairing.objects.values("village")
        return queryset.filter(pk__in=paired) if value else queryset.exclude(pk__in=paired)

    def filter_visited_round(self, queryset, name, value):
        return queryset.filter(pk__in=SurveyVisit.objects.filter(round=value).values("village")) if value else queryset

    def filter_not_visited_round(self, queryset, name, value):
        return queryset.exclude(pk__in=SurveyVisit.objects.filter(round=value).values("village")) if value else queryset

    class Meta:
        model = Village
        fields = ["q", "township", "kind", "tier", "is_relief_village"]


class TierChangeFilterSet(PortalFilterSet):
    search_fields = ("village__name", "reason")
    township = township_filter("village__township")

    class Meta:
        model = TierChange
        fields = ["q", "township", "to_tier"]


class VillageHonourFilterSet(PortalFilterSet):
    search_fields = ("village__name",)
    township = township_filter("village__township")

    class Meta:
        model = VillageHonour
        fields = ["q", "township", "kind", "year"]


class CollectiveIncomeFilterSet(PortalFilterSet):
    search_fields = ("village__name", "village__code__startswith")
    township = township_filter("village__township")
    village = village_filter()

    class Meta:
        model = CollectiveIncome
        fields = ["q", "township", "year"]


class ProjectFilterSet(PortalFilterSet):
    search_fields = ("name",)
    status_in = django_filters.MultipleChoiceFilter(field_name="status", choices=ProjectStatus.choices, label=_("statuses"))
    first_secretary_batch_year = django_filters.NumberFilter(
        field_name="first_secretary__batch__year", label=_("first-secretary batch (year)")
    )

    class Meta:
        model = Project
        fields = ["q", "township", "kind", "status"]


class SurveyRoundFilterSet(PortalFilterSet):
    search_fields = ("theme",)

    class Meta:
        model = SurveyRound
        fields = ["q", "year", "quarter"]


class SurveyAssignmentFilterSet(PortalFilterSet):
    search_fields = ("village__name", "leader_name")
    township = township_filter("village__township")

    class Meta:
        model = SurveyAssignment
        fields = ["q", "round", "township"]


class SurveyVisitFilterSet(PortalFilterSet):
    search_fields = ("village__name", "visitors")
    township = township_filter("village__township")
    village = village_filter()
    year = django_filters.NumberFilter(field_name="round__year", label=_("year of the round"))

    class Meta:
        model = SurveyVisit
        fields = ["q", "round", "township"]


class SurveyProblemFilterSet(PortalFilterSet):
    search_fields = ("village__name", "description", "responsible_unit")
    township = township_filter("village__township")
    # Overdue as on the coverage board: not closed, and the deadline before the reference date
    # (today, or the date the data run to if that is earlier).
    overdue = django_filters.BooleanFilter(method="filter_overdue", label=_("overdue"))
    due_by = django_filters.DateFilter(field_name="deadline", lookup_expr="lte", label=_("due by"))
    closed = django_filters.BooleanFilter(method="filter_closed", label=_("closed"))

    def filter_closed(self, queryset, name, value):
        if value is None:
            return queryset
        return queryset.filter(status=ProblemStatus.CLOSED) if value else queryset.exclude(status=ProblemStatus.CLOSED)

    def filter_overdue(self, queryset, name, value):
        if value is None:
            return queryset
        late = Q(deadline__lt=reference_date()) & ~Q(status=ProblemStatus.CLOSED)
        return queryset.filter(late) if value else queryset.exclude(late)

    class Meta:
        model = SurveyProblem
        fields = ["q", "township", "category", "status"]


class TargetFilterSet(PortalFilterSet):
    search_fields = ("village__name", "village__code__startswith", "township__name", "note")
    level = django_filters.ChoiceFilter(
        method="filter_level", label=_("level"),
        choices=[("county", _("the county")), ("township", _("townships")), ("village", _("villages"))],
    )
    village = village_filter()

    def filter_level(self, queryset, name, value):
        return queryset.filter(**{
            "county": {"township__isnull": True, "village__isnull": True},
            "township": {"township__isnull": False, "village__isnull": True},
            "village": {"village__isnull": False},
        }[value])

    class Meta:
        model = Target
        fields = ["q", "year", "indicator", "level", "township", "village"]
