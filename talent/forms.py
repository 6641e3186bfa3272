"""Forms of the talent chain, and two helpers the finance forms use too.

``LookupField`` — a foreign key typed as a code instead of chosen from a ``<select>``. The county
has thousands of people and 199,900 homestead parcels: a select of them would be unusable (and on
a phone unbearable). Here a person is named by their national ID number and a parcel by its
parcel code; the code is looked up among the records the user may read, and a code that is not
found there is a clear error under the field.

``LookupModelForm`` — a model form whose ``LookupField``s know the user and show the record
currently linked. (ID and mobile numbers are masked in every portal form by
``wenshang.forms.PortalModelForm``.)
"""
from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from wenshang.forms import PortalModelForm
from wenshang.validators import ID_RE, mask_id_number

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


class LookupField(forms.ModelChoiceField):
    """A ``ModelChoiceField`` with a text input: the user types the record's ``key`` (a unique
    field). The queryset is the user's scope (``PortalModelForm`` restricts it).

    The record linked now is shown as ``display(record)`` and accepted back as it is shown, so an
    edit form saved unchanged keeps its link even when the shown key is masked.
    """

    widget = forms.TextInput
    key = None
    max_length = None
    default_error_messages = {"not_found": _("No record with the code %(value)s.")}

    def __init__(self, queryset, **kwargs):
        kwargs["to_field_name"] = self.key  # the model field's formfield() passes "id"
        super().__init__(queryset, **kwargs)
        self.current = None
        self.current_display = None
        self.user = None  # set by LookupModelForm
        attrs = {"autocomplete": "off", "autocapitalize": "characters", "spellcheck": "false"}
        if self.max_length:
            attrs["maxlength"] = str(self.max_length)
        self.widget.attrs.update(attrs)

    # -- what is shown and what is typed ---------------------------------------------------------
    def display(self, obj):
        return getattr(obj, self.key)

    def normalize(self, value):
        return str(value).strip().upper()

    def set_current(self, obj):
        """The record linked now (an edit form): shown in the input, accepted back unchanged."""
        self.current = obj
        self.current_display = self.display(obj)
        if str(obj) != str(self.current_display):  # a masked ID number: say whose it is
            now = _("Now: %(obj)s.") % {"obj": obj}
            self.help_text = f"{self.help_text} {now}" if self.help_text else now

    def check_format(self, value):
        """Raise ``ValidationError`` when ``value`` cannot be a key at all (before any lookup)."""

    def not_found(self, value):
        return ValidationError(self.error_messages["not_found"], code="not_found", params={"value": value})

    def prepare_value(self, value):
        if hasattr(value, "_meta"):
            return self.display(value)
        return super().prepare_value(value)

    def to_python(self, value):
        if value in self.empty_values:
            return None
        value = self.normalize(value)
        if value in self.empty_values:
            return None
        if self.current is not None and value == self.normalize(self.current_display):
            return self.current
        self.check_format(value)
        try:
            return self.queryset.get(**{self.key: value})
        except (self.queryset.model.DoesNotExist, self.queryset.model.MultipleObjectsReturned, ValueError, TypeError):
            raise self.not_found(value) from None

    def has_changed(self, initial, data):
        if self.disabled:
            return False
        initial = "" if initial is None else str(self.prepare_value(initial))
        return self.normalize(initial) != self.normalize(data or "")


class PersonField(LookupField):
    """A person, named by their 18-character national ID number."""

    key = "id_number"
    max_length = 18
    default_error_messages = {
        "not_found": _(
            "No person with the ID number %(value)s among the people you may link. "
            "Check the number, or add the person to the people list first."
        ),
    }

    def __init__(self, queryset, **kwargs):
        kwargs["help_text"] = kwargs.get("help_text") or _("The person's national ID number (18 characters).")
        super().__init__(queryset, **kwargs)
        self.widget.attrs.setdefault("placeholder", "370830…")

    def display(self, obj):
        # The ID number stays masked in the form for everyone: the person is named in the help
        # text, and a new person is chosen by typing their full number.
        return mask_id_number(obj.id_number) if obj.id_number else obj.name

    def check_format(self, value):
        if not ID_RE.match(value):
            raise ValidationError(_("A national ID number has 18 characters: 17 digits and a digit or X."), code="id_format")


class LookupModelForm(PortalModelForm):
    """``PortalModelForm`` whose ``LookupField``s (a person by ID number, a parcel by its code)
    know the user and show the record currently linked. ID and mobile numbers are masked by
    ``PortalModelForm`` itself."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name, field in self.fields.items():
            if isinstance(field, LookupField):
                field.user = self.user
                current = self._current_object(name)
                if current is not None:
                    field.set_current(current)
                    self.initial[name] = field.current_display

    def _current_object(self, name):
        if self.instance.pk is None:
            return None
        field = self.instance._meta.get_field(name)
        if getattr(self.instance, field.attname, None) is None:
            return None
        return getattr(self.instance, name)


def with_related(form, name, *related):
    """Load what the options' labels show in one query (a secretary's label is village + person)."""
    field = form.fields.get(name)
    if field is not None:
        field.queryset = field.queryset.select_related(*related)


class PersonForm(LookupModelForm):
    class Meta:
        model = Person
        fields = "__all__"


class VillageSecretaryForm(LookupModelForm):
    class Meta:
        model = VillageSecretary
        fields = "__all__"
        field_classes = {"person": PersonField}


class SecretaryAssessmentForm(LookupModelForm):
    class Meta:
        model = SecretaryAssessment
        fields = "__all__"

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        with_related(self, "secretary", "village", "person")


class ReserveCadreForm(LookupModelForm):
    class Meta:
        model = ReserveCadre
        fields = "__all__"
        field_classes = {"person": PersonField}


class ReturneeForm(LookupModelForm):
    class Meta:
        model = Returnee
        fields = "__all__"
        field_classes = {"person": PersonField}


class PartnerForm(LookupModelForm):
    class Meta:
        model = Partner
        fields = "__all__"
        field_classes = {"person": PersonField}


class TrainingAttendanceForm(LookupModelForm):
    class Meta:
        model = TrainingAttendance
        fields = "__all__"
        field_classes = {"person": PersonField}


class HonourForm(LookupModelForm):
    class Meta:
        model = Honour
        fields = "__all__"
        field_classes = {"person": PersonField}


class FirstSecretaryForm(LookupModelForm):
    class Meta:
        model = FirstSecretary
        fields = "__all__"
        field_classes = {"person": PersonField}


class FirstSecretaryAttendanceForm(LookupModelForm):
    class Meta:
        model = FirstSecretaryAttendance
        fields = "__all__"

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        with_related(self, "secretary", "person", "village")


class FirstSecretaryEvaluationForm(LookupModelForm):
    class Meta:
        model = FirstSecretaryEvaluation
        fields = "__all__"

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        with_related(self, "secretary", "person", "village")
