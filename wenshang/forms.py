"""The base form of every create/edit page: Bootstrap widgets, choices limited to the user's scope,
and protection against the same form being posted twice."""
import uuid

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from . import privacy

DATE_INPUT = forms.DateInput(format="%Y-%m-%d", attrs={"type": "date"})
DATETIME_INPUT = forms.DateTimeInput(format="%Y-%m-%dT%H:%M", attrs={"type": "datetime-local"})


class PortalModelForm(forms.ModelForm):
    """Model forms of the portal. Validation is the model's (``full_clean``), so forms, imports and
    the API give the same message for the same mistake.

    Foreign keys offer only records the user may read; a record's current links stay selectable
    so that saving it unchanged never drops or refuses them.
    """

    form_token = forms.CharField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args, user=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user
        for name, field in self.fields.items():
            if isinstance(field, (forms.ModelChoiceField, forms.ModelMultipleChoiceField)):
                qs = field.queryset
                if hasattr(qs, "restrict"):
                    allowed = qs.restrict(user, "view")
                    current = self._current_ids(name)
                    if current:
                        allowed = qs.filter(pk__in=allowed.values("pk")) | qs.filter(pk__in=current)
                    field.queryset = allowed.distinct() if current else allowed
            if isinstance(field, forms.DateTimeField):
                field.widget = DATETIME_INPUT
                field.input_formats = ["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M", "%Y-%m-%d %H:%M:%S"]
            elif isinstance(field, forms.DateField):
                field.widget = DATE_INPUT
            widget = field.widget
            if isinstance(widget, forms.HiddenInput):
                continue
            if isinstance(widget, forms.CheckboxInput):
                widget.attrs.setdefault("class", "form-check-input")
            elif isinstance(widget, (forms.Select, forms.SelectMultiple)):
                widget.attrs.setdefault("class", "form-select")
            else:
                widget.attrs.setdefault("class", "form-control")
            if isinstance(widget, forms.Textarea):
                widget.attrs.setdefault("rows", 3)
        if not self.is_bound:
            self.initial.setdefault("form_token", uuid.uuid4().hex)
        self._mask_personal_data()

    def _mask_personal_data(self):
        """ID and mobile numbers appear masked in the form for users who may not see them; a masked
        number posted back unchanged keeps the stored one (``clean``), anything else typed is
        validated as usual. Users who may see them get them in full, and opening such a form is
        recorded as a view of personal data."""
        self._masked = {}
        model = self._meta.model
        personal = privacy.personal_fields(model)
        stored = {}
        if self.instance.pk is not None:
            stored = {n: getattr(self.instance, n) for n in personal if n in self.fields and getattr(self.instance, n)}
        if privacy.may_see(self.user):
            if stored and not self.is_bound:
                privacy.record_access(self.user, model, [self.instance], f"form:{model._meta.model_name}", list(stored))
            return
        for name, value in stored.items():
            masked = personal[name](value)
            self.initial[name] = masked
            self._masked[name] = (masked, value)

    def clean(self):
        cleaned = super().clean()
        for name, (masked, value) in self._masked.items():
            if (cleaned.get(name) or "").strip() == masked:
                cleaned[name] = value
        return cleaned

    def _current_ids(self, name):
        if self.instance.pk is None:
            return []
        field = self.instance._meta.get_field(name)
        if field.many_to_many:
            return list(getattr(self.instance, name).values_list("pk", flat=True))
        value = getattr(self.instance, field.attname, None)
        return [value] if value is not None else []

    def add_error(self, field, error):
        """A model rule about a field the form does not show is reported above the form
        (Django would raise ValueError and answer 500)."""
        if field is not None and field not in self.fields:
            field = None
        if field is None and hasattr(error, "error_dict"):
            for name, errors in error.error_dict.items():
                super().add_error(name if name in self.fields else None, errors)
            return
        super().add_error(field, error)

    def clean_form_token(self):
        token = self.cleaned_data.get("form_token") or ""
        if token and len(token) != 32:
            raise ValidationError(_("This form has expired; please reload the page."))
        return token


def bootstrap_errors(form):
    """Mark invalid widgets so Bootstrap shows the message next to the field."""
    for name in form.errors:
        if name in form.fields:
            widget = form.fields[name].widget
            widget.attrs["class"] = (widget.attrs.get("class", "") + " is-invalid").strip()
    return form
