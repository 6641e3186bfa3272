from django.contrib import admin

from wenshang.web.admin import ScopedModelAdmin, ScopedTabularInline

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


@admin.register(City)
class CityAdmin(ScopedModelAdmin):
    list_display = ("code", "name")
    search_fields = ("code", "name")


@admin.register(County)
class CountyAdmin(ScopedModelAdmin):
    list_display = ("code", "name", "city")
    list_filter = ("city",)
    list_select_related = ("city",)
    search_fields = ("code", "name")


@admin.register(Township)
class TownshipAdmin(ScopedModelAdmin):
    list_display = ("code", "name", "kind", "county")
    list_filter = ("kind", "county")
    list_select_related = ("county",)
    search_fields = ("code", "name")


class TierChangeInline(ScopedTabularInline):
    model = TierChange
    fields = ("date", "from_tier", "to_tier", "reason", "decided_by")


class VillageHonourInline(ScopedTabularInline):
    model = VillageHonour
    fields = ("kind", "year", "awarded_by")


@admin.register(Village)
class VillageAdmin(ScopedModelAdmin):
    list_display = ("code", "name", "township", "kind", "tier", "households", "population", "is_relief_village")
    list_filter = ("township", "kind", "tier", "is_relief_village")
    list_select_related = ("township",)
    search_fields = ("code", "name")
    inlines = [TierChangeInline, VillageHonourInline]


@admin.register(TierChange)
class TierChangeAdmin(ScopedModelAdmin):
    list_display = ("village", "date", "from_tier", "to_tier", "decided_by")
    list_filter = ("to_tier", "from_tier", "village__township")
    list_select_related = ("village",)
    search_fields = ("village__name", "village__code", "reason", "decided_by")
    autocomplete_fields = ("village",)
    date_hierarchy = "date"


@admin.register(VillageHonour)
class VillageHonourAdmin(ScopedModelAdmin):
    list_display = ("village", "kind", "year", "awarded_by")
    list_filter = ("kind", "year", "village__township")
    list_select_related = ("village",)
    search_fields = ("village__name", "village__code", "awarded_by")
    autocomplete_fields = ("village",)


@admin.register(CollectiveIncome)
class CollectiveIncomeAdmin(ScopedModelAdmin):
    list_display = ("village", "year", "amount", "operating")
    list_filter = ("year", "village__township")
    list_select_related = ("village",)
    search_fields = ("village__name", "village__code")
    autocomplete_fields = ("village",)


@admin.register(Project)
class ProjectAdmin(ScopedModelAdmin):
    list_display = ("name", "kind", "status", "township", "investment", "jobs", "income_added", "start_date", "end_date")
    list_filter = ("kind", "status", "township")
    list_select_related = ("township",)
    search_fields = ("name", "description")
    autocomplete_fields = ("villages", "joint_committee", "pairing", "partner", "first_secretary")
    date_hierarchy = "start_date"


@admin.register(SurveyRound)
class SurveyRoundAdmin(ScopedModelAdmin):
    list_display = ("__str__", "year", "quarter", "start_date", "end_date", "theme")
    list_filter = ("year", "quarter")
    search_fields = ("theme",)


@admin.register(SurveyAssignment)
class SurveyAssignmentAdmin(ScopedModelAdmin):
    list_display = ("round", "village", "leader_name", "leader_title", "advisor")
    list_filter = ("round", "village__township")
    list_select_related = ("round", "village", "advisor")
    search_fields = ("leader_name", "leader_title", "village__name", "village__code", "advisor__name")
    autocomplete_fields = ("village", "advisor")


class SurveyProblemInline(ScopedTabularInline):
    model = SurveyProblem
    fields = ("village", "category", "description", "responsible_unit", "deadline", "status", "closed_on")
    autocomplete_fields = ("village",)


@admin.register(SurveyVisit)
class SurveyVisitAdmin(ScopedModelAdmin):
    list_display = (
        "village",
        "round",
        "visited_on",
        "visitors",
        "rating_organization",
        "rating_industry",
        "rating_talent",
        "rating_governance",
        "rating_environment",
    )
    list_filter = ("round", "village__township")
    list_select_related = ("village", "round")
    search_fields = ("village__name", "village__code", "visitors")
    autocomplete_fields = ("village",)
    date_hierarchy = "visited_on"
    inlines = [SurveyProblemInline]


@admin.register(SurveyProblem)
class SurveyProblemAdmin(ScopedModelAdmin):
    list_display = ("__str__", "village", "category", "status", "responsible_unit", "deadline", "closed_on")
    list_filter = ("status", "category", "village__township")
    list_select_related = ("village",)
    search_fields = ("description", "responsible_unit", "village__name", "village__code")
    autocomplete_fields = ("village",)
    raw_id_fields = ("visit",)
    date_hierarchy = "deadline"


@admin.register(Target)
class TargetAdmin(ScopedModelAdmin):
    list_display = ("year", "indicator", "township", "village", "value")
    list_filter = ("year", "indicator", "township")
    list_select_related = ("township", "village")
    search_fields = ("village__name", "village__code", "township__name")
    autocomplete_fields = ("township", "village")
