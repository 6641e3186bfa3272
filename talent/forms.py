"""Forms of the talent chain, and two helpers the finance forms use too.

``LookupField`` — a foreign key typed as a code instead of chosen from a ``<select>``. The county
has thousands of people and 199,900 homestead parcels: a select of them would be unusable (and on
a phone unbearable). Here a person is named by their national ID number and a parcel by its
parcel code; the code is looked up among the records the user may read, and a code that is not
found there is a clear error under the field.

``PersonalDataForm`` — ID and mobile numbers appear masked in the edit form for users who may not
see them (as they do on the list and detail pages); posting the masked value back unchanged keeps
the stored number. Users who may see them get them in full, and that view is recorded.

Both belong in ``wenshang.forms`` once the kernel takes them; they live here until then.
"""
from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from wenshang import privacy
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
        self.user = None  # set by PersonalDataForm
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


class PersonalDataForm(PortalModelForm):
    """``PortalModelForm`` that masks ID and mobile numbers for users who may not see them.

    A masked number is shown in the input; if it comes back unchanged the stored number is kept,
    anything else typed is validated as usual. Users who may see personal data get the numbers in
    full, and an unbound edit form of such a record is recorded as a view of personal data.
    """

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._masked = {}
        model = self._meta.model
        personal = privacy.personal_fields(model)  # {attname: mask}; these are CharFields: name == attname
        stored = {}
        if self.instance.pk is not None:
            stored = {name: getattr(self.instance, name) for name in personal if name in self.fields and getattr(self.instance, name)}
        if privacy.may_see(self.user):
            if stored and not self.is_bound:
                privacy.record_access(self.user, model, [self.instance], f"form:{model._meta.model_name}", list(stored))
        else:
            for name, value in stored.items():
                masked = personal[name](value)
                self.initial[name] = masked
                self._masked[name] = (masked, value)
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

    def clean(self):
        cleaned = super().clean()
        for name, (masked, value) in self._masked.items():
            if (cleaned.get(name) or "").strip() == masked:
                cleaned[name] = value
        return cleaned


def with_related(form, name, *related):
    """Load what the options' labels show in one query (a secretary's label is village + person)."""
    field = form.fields.get(name)
    if field is not None:
        field.queryset = field.queryset.select_related(*related)


class PersonForm(PersonalDataForm):
    class Meta:
        model = Person
        fields = "__all__"


class VillageSecretaryForm(PersonalDataForm):
    class Meta:
        model = VillageSecretary
        fields = "__all__"
        field_classes = {"person": PersonField}


class SecretaryAssessmentForm(PersonalDataForm):
    class Meta:
        model = SecretaryAssessment
        fields = "__all__"

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        with_related(self, "secretary", "village", "person")


class ReserveCadreForm(PersonalDataForm):
    class Meta:
        model = ReserveCadre
        fields = "__all__"
        field_classes = {"person": PersonField}


class ReturneeForm(PersonalDataForm):
    class Meta:
        model = Returnee
        fields = "__all__"
        field_classes = {"person": PersonField}


class PartnerForm(PersonalDataForm):
    class Meta:
        model = Partner
        fields = "__all__"
        field_classes = {"person": PersonField}


class TrainingAttendanceForm(PersonalDataForm):
    class Meta:
        model = TrainingAttendance
        fields = "__all__"
        field_classes = {"person": PersonField}


class HonourForm(PersonalDataForm):
    class Meta:
        model = Honour
        fields = "__all__"
        field_classes = {"person": PersonField}


class FirstSecretaryForm(PersonalDataForm):
    class Meta:
        model = FirstSecretary
        fields = "__all__"
        field_classes = {"person": PersonField}


class FirstSecretaryAttendanceForm(PersonalDataForm):
    class Meta:
        model = FirstSecretaryAttendance
        fields = "__all__"

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        with_related(self, "secretary", "person", "village")


class FirstSecretaryEvaluationForm(PersonalDataForm):
    class Meta:
        model = FirstSecretaryEvaluation
        fields = "__all__"

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        with_related(self, "secretary", "person", "village")
