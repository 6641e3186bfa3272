"""Forms of the talent chain.

A person is chosen by search-as-you-type (``wenshang.web.forms.LookupField``: the county has
thousands of people): by name, pinyin initials, or their full national ID number, among the
people the user may read. The ID number is masked in the suggestions and in the form for everyone.
"""
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from wenshang.kernel.validators import ID_RE
from wenshang.web.forms import LookupField, PortalModelForm

from .models import (
    FirstSecretary,
    FirstSecretaryAttendance,
    FirstSecretaryEvaluation,
    Honour,
    Partner,
    Person,
    ReserveCadre,
    Returnee,
    SecretaryAssessment,
    TrainingAttendance,
    VillageSecretary,
)


class PersonField(LookupField):
    """A person: chosen from the suggestions, or typed as their 18-character national ID number."""

    key = "id_number"
    default_error_messages = {
        "not_found": _(
            "No person with the ID number %(value)s among the people you may link. "
            "Check the number, or add the person to the people list first."
        ),
    }

    def __init__(self, queryset, **kwargs):
        kwargs["help_text"] = kwargs.get("help_text") or _("Type the person's name or national ID number and choose them.")
        super().__init__(queryset, **kwargs)

    def check_format(self, value):
        if not ID_RE.match(value):
            raise ValidationError(_("A national ID number has 18 characters: 17 digits and a digit or X."), code="id_format")


def with_related(form, name, *related):
    """Load what the options' labels show in one query (a secretary's label is village + person)."""
    field = form.fields.get(name)
    if field is not None:
        field.queryset = field.queryset.select_related(*related)


class PersonForm(PortalModelForm):
    class Meta:
        model = Person
        fields = "__all__"


class VillageSecretaryForm(PortalModelForm):
    class Meta:
        model = VillageSecretary
        fields = "__all__"
        field_classes = {"person": PersonField}


class SecretaryAssessmentForm(PortalModelForm):
    class Meta:
        model = SecretaryAssessment
        fields = "__all__"

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        with_related(self, "secretary", "village", "person")


class ReserveCadreForm(PortalModelForm):
    class Meta:
        model = ReserveCadre
        fields = "__all__"
        field_classes = {"person": PersonField}


class ReturneeForm(PortalModelForm):
    class Meta:
        model = Returnee
        fields = "__all__"
        field_classes = {"person": PersonField}


class PartnerForm(PortalModelForm):
    class Meta:
        model = Partner
        fields = "__all__"
        field_classes = {"person": PersonField}


class TrainingAttendanceForm(PortalModelForm):
    class Meta:
        model = TrainingAttendance
        fields = "__all__"
        field_classes = {"person": PersonField}


class HonourForm(PortalModelForm):
    class Meta:
        model = Honour
        fields = "__all__"
        field_classes = {"person": PersonField}


class FirstSecretaryForm(PortalModelForm):
    class Meta:
        model = FirstSecretary
        fields = "__all__"
        field_classes = {"person": PersonField}


class FirstSecretaryAttendanceForm(PortalModelForm):
    class Meta:
        model = FirstSecretaryAttendance
        fields = "__all__"

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        with_related(self, "secretary", "person", "village")


class FirstSecretaryEvaluationForm(PortalModelForm):
    class Meta:
        model = FirstSecretaryEvaluation
        fields = "__all__"

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        with_related(self, "secretary", "person", "village")
