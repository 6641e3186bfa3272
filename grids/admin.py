from django.contrib import admin
from django.db.models import Sum

from wenshang.web.admin import ScopedModelAdmin, ScopedTabularInline, masked_id, masked_phone

from .models import CreditRecord, Grid, GridEvent, GridWorker, Household, LectureHall, LectureSession


class GridWorkerInline(ScopedTabularInline):
    model = GridWorker
    fields = ("name", "role", "phone", "lane", "start_date", "end_date")


@admin.register(Grid)
class GridAdmin(ScopedModelAdmin):
    list_display = ("code", "name", "village", "households", "population")
    list_filter = ("village__township",)
    list_select_related = ("village",)
    search_fields = ("code", "name", "village__name")
    autocomplete_fields = ("village",)
    inlines = [GridWorkerInline]


@admin.register(GridWorker)
class GridWorkerAdmin(ScopedModelAdmin):
    list_display = ("name", "role", masked_phone("phone", GridWorker), "lane", "grid", "start_date", "end_date")
    list_filter = ("role", "grid__village__township")
    list_select_related = ("grid",)
    search_fields = ("name", "phone", "lane", "grid__code", "grid__name")
    raw_id_fields = ("grid",)


def recount_credit_points(household_ids):
    """Set each household's ``credit_points`` to the total of its credit records (saved, so logged)."""
    for household in Household.objects.filter(pk__in=[pk for pk in household_ids if pk]):
        total = household.credit_records.aggregate(total=Sum("points"))["total"] or 0
        if household.credit_points != total:
            household.credit_points = total
            household.save(update_fields=["credit_points", "updated_at"])


@admin.register(Household)
class HouseholdAdmin(ScopedModelAdmin):
    list_display = ("head_name", masked_id("head_id_number", Household), "grid", "members", "credit_points")
    list_filter = ("grid__village__township",)
    list_select_related = ("grid",)
    search_fields = ("head_name", "=head_id_number", "grid__code", "grid__name")
    raw_id_fields = ("grid",)
    readonly_fields = ("credit_points",)  # the total of the household's credit records


@admin.register(CreditRecord)
class CreditRecordAdmin(ScopedModelAdmin):
    list_display = ("household", "date", "category", "points", "reason")
    list_filter = ("category", "household__grid__village__township")
    list_select_related = ("household",)
    search_fields = ("household__head_name", "=household__head_id_number", "reason")
    raw_id_fields = ("household",)
    date_hierarchy = "date"

    # Keep the households' totals in step with their records.

    def save_model(self, request, obj, form, change):
        previous = type(obj)._base_manager.filter(pk=obj.pk).values_list("household_id", flat=True).first() if change else None
        super().save_model(request, obj, form, change)
        recount_credit_points({obj.household_id, previous})

    def delete_model(self, request, obj):
        household_id = obj.household_id
        super().delete_model(request, obj)
        recount_credit_points({household_id})

    def delete_queryset(self, request, queryset):
        household_ids = set(queryset.values_list("household_id", flat=True))
        super().delete_queryset(request, queryset)
        recount_credit_points(household_ids)


@admin.register(GridEvent)
class GridEventAdmin(ScopedModelAdmin):
    list_display = ("title", "grid", "category", "status", "reported_at", "reported_by", "assigned_to", "closed_at")
    list_filter = ("status", "category", "grid__village__township")
    list_select_related = ("grid",)
    search_fields = ("title", "description", "reported_by", "assigned_to", "grid__code", "grid__name")
    raw_id_fields = ("grid",)
    date_hierarchy = "reported_at"


class LectureSessionInline(ScopedTabularInline):
    model = LectureSession
    fields = ("date", "topic", "speaker", "attendance")


@admin.register(LectureHall)
class LectureHallAdmin(ScopedModelAdmin):
    list_display = ("name", "village", "address", "opened_on")
    list_filter = ("village__township",)
    list_select_related = ("village",)
    search_fields = ("name", "address", "village__name", "village__code")
    autocomplete_fields = ("village",)
    inlines = [LectureSessionInline]


@admin.register(LectureSession)
class LectureSessionAdmin(ScopedModelAdmin):
    list_display = ("date", "topic", "hall", "speaker", "attendance")
    list_filter = ("hall__village__township",)
    list_select_related = ("hall",)
    search_fields = ("topic", "speaker", "hall__name")
    autocomplete_fields = ("hall",)
    date_hierarchy = "date"
