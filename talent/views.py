"""The talent-chain pages: people and their roles, trainings, honours and first secretaries.

Lists whose records are named by one field (a person's name, a training's name) lead with that
field, linked to the record. Records named by several fields (a secretary's term is "village
person", an attendance month is "secretary month") lead with their name in its own column
(the ``"__str__"`` column).

A person is linked to a role by their national ID number (``talent.forms.PersonField``), not
picked from a list of thousands. County-level catalogues (recruiting stations, first-secretary
batches, the First Secretary Alliance and its sub-alliances) are read by everyone and kept by
county administrators and the talent department editor.
"""
from wenshang.web.portal import ModelViews

from . import filters, forms
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


class PersonViews(ModelViews):
    model = Person
    big = True  # 7,900 people on the demo county, ten times that in a city: keyset pages
    plural = "people"
    chain = "talent"
    filterset_class = filters.PersonFilterSet
    form_class = forms.PersonForm
    columns = ("name", "id_number", "gender", "birth_date", "township", "village", "education", "is_party_member")
    select_related = ("township", "village")
    related = ("secretary_terms", "reserve_roles", "returns", "partner_roles", "trainings", "honours", "first_secretary_terms")


class VillageSecretaryViews(ModelViews):
    model = VillageSecretary
    plural = "village-secretaries"
    chain = "talent"
    filterset_class = filters.VillageSecretaryFilterSet
    form_class = forms.VillageSecretaryForm
    columns = ("__str__", "village__township", "start_date", "end_date", "is_also_director")
    select_related = ("village__township", "person")
    related = ("assessments",)


class SecretaryAssessmentViews(ModelViews):
    model = SecretaryAssessment
    plural = "secretary-assessments"
    chain = "talent"
    filterset_class = filters.SecretaryAssessmentFilterSet
    form_class = forms.SecretaryAssessmentForm
    columns = ("__str__", "kind", "date", "score", "result")
    select_related = ("secretary__village", "secretary__person")


class ReserveCadreViews(ModelViews):
    model = ReserveCadre
    plural = "reserve-cadres"
    chain = "talent"
    filterset_class = filters.ReserveCadreFilterSet
    form_class = forms.ReserveCadreForm
    columns = ("__str__", "mentor", "since", "status", "appointed_on")
    select_related = ("person", "village")


class RecruitingStationViews(ModelViews):
    model = RecruitingStation
    plural = "recruiting-stations"
    chain = "talent"
    filterset_class = filters.RecruitingStationFilterSet
    columns = ("name", "city", "established_on", "contact")
    related = ("returnees",)


class ReturneeViews(ModelViews):
    model = Returnee
    plural = "returnees"
    chain = "talent"
    filterset_class = filters.ReturneeFilterSet
    form_class = forms.ReturneeForm
    columns = ("__str__", "returned_on", "from_city", "station", "previous_occupation", "role")
    select_related = ("person", "station")


class WorkstationViews(ModelViews):
    model = Workstation
    plural = "workstations"
    chain = "talent"
    filterset_class = filters.WorkstationFilterSet
    columns = ("name", "township", "established_on")
    select_related = ("township",)
    related = ("partners",)


class PartnerViews(ModelViews):
    model = Partner
    plural = "partners"
    chain = "talent"
    filterset_class = filters.PartnerFilterSet
    form_class = forms.PartnerForm
    columns = ("person", "workstation", "organization", "field", "joined_on")
    select_related = ("person", "workstation")
    related = ("projects",)


class PartySchoolViews(ModelViews):
    model = PartySchool
    plural = "party-schools"
    chain = "talent"
    filterset_class = filters.PartySchoolFilterSet
    columns = ("name", "level", "township")
    select_related = ("township",)
    related = ("trainings",)


class TrainingViews(ModelViews):
    model = Training
    plural = "trainings"
    chain = "talent"
    filterset_class = filters.TrainingFilterSet
    columns = ("name", "kind", "organizer", "township", "start_date", "end_date", "hours")
    select_related = ("township",)
    related = ("attendances",)


class TrainingAttendanceViews(ModelViews):
    model = TrainingAttendance
    big = True  # 7,000 attendances on the demo county, ten times that in a city: keyset pages
    plural = "training-attendance"
    chain = "talent"
    filterset_class = filters.TrainingAttendanceFilterSet
    form_class = forms.TrainingAttendanceForm
    columns = ("__str__", "completed", "certificate_no")
    select_related = ("training", "person")


class HonourViews(ModelViews):
    model = Honour
    plural = "honours"
    chain = "talent"
    filterset_class = filters.HonourFilterSet
    form_class = forms.HonourForm
    columns = ("__str__", "year", "awarded_by")
    select_related = ("person",)


class FirstSecretaryBatchViews(ModelViews):
    model = FirstSecretaryBatch
    plural = "first-secretary-batches"
    chain = "talent"
    filterset_class = filters.FirstSecretaryBatchFilterSet
    columns = ("name", "year", "start_date", "end_date")
    related = ("secretaries",)


class FirstSecretaryAllianceViews(ModelViews):
    model = FirstSecretaryAlliance
    plural = "first-secretary-alliances"
    chain = "talent"
    filterset_class = filters.FirstSecretaryAllianceFilterSet
    columns = ("name", "founded_on")
    related = ("sub_alliances",)


class SubAllianceViews(ModelViews):
    model = SubAlliance
    plural = "sub-alliances"
    chain = "talent"
    filterset_class = filters.SubAllianceFilterSet
    columns = ("name", "number", "alliance", "focus")
    select_related = ("alliance",)
    related = ("members",)


class FirstSecretaryViews(ModelViews):
    model = FirstSecretary
    plural = "first-secretaries"
    chain = "talent"
    filterset_class = filters.FirstSecretaryFilterSet
    form_class = forms.FirstSecretaryForm
    columns = ("__str__", "batch", "sending_unit", "sub_alliance", "start_date", "end_date")
    select_related = ("person", "village", "batch", "sub_alliance")
    related = ("attendance", "evaluations", "projects")


class FirstSecretaryAttendanceViews(ModelViews):
    model = FirstSecretaryAttendance
    big = True  # 6,900 months on the demo county, ten times that in a city: keyset pages
    plural = "first-secretary-attendance"
    chain = "talent"
    filterset_class = filters.FirstSecretaryAttendanceFilterSet
    form_class = forms.FirstSecretaryAttendanceForm
    columns = ("__str__", "days_required", "days_present")
    select_related = ("secretary__person", "secretary__village")


class FirstSecretaryEvaluationViews(ModelViews):
    model = FirstSecretaryEvaluation
    plural = "first-secretary-evaluations"
    chain = "talent"
    filterset_class = filters.FirstSecretaryEvaluationFilterSet
    form_class = forms.FirstSecretaryEvaluationForm
    columns = ("__str__", "grade", "score", "remarks")
    select_related = ("secretary__person", "secretary__village")
