from decimal import Decimal

from django.contrib import admin
from django.db.models import DecimalField, OuterRef, Subquery, Sum, Value
from django.db.models.functions import Coalesce
from django.utils.translation import gettext_lazy as _

from wenshang.web.admin import ReadOnlyTabularInline, ScopedModelAdmin, ScopedTabularInline, masked_phone

from .choices import FundEntryKind
from .models import (
    Advisor,
    Alliance,
    AllianceActivity,
    AllianceEvaluation,
    AllianceMembership,
    Enterprise,
    FundEntry,
    JointCommittee,
    JointCommitteeVillage,
    MemberUnit,
    Pairing,
    PairingOutcome,
    ResponsibilityItem,
    TaskForceUnit,
)


@admin.register(Enterprise)
class EnterpriseAdmin(ScopedModelAdmin):
    list_display = ("name", "credit_code", "township", "industry", "legal_representative", "established_on")
    list_filter = ("township",)
    list_select_related = ("township",)
    search_fields = ("name", "credit_code", "legal_representative", "industry")


@admin.register(MemberUnit)
class MemberUnitAdmin(ScopedModelAdmin):
    list_display = ("name", "kind", "township", "village", "enterprise", "secretary_name", "party_members")
    list_filter = ("kind", "township")
    list_select_related = ("township", "village", "enterprise")
    search_fields = ("name", "secretary_name", "village__name", "enterprise__name")
    autocomplete_fields = ("village", "enterprise")


class AllianceMembershipInline(ScopedTabularInline):
    model = AllianceMembership
    fields = ("unit", "role", "joined_on", "left_on")
    autocomplete_fields = ("unit",)


class FundEntryInline(ReadOnlyTabularInline):
    """The fund's ledger, for reference: entries are recorded in the ledger's own admin."""

    model = FundEntry
    fields = ("date", "kind", "amount", "unit", "purpose", "balance_after")

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("unit")


class AllianceEvaluationInline(ScopedTabularInline):
    model = AllianceEvaluation
    fields = ("year", "score", "grade", "remarks")


def _ledger_total(kind):
    totals = (
        FundEntry.objects.filter(alliance=OuterRef("pk"), kind=kind)
        .order_by()
        .values("alliance")
        .annotate(total=Sum("amount"))
        .values("total")
    )
    money = DecimalField(max_digits=18, decimal_places=2)
    return Coalesce(Subquery(totals, output_field=money), Value(Decimal("0")), output_field=money)


@admin.register(Alliance)
class AllianceAdmin(ScopedModelAdmin):
    list_display = ("name", "scope", "township", "industry", "founded_on", "ledger_balance")
    list_filter = ("scope", "township")
    list_select_related = ("township",)
    search_fields = ("name", "industry")
    inlines = [AllianceMembershipInline, FundEntryInline, AllianceEvaluationInline]

    def get_queryset(self, request):
        # The fund balance in the same query as the rows (no query per alliance).
        return (
            super()
            .get_queryset(request)
            .annotate(
                ledger_balance_value=_ledger_total(FundEntryKind.CONTRIBUTION) - _ledger_total(FundEntryKind.DISBURSEMENT)
            )
        )

    @admin.display(description=_("fund balance (yuan)"), ordering="ledger_balance_value")
    def ledger_balance(self, obj):
        value = getattr(obj, "ledger_balance_value", None)
        return obj.fund_balance() if value is None else value


@admin.register(AllianceMembership)
class AllianceMembershipAdmin(ScopedModelAdmin):
    list_display = ("alliance", "unit", "role", "joined_on", "left_on")
    list_filter = ("role", "alliance")
    list_select_related = ("alliance", "unit")
    search_fields = ("alliance__name", "unit__name")
    autocomplete_fields = ("alliance", "unit")


@admin.register(AllianceActivity)
class AllianceActivityAdmin(ScopedModelAdmin):
    list_display = ("title", "alliance", "kind", "date", "host_unit", "participants")
    list_filter = ("kind", "alliance")
    list_select_related = ("alliance", "host_unit")
    search_fields = ("title", "summary", "alliance__name")
    autocomplete_fields = ("alliance", "host_unit")
    date_hierarchy = "date"


@admin.register(ResponsibilityItem)
class ResponsibilityItemAdmin(ScopedModelAdmin):
    list_display = ("task", "alliance", "unit", "due_date", "status", "completed_on")
    list_filter = ("status", "alliance")
    list_select_related = ("alliance", "unit")
    search_fields = ("task", "alliance__name", "unit__name")
    autocomplete_fields = ("alliance", "unit")
    date_hierarchy = "due_date"


@admin.register(FundEntry)
class FundEntryAdmin(ScopedModelAdmin):
    list_display = ("alliance", "date", "kind", "amount", "unit", "purpose", "balance_after")
    list_filter = ("kind", "alliance")
    list_select_related = ("alliance", "unit")
    search_fields = ("purpose", "alliance__name", "unit__name")
    autocomplete_fields = ("alliance", "unit")
    readonly_fields = ("balance_after",)
    date_hierarchy = "date"


@admin.register(AllianceEvaluation)
class AllianceEvaluationAdmin(ScopedModelAdmin):
    list_display = ("alliance", "year", "score", "grade")
    list_filter = ("year", "grade")
    list_select_related = ("alliance",)
    search_fields = ("alliance__name", "remarks")
    autocomplete_fields = ("alliance",)


class JointCommitteeVillageInline(ScopedTabularInline):
    model = JointCommitteeVillage
    fields = ("village", "department", "joined_on")
    autocomplete_fields = ("village",)


class AdvisorInline(ScopedTabularInline):
    model = Advisor
    fields = ("name", "department", "specialty", "phone", "start_date", "end_date")


@admin.register(JointCommittee)
class JointCommitteeAdmin(ScopedModelAdmin):
    list_display = ("name", "township", "county_leader", "established_on")
    list_filter = ("township",)
    list_select_related = ("township",)
    search_fields = ("name", "county_leader")
    inlines = [JointCommitteeVillageInline, AdvisorInline]


@admin.register(JointCommitteeVillage)
class JointCommitteeVillageAdmin(ScopedModelAdmin):
    list_display = ("village", "committee", "department", "joined_on")
    list_filter = ("committee", "village__township")
    list_select_related = ("village", "committee")
    search_fields = ("village__name", "village__code", "committee__name", "department")
    autocomplete_fields = ("committee", "village")


@admin.register(Advisor)
class AdvisorAdmin(ScopedModelAdmin):
    list_display = ("name", "department", "specialty", masked_phone("phone", Advisor), "joint_committee", "start_date", "end_date")
    list_filter = ("joint_committee",)
    list_select_related = ("joint_committee",)
    search_fields = ("name", "department", "specialty", "phone")
    autocomplete_fields = ("joint_committee",)


class PairingOutcomeInline(ScopedTabularInline):
    model = PairingOutcome
    fields = ("year", "income_added", "jobs_added", "note")


@admin.register(Pairing)
class PairingAdmin(ScopedModelAdmin):
    list_display = ("village", "enterprise", "mode", "path", "status", "start_date", "end_date")
    list_filter = ("mode", "path", "status", "village__township")
    list_select_related = ("village", "enterprise")
    search_fields = ("village__name", "village__code", "enterprise__name", "enterprise__credit_code")
    autocomplete_fields = ("village", "enterprise")
    inlines = [PairingOutcomeInline]


@admin.register(PairingOutcome)
class PairingOutcomeAdmin(ScopedModelAdmin):
    list_display = ("pairing", "year", "income_added", "jobs_added", "note")
    list_filter = ("year", "pairing__village__township")
    list_select_related = ("pairing__village", "pairing__enterprise")
    search_fields = ("pairing__village__name", "pairing__enterprise__name", "note")
    autocomplete_fields = ("pairing",)


@admin.register(TaskForceUnit)
class TaskForceUnitAdmin(ScopedModelAdmin):
    list_display = ("name", "responsibility", "is_lead")
    list_filter = ("is_lead",)
    search_fields = ("name", "responsibility")
