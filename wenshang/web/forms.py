"""The base form of every create/edit page: Bootstrap widgets, choices limited to the user's scope,
and protection against the same form being posted twice."""
import uuid

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from wenshang.kernel import privacy
from wenshang.kernel.scope import scope_of
from wenshang.web.lookup import lookup_for, text_of, url_for

DATE_INPUT = forms.DateInput(format="%Y-%m-%d", attrs={"type": "date"})
DATETIME_INPUT = forms.DateTimeInput(format="%Y-%m-%dT%H:%M", attrs={"type": "datetime-local"})


# -- choices of records from big tables (wenshang.web.lookup) -------------------------------------------
def _pk_values(values):
    """The posted values that can be primary keys (a forged "abc" or an ID number is none)."""
    return [str(v) for v in values if str(v).isdigit() and len(str(v)) <= 9]


class LookupSelectMixin:
    """A select that holds only the chosen record(s), never the whole queryset; ``lookup.js``
    turns it into a search-as-you-type input fed by ``data-lookup-url``."""

    def optgroups(self, name, value, attrs=None):
        field = getattr(self.choices, "field", None)
        chosen = [str(v) for v in value if v not in (None, "")]
        options = []
        if field is not None and not self.allow_multiple_selected and field.empty_label is not None:
            options.append(("", field.empty_label))
        ids = _pk_values(chosen)
        if field is not None and ids:
            records = field.queryset.filter(pk__in=ids)
            lookup_ = lookup_for(field.queryset.model)
            if lookup_ is not None and lookup_.select_related:
                records = records.select_related(*lookup_.select_related)
            options += [(str(obj.pk), text_of(obj)) for obj in records]
        groups = []
        for index, (option_value, label) in enumerate(options):
            selected = option_value in chosen or (option_value == "" and not chosen)
            groups.append((None, [self.create_option(name, option_value, label, selected, index, attrs=attrs)], index))
        return groups


class LookupSelect(LookupSelectMixin, forms.Select):
    pass


class LookupSelectMultiple(LookupSelectMixin, forms.SelectMultiple):
    pass


def use_lookup(field):
    """Give a choice of records of a registered model (``wenshang.web.lookup.LOOKUPS``) the lookup
    widget, keeping its attributes. Returns True when it did."""
    if not isinstance(field, forms.ModelChoiceField) or isinstance(field.widget, LookupSelectMixin):
        return False
    model = field.queryset.model
    if lookup_for(model) is None:
        return False
    multiple = isinstance(field, forms.ModelMultipleChoiceField)
    widget = (LookupSelectMultiple if multiple else LookupSelect)(attrs=dict(field.widget.attrs))
    widget.attrs.update({
        "data-lookup-url": url_for(model),
        "data-lookup-none": _("No matching records."),
        "data-lookup-more": _("More records match: type more to narrow the list."),
        "data-lookup-remove": _("Remove"),
        "placeholder": widget.attrs.get("placeholder") or _("Type a name, code or pinyin initials"),
    })
    widget.is_required = field.widget.is_required
    widget.choices = field.choices  # an iterator that knows the field; never iterated whole
    field.widget = widget
    return True


class LookupField(forms.ModelChoiceField):
    """A record of a big table chosen by search-as-you-type (``LookupSelect``), validated as any
    ``ModelChoiceField``: the id must be in the queryset (the user's scope).

    A subclass may name a unique ``key`` (a person's ID number, a parcel's code) that is accepted
    in place of the id, typed in full: ``check_format`` says what a key looks like and
    ``not_found`` what to say when none of the user's records has it.
    """

    key = None
    default_error_messages = {"not_found": _("No record with the code %(value)s.")}

    def __init__(self, queryset, **kwargs):
        super().__init__(queryset, **kwargs)
        self.user = None  # set by PortalModelForm
        use_lookup(self)

    def normalize(self, value):
        return str(value).strip().upper()

    def check_format(self, value):
        """Raise ``ValidationError`` when ``value`` cannot be a key at all (before any lookup)."""

    def not_found(self, value):
        return ValidationError(self.error_messages["not_found"], code="not_found", params={"value": value})

    def to_python(self, value):
        if value in self.empty_values or not self.key or _pk_values([str(value).strip()]):
            return super().to_python(value)
        value = self.normalize(value)
        self.check_format(value)
        try:
            return self.queryset.get(**{self.key: value})
        except (self.queryset.model.DoesNotExist, self.queryset.model.MultipleObjectsReturned, ValueError, TypeError):
            raise self.not_found(value) from None


class MaskedPersonalDataMixin:
    """ID and mobile numbers appear masked in the form for users who may not see them; a masked
    number posted back unchanged keeps the stored one (``clean``), anything else typed is
    validated as usual. Used by the portal's forms and the admin's (``wenshang.web.admin.ScopedModelForm``)."""

    def mask_personal_data(self, user):
        """Mask the stored numbers of the form's personal fields for ``user``. Returns the fields
        shown in full (with a stored value), for the caller to record as a view of personal data."""
        self._masked = {}
        personal = privacy.personal_fields(self._meta.model)
        stored = {}
        if self.instance.pk is not None:
            stored = {n: getattr(self.instance, n) for n in personal if n in self.fields and getattr(self.instance, n)}
        if privacy.may_see(user):
            return list(stored)
        for name, value in stored.items():
            masked = personal[name](value)
            self.initial[name] = masked
            self._masked[name] = (masked, value)
        return []

    def clean(self):
        cleaned = super().clean()
        for name, (masked, value) in getattr(self, "_masked", {}).items():
            if (cleaned.get(name) or "").strip() == masked:
                cleaned[name] = value
        return cleaned


def fix_county(form, user):
    """The county of a county-level record (``county_path = "county"``) in a model form: fixed to the
    user's own (a county's or a township's user) or to the only one they may choose, otherwise a
    choice among the counties of their scope (a city's user, a deployment's administrator)."""
    field = form.fields.get("county")
    model = form._meta.model
    if field is None or getattr(model, "county_path", None) != "county" or not hasattr(model, "fill_county") or field.disabled:
        return  # (a user's county is the accounts' business: wenshang.accounts)
    own = scope_of(user).county_id if user is not None else None
    choices = field.queryset.filter(pk=own) if own else field.queryset
    only = list(choices.values_list("pk", flat=True)[:2])
    if own or len(only) == 1:
        field.queryset = choices
        field.disabled = True
        if form.instance.pk is None:
            form.initial["county"] = only[0] if only else None


class PortalModelForm(MaskedPersonalDataMixin, forms.ModelForm):
    """Model forms of the portal. Validation is the model's (``full_clean``), so forms, imports and
    the API give the same message for the same mistake.

    Foreign keys offer only records the user may read; a record's current links stay selectable
    so that saving it unchanged never drops or refuses them. The county of a county-level record
    (``county_path = "county"``) is the user's own, shown and fixed, for a county's or a township's
    user (and when only one county may be chosen); a city's or a deployment's user chooses it
    among the counties in their scope.
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
                if isinstance(field, LookupField):
                    field.user = user
                use_lookup(field)
                if getattr(field, "empty_label", None) == "---------":
                    field.empty_label = _("Please choose")
            elif isinstance(field, forms.ChoiceField) and field.choices and tuple(field.choices[0]) == ("", "---------"):
                field.choices = [("", _("Please choose")), *field.choices[1:]]
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
        self._fix_county()
        if not self.is_bound:
            self.initial.setdefault("form_token", uuid.uuid4().hex)
        self._mask_personal_data()

    def _fix_county(self):
        fix_county(self, self.user)

    def _mask_personal_data(self):
        """Personal fields masked for users who may not see them (``MaskedPersonalDataMixin``);
        for users who may, opening such a form is recorded as a view of personal data."""
        shown = self.mask_personal_data(self.user)
        if shown and not self.is_bound:
            model = self._meta.model
            privacy.record_access(self.user, model, [self.instance], f"form:{model._meta.model_name}", shown)

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
