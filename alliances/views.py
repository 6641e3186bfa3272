from django.core.exceptions import PermissionDenied
from django.utils.translation import gettext as _

from wenshang.web.portal import DetailView, EditView, ModelViews

from . import filters, forms, services
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


class AllianceViews(ModelViews):
    model = Alliance
    plural = "alliances"
    chain = "organization"
    filterset_class = filters.AllianceFilterSet
    # member units are added through memberships (role, dates), not as a bare choice list
    form_fields = ["name", "scope", "county", "township", "industry", "founded_on", "description"]
    columns = ("name", "scope", "township", "industry", "founded_on")
    select_related = ("township",)
    related = ("memberships", "activities", "fund_entries", "evaluations", "responsibilities")
    detail_template = "alliances/alliance_detail.html"


class MemberUnitViews(ModelViews):
    model = MemberUnit
    plural = "member-units"
    chain = "organization"
    filterset_class = filters.MemberUnitFilterSet
    columns = ("name", "kind", "township", "village", "secretary_name", "party_members")
    select_related = ("township", "village")
    related = ("memberships", "hosted_activities", "responsibilities")


class AllianceMembershipViews(ModelViews):
    model = AllianceMembership
    plural = "alliance-memberships"
    chain = "organization"
    filterset_class = filters.AllianceMembershipFilterSet
    columns = ("unit", "alliance", "role", "joined_on", "left_on")
    select_related = ("unit", "alliance")


class AllianceActivityViews(ModelViews):
    model = AllianceActivity
    plural = "alliance-activities"
    chain = "organization"
    filterset_class = filters.AllianceActivityFilterSet
    columns = ("title", "alliance", "kind", "date", "host_unit", "participants")
    select_related = ("alliance", "host_unit")


class ResponsibilityItemViews(ModelViews):
    model = ResponsibilityItem
    plural = "responsibility-items"
    chain = "organization"
    filterset_class = filters.ResponsibilityItemFilterSet
    columns = ("task", "alliance", "unit", "due_date", "status", "completed_on")
    select_related = ("alliance", "unit")


# -- the alliance fund: a ledger, written through alliances.services ----------------------------
class FundEntryEditView(EditView):
    """New entries only: a recorded entry is corrected by a correcting entry, never edited."""

    def get_object(self, pk):
        obj = super().get_object(pk)  # 404 outside the user's scope, 403 without the right
        if pk is not None:
            raise PermissionDenied(_("Fund entries cannot be changed; record a correcting entry instead."))
        return obj


class FundEntryDetailView(DetailView):
    def context(self, **extra):
        context = super().context(**extra)
        context["can_change"] = False  # no edit button: entries are not edited
        return context


class FundEntryViews(ModelViews):
    model = FundEntry
    plural = "fund-entries"
    chain = "organization"
    filterset_class = filters.FundEntryFilterSet
    form_class = forms.FundEntryForm
    columns = ("date", "alliance", "kind", "amount", "balance_after", "unit", "purpose")
    select_related = ("alliance", "unit")
    detail_template = "alliances/fundentry_detail.html"

    @classmethod
    def save_object(cls, instance, form, user):
        if instance.pk:
            raise PermissionDenied
        return services.record_fund_entry(
            user=user, alliance=instance.alliance, kind=instance.kind, amount=instance.amount,
            date=instance.date, purpose=instance.purpose, unit=instance.unit,
        )

    @classmethod
    def delete_object(cls, instance, user):
        services.delete_fund_entry(user=user, entry=instance)

    api_updatable = False

    view_overrides = {"edit": FundEntryEditView, "detail": FundEntryDetailView}


class AllianceEvaluationViews(ModelViews):
    model = AllianceEvaluation
    plural = "alliance-evaluations"
    chain = "organization"
    filterset_class = filters.AllianceEvaluationFilterSet
    columns = ("alliance", "year", "score", "grade")
    select_related = ("alliance",)


# -- joint committees and advisors ----------------------------------------------------------------
class JointCommitteeViews(ModelViews):
    model = JointCommittee
    plural = "joint-committees"
    chain = "organization"
    filterset_class = filters.JointCommitteeFilterSet
    # the zone's villages are added as joint committee villages (department, date)
    form_fields = ["name", "township", "county_leader", "established_on"]
    columns = ("name", "township", "county_leader", "established_on")
    select_related = ("township",)
    related = ("zone_villages", "advisors")


class JointCommitteeVillageViews(ModelViews):
    model = JointCommitteeVillage
    plural = "joint-committee-villages"
    chain = "organization"
    filterset_class = filters.JointCommitteeVillageFilterSet
    columns = ("village", "committee", "department", "joined_on")
    select_related = ("village", "committee")


class AdvisorViews(ModelViews):
    model = Advisor
    plural = "advisors"
    chain = "organization"
    filterset_class = filters.AdvisorFilterSet
    columns = ("name", "department", "specialty", "joint_committee", "phone", "start_date", "end_date")
    select_related = ("joint_committee",)
    related = ("survey_assignments",)


# -- village-enterprise pairings ---------------------------------------------------------------------
class EnterpriseViews(ModelViews):
    model = Enterprise
    plural = "enterprises"
    chain = "industry"
    filterset_class = filters.EnterpriseFilterSet
    columns = ("name", "credit_code", "township", "industry", "legal_representative", "established_on")
    select_related = ("township",)
    related = ("pairings", "member_units")


class PairingViews(ModelViews):
    model = Pairing
    plural = "pairings"
    chain = "industry"
    filterset_class = filters.PairingFilterSet
    columns = ("village", "enterprise", "mode", "path", "status", "start_date", "end_date")
    select_related = ("village", "enterprise")
    related = ("outcomes", "projects")


class PairingOutcomeViews(ModelViews):
    model = PairingOutcome
    plural = "pairing-outcomes"
    chain = "industry"
    filterset_class = filters.PairingOutcomeFilterSet
    form_class = forms.PairingOutcomeForm
    columns = ("pairing", "year", "income_added", "jobs_added", "note")
    select_related = ("pairing__village", "pairing__enterprise")


class TaskForceUnitViews(ModelViews):
    model = TaskForceUnit
    plural = "task-force-units"
    chain = "industry"
    filterset_class = filters.TaskForceUnitFilterSet
    columns = ("name", "is_lead", "responsibility")
