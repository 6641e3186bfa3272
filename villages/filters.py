
from wenshang.filters import PortalFilterSet, township_filter

from .models import (
    CollectiveIncome,
    County,
    Project,
    SurveyAssignment,
    SurveyProblem,
    SurveyRound,
    SurveyVisit,
    TierChange,
    Township,
    Village,
    VillageHonour,
)


class CountyFilterSet(PortalFilterSet):
    search_fields = ("name", "code__startswith")

    class Meta:
        model = County
        fields = ["q"]


class TownshipFilterSet(PortalFilterSet):
    search_fields = ("name", "code__startswith")

    class Meta:
        model = Township
        fields = ["q", "kind"]


class VillageFilterSet(PortalFilterSet):
    search_fields = ("name", "code__startswith")

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

    class Meta:
        model = CollectiveIncome
        fields = ["q", "township", "year"]


class ProjectFilterSet(PortalFilterSet):
    search_fields = ("name",)

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

    class Meta:
        model = SurveyVisit
        fields = ["q", "round", "township"]


class SurveyProblemFilterSet(PortalFilterSet):
    search_fields = ("village__name", "description", "responsible_unit")
    township = township_filter("village__township")

    class Meta:
        model = SurveyProblem
        fields = ["q", "township", "category", "status"]
