import django_filters
from django.utils.translation import gettext_lazy as _

from wenshang.web.filters import PortalFilterSet, date_range, lookup_filter, township_filter, village_filter

from .choices import TrainingKind
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


class PersonFilterSet(PortalFilterSet):
    search_fields = ("name", "id_number__exact", "phone__exact", "workplace")
    trained = django_filters.ChoiceFilter(
        method="filter_trained", choices=TrainingKind.choices, label=_("completed a training of kind")
    )

    def filter_trained(self, queryset, name, value):
        if not value:
            return queryset
        done = TrainingAttendance.objects.filter(completed=True, training__kind=value).values("person")
        return queryset.filter(pk__in=done)

    class Meta:
        model = Person
        fields = ["q", "township", "gender", "education", "is_party_member"]


class VillageSecretaryFilterSet(PortalFilterSet):
    search_fields = ("person__name", "person__id_number__exact", "village__name", "village__code__startswith")
    township = township_filter("village__township")
    in_office = django_filters.BooleanFilter(field_name="end_date", lookup_expr="isnull", label=_("in office"))

    class Meta:
        model = VillageSecretary
        fields = ["q", "township", "in_office", "is_also_director"]


class SecretaryAssessmentFilterSet(PortalFilterSet):
    search_fields = ("secretary__person__name", "secretary__village__name", "result")
    township = township_filter("secretary__village__township")

    class Meta:
        model = SecretaryAssessment
        fields = ["q", "township", "kind"]


class ReserveCadreFilterSet(PortalFilterSet):
    search_fields = ("person__name", "person__id_number__exact", "village__name", "village__code__startswith", "mentor")
    township = township_filter("village__township")
    village = village_filter()
    since_after, since_before = date_range("since")

    class Meta:
        model = ReserveCadre
        fields = ["q", "township", "status"]


class RecruitingStationFilterSet(PortalFilterSet):
    search_fields = ("name", "city", "contact")

    class Meta:
        model = RecruitingStation
        fields = ["q"]


class ReturneeFilterSet(PortalFilterSet):
    search_fields = ("person__name", "person__id_number__exact", "from_city", "previous_occupation")
    township = township_filter("person__township")
    village = village_filter("person__village")
    returned_after, returned_before = date_range("returned_on")

    class Meta:
        model = Returnee
        fields = ["q", "township", "station", "role"]


class WorkstationFilterSet(PortalFilterSet):
    search_fields = ("name",)

    class Meta:
        model = Workstation
        fields = ["q", "township"]


class PartnerFilterSet(PortalFilterSet):
    search_fields = ("person__name", "person__id_number__exact", "organization", "field")
    township = township_filter("workstation__township")

    class Meta:
        model = Partner
        fields = ["q", "township", "workstation"]


class PartySchoolFilterSet(PortalFilterSet):
    search_fields = ("name",)

    class Meta:
        model = PartySchool
        fields = ["q", "township", "level"]


class TrainingFilterSet(PortalFilterSet):
    search_fields = ("name", "organizer", "location")

    class Meta:
        model = Training
        fields = ["q", "township", "kind", "party_school"]


class TrainingAttendanceFilterSet(PortalFilterSet):
    search_fields = ("person__name", "person__id_number__exact", "training__name", "certificate_no")
    township = township_filter("person__township")
    person = lookup_filter("person", "talent.Person", _("person"))

    class Meta:
        model = TrainingAttendance
        fields = ["q", "township", "training", "person", "completed"]


class HonourFilterSet(PortalFilterSet):
    search_fields = ("person__name", "person__id_number__exact", "awarded_by")
    township = township_filter("person__township")

    class Meta:
        model = Honour
        fields = ["q", "township", "kind", "year"]


class FirstSecretaryBatchFilterSet(PortalFilterSet):
    search_fields = ("name",)

    class Meta:
        model = FirstSecretaryBatch
        fields = ["q", "year"]


class FirstSecretaryAllianceFilterSet(PortalFilterSet):
    search_fields = ("name",)

    class Meta:
        model = FirstSecretaryAlliance
        fields = ["q"]


class SubAllianceFilterSet(PortalFilterSet):
    search_fields = ("name", "focus")

    class Meta:
        model = SubAlliance
        fields = ["q", "alliance"]


class FirstSecretaryFilterSet(PortalFilterSet):
    search_fields = ("person__name", "person__id_number__exact", "village__name", "village__code__startswith", "sending_unit")
    township = township_filter("village__township")
    batch_year = django_filters.NumberFilter(field_name="batch__year", label=_("batch (year)"))

    class Meta:
        model = FirstSecretary
        fields = ["q", "township", "batch", "sub_alliance"]


class FirstSecretaryAttendanceFilterSet(PortalFilterSet):
    search_fields = ("secretary__person__name", "secretary__village__name")
    township = township_filter("secretary__village__township")
    batch = django_filters.ModelChoiceFilter(field_name="secretary__batch", queryset=FirstSecretaryBatch.objects.all(), label=_("batch"))

    class Meta:
        model = FirstSecretaryAttendance
        fields = ["q", "township", "batch"]


class FirstSecretaryEvaluationFilterSet(PortalFilterSet):
    search_fields = ("secretary__person__name", "secretary__village__name", "remarks")
    township = township_filter("secretary__village__township")

    class Meta:
        model = FirstSecretaryEvaluation
        fields = ["q", "township", "year", "grade"]
