from django.contrib import admin

from wenshang.web.admin import ScopedModelAdmin, ScopedTabularInline, masked_id

from .models import (
    FirstSecretary,
    FirstSecretaryAlliance,
    FirstSecretaryAttendance,
    FirstSecretaryBatch,
    FirstSecretaryEvaluation,
    Honour,
    Partner,
    PartySchool,
    Person,
    RecruitingStation,
    ReserveCadre,
    Returnee,
    SecretaryAssessment,
    SubAlliance,
    Training,
    TrainingAttendance,
    VillageSecretary,
    Workstation,
)


@admin.register(Person)
class PersonAdmin(ScopedModelAdmin):
    list_display = (
        "name",
        masked_id("id_number", Person),
        "gender",
        "birth_date",
        "township",
        "village",
        "education",
        "is_party_member",
        "workplace",
    )
    list_filter = ("township", "gender", "education", "is_party_member")
    list_select_related = ("township", "village")
    search_fields = ("name", "=id_number", "phone", "workplace")
    autocomplete_fields = ("village",)


class SecretaryAssessmentInline(ScopedTabularInline):
    model = SecretaryAssessment
    fields = ("kind", "date", "score", "result")


@admin.register(VillageSecretary)
class VillageSecretaryAdmin(ScopedModelAdmin):
    list_display = ("village", "person", "start_date", "end_date", "is_also_director")
    list_filter = ("is_also_director", "village__township")
    list_select_related = ("village", "person")
    search_fields = ("person__name", "=person__id_number", "village__name", "village__code")
    autocomplete_fields = ("village",)
    raw_id_fields = ("person",)
    inlines = [SecretaryAssessmentInline]


@admin.register(SecretaryAssessment)
class SecretaryAssessmentAdmin(ScopedModelAdmin):
    list_display = ("secretary", "kind", "date", "score", "result")
    list_filter = ("kind", "secretary__village__township")
    list_select_related = ("secretary__village", "secretary__person")
    search_fields = ("secretary__person__name", "secretary__village__name", "result")
    autocomplete_fields = ("secretary",)
    date_hierarchy = "date"


@admin.register(ReserveCadre)
class ReserveCadreAdmin(ScopedModelAdmin):
    list_display = ("person", "village", "mentor", "since", "status", "appointed_on")
    list_filter = ("status", "village__township")
    list_select_related = ("person", "village")
    search_fields = ("person__name", "=person__id_number", "village__name", "village__code", "mentor")
    autocomplete_fields = ("village",)
    raw_id_fields = ("person",)


@admin.register(RecruitingStation)
class RecruitingStationAdmin(ScopedModelAdmin):
    list_display = ("name", "city", "established_on", "contact")
    search_fields = ("name", "city", "contact")


@admin.register(Returnee)
class ReturneeAdmin(ScopedModelAdmin):
    list_display = ("person", "station", "returned_on", "from_city", "previous_occupation", "role")
    list_filter = ("role", "station", "person__township")
    list_select_related = ("person", "station")
    search_fields = ("person__name", "=person__id_number", "from_city", "previous_occupation")
    raw_id_fields = ("person",)
    date_hierarchy = "returned_on"


@admin.register(Workstation)
class WorkstationAdmin(ScopedModelAdmin):
    list_display = ("name", "township", "established_on")
    list_filter = ("township",)
    list_select_related = ("township",)
    search_fields = ("name",)


@admin.register(Partner)
class PartnerAdmin(ScopedModelAdmin):
    list_display = ("person", "workstation", "organization", "field", "joined_on")
    list_filter = ("workstation__township", "workstation")
    list_select_related = ("person", "workstation")
    search_fields = ("person__name", "=person__id_number", "organization", "field")
    autocomplete_fields = ("workstation",)
    raw_id_fields = ("person",)


@admin.register(PartySchool)
class PartySchoolAdmin(ScopedModelAdmin):
    list_display = ("name", "level", "township")
    list_filter = ("level", "township")
    list_select_related = ("township",)
    search_fields = ("name",)


class TrainingAttendanceInline(ScopedTabularInline):
    model = TrainingAttendance
    fields = ("person", "completed", "certificate_no")
    raw_id_fields = ("person",)


@admin.register(Training)
class TrainingAdmin(ScopedModelAdmin):
    list_display = ("name", "kind", "organizer", "party_school", "township", "start_date", "end_date", "hours")
    list_filter = ("kind", "township", "party_school")
    list_select_related = ("party_school", "township")
    search_fields = ("name", "organizer", "location")
    autocomplete_fields = ("party_school",)
    date_hierarchy = "start_date"
    inlines = [TrainingAttendanceInline]


@admin.register(TrainingAttendance)
class TrainingAttendanceAdmin(ScopedModelAdmin):
    list_display = ("training", "person", "completed", "certificate_no")
    list_filter = ("completed", "training__kind", "person__township")
    list_select_related = ("training", "person")
    search_fields = ("person__name", "=person__id_number", "training__name", "certificate_no")
    autocomplete_fields = ("training",)
    raw_id_fields = ("person",)


@admin.register(Honour)
class HonourAdmin(ScopedModelAdmin):
    list_display = ("person", "kind", "year", "awarded_by")
    list_filter = ("kind", "year", "person__township")
    list_select_related = ("person",)
    search_fields = ("person__name", "=person__id_number", "awarded_by")
    raw_id_fields = ("person",)


@admin.register(FirstSecretaryBatch)
class FirstSecretaryBatchAdmin(ScopedModelAdmin):
    list_display = ("name", "year", "start_date", "end_date")
    search_fields = ("name",)


class SubAllianceInline(ScopedTabularInline):
    model = SubAlliance
    fields = ("number", "name", "focus")


@admin.register(FirstSecretaryAlliance)
class FirstSecretaryAllianceAdmin(ScopedModelAdmin):
    list_display = ("name", "founded_on")
    search_fields = ("name",)
    inlines = [SubAllianceInline]


@admin.register(SubAlliance)
class SubAllianceAdmin(ScopedModelAdmin):
    list_display = ("number", "name", "alliance", "focus")
    list_filter = ("alliance",)
    list_select_related = ("alliance",)
    search_fields = ("name", "focus")


class FirstSecretaryAttendanceInline(ScopedTabularInline):
    model = FirstSecretaryAttendance
    fields = ("month", "days_required", "days_present")


class FirstSecretaryEvaluationInline(ScopedTabularInline):
    model = FirstSecretaryEvaluation
    fields = ("year", "grade", "score", "remarks")


@admin.register(FirstSecretary)
class FirstSecretaryAdmin(ScopedModelAdmin):
    list_display = ("person", "village", "batch", "sending_unit", "sub_alliance", "start_date", "end_date")
    list_filter = ("batch", "village__township", "sub_alliance")
    list_select_related = ("person", "village", "batch", "sub_alliance")
    search_fields = ("person__name", "=person__id_number", "village__name", "village__code", "sending_unit")
    autocomplete_fields = ("village", "sub_alliance")
    raw_id_fields = ("person",)
    inlines = [FirstSecretaryAttendanceInline, FirstSecretaryEvaluationInline]


@admin.register(FirstSecretaryAttendance)
class FirstSecretaryAttendanceAdmin(ScopedModelAdmin):
    list_display = ("secretary", "month", "days_required", "days_present")
    list_filter = ("secretary__batch", "secretary__village__township")
    list_select_related = ("secretary__person", "secretary__village")
    search_fields = ("secretary__person__name", "secretary__village__name")
    autocomplete_fields = ("secretary",)
    date_hierarchy = "month"


@admin.register(FirstSecretaryEvaluation)
class FirstSecretaryEvaluationAdmin(ScopedModelAdmin):
    list_display = ("secretary", "year", "grade", "score")
    list_filter = ("year", "grade", "secretary__village__township")
    list_select_related = ("secretary__person", "secretary__village")
    search_fields = ("secretary__person__name", "secretary__village__name", "remarks")
    autocomplete_fields = ("secretary",)
