import django_filters
from django.db.models import Min
from django.utils.translation import gettext_lazy as _

from wenshang.web.filters import PortalFilterSet, date_range, lookup_filter, township_filter, village_filter

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


class EnterpriseFilterSet(PortalFilterSet):
    search_fields = ("name", "credit_code__istartswith", "industry", "legal_representative")
    paired = django_filters.BooleanFilter(method="filter_paired", label=_("in a village-enterprise pairing"))

    def filter_paired(self, queryset, name, value):
        if value is None:
            return queryset
        paired = Pairing.objects.values("enterprise")
        return queryset.filter(pk__in=paired) if value else queryset.exclude(pk__in=paired)

    class Meta:
        model = Enterprise
        fields = ["q", "township"]


class MemberUnitFilterSet(PortalFilterSet):
    search_fields = ("name", "secretary_name", "village__name", "enterprise__name")
    in_alliance = django_filters.BooleanFilter(method="filter_in_alliance", label=_("member of an alliance"))

    def filter_in_alliance(self, queryset, name, value):
        if value is None:
            return queryset
        members = AllianceMembership.objects.values("unit")
        return queryset.filter(pk__in=members) if value else queryset.exclude(pk__in=members)

    class Meta:
        model = MemberUnit
        fields = ["q", "township", "kind"]


class AllianceFilterSet(PortalFilterSet):
    search_fields = ("name", "industry")

    class Meta:
        model = Alliance
        fields = ["q", "township", "scope"]


class AllianceMembershipFilterSet(PortalFilterSet):
    search_fields = ("alliance__name", "unit__name")
    township = township_filter("alliance__township")

    class Meta:
        model = AllianceMembership
        fields = ["q", "township", "alliance", "role"]


class AllianceActivityFilterSet(PortalFilterSet):
    search_fields = ("title", "alliance__name", "summary")
    township = township_filter("alliance__township")
    date_after, date_before = date_range()

    class Meta:
        model = AllianceActivity
        fields = ["q", "township", "alliance", "kind", "date_after", "date_before"]


class ResponsibilityItemFilterSet(PortalFilterSet):
    search_fields = ("task", "alliance__name", "unit__name")
    township = township_filter("alliance__township")

    class Meta:
        model = ResponsibilityItem
        fields = ["q", "township", "alliance", "status"]


class FundEntryFilterSet(PortalFilterSet):
    search_fields = ("purpose", "alliance__name", "unit__name")
    township = township_filter("alliance__township")
    date_after, date_before = date_range()

    class Meta:
        model = FundEntry
        fields = ["q", "township", "alliance", "kind", "date_after", "date_before"]


class AllianceEvaluationFilterSet(PortalFilterSet):
    search_fields = ("alliance__name", "remarks")
    township = township_filter("alliance__township")

    class Meta:
        model = AllianceEvaluation
        fields = ["q", "township", "year", "grade"]


class JointCommitteeFilterSet(PortalFilterSet):
    search_fields = ("name", "county_leader")

    class Meta:
        model = JointCommittee
        fields = ["q", "township"]


class JointCommitteeVillageFilterSet(PortalFilterSet):
    search_fields = ("village__name", "committee__name", "department")
    township = township_filter("village__township")

    class Meta:
        model = JointCommitteeVillage
        fields = ["q", "township", "committee"]


class AdvisorFilterSet(PortalFilterSet):
    search_fields = ("name", "department", "specialty")
    township = township_filter("joint_committee__township")

    class Meta:
        model = Advisor
        fields = ["q", "township", "joint_committee"]


class PairingFilterSet(PortalFilterSet):
    search_fields = ("village__name", "enterprise__name")
    township = township_filter("village__township")
    village = village_filter()
    enterprise = lookup_filter("enterprise", "alliances.Enterprise", _("enterprise"))
    # Declared last, so it sees the rows the other filters kept: the first pairing of each
    # enterprise among them (the list behind "91 enterprises in pairings").
    one_per_enterprise = django_filters.BooleanFilter(method="filter_one_per_enterprise", label=_("one row per enterprise"))

    def filter_one_per_enterprise(self, queryset, name, value):
        if not value:
            return queryset
        return queryset.filter(pk__in=queryset.order_by().values("enterprise").annotate(first=Min("pk")).values("first"))

    class Meta:
        model = Pairing
        fields = ["q", "township", "village", "enterprise", "mode", "path", "status"]


class PairingOutcomeFilterSet(PortalFilterSet):
    search_fields = ("pairing__village__name", "pairing__enterprise__name", "note")
    township = township_filter("pairing__village__township")
    village = village_filter("pairing__village")

    class Meta:
        model = PairingOutcome
        fields = ["q", "township", "year"]


class TaskForceUnitFilterSet(PortalFilterSet):
    search_fields = ("name", "responsibility")

    class Meta:
        model = TaskForceUnit
        fields = ["q", "is_lead"]
