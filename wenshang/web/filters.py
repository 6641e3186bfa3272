"""The base FilterSet of every list page (and of the API): a search box over the model's
``search_fields`` and choices limited to what the user may read. Records of big tables (villages,
households …) are chosen by search-as-you-type (``wenshang.web.lookup``): the filter form holds a
text box of the chosen record's code (its id when it has none), which ``static/js/lookup.js`` turns
into a box of suggestions, so the page never lists 3,600 villages and works without JavaScript
(type the village code). An empty choice reads 全部 (``FILTERS_EMPTY_CHOICE_LABEL``) and a yes/no
filter 全部 / 是 / 否."""
import django_filters
from django import forms
from django.apps import apps
from django.core.exceptions import ValidationError
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from wenshang.kernel.scope import county_path
from wenshang.web.forms import _pk_values, use_lookup
from wenshang.web.lookup import lookup_for, text_of, url_for


class AnyYesNoSelect(forms.NullBooleanSelect):
    """A yes/no filter: all records (not "unknown"), yes or no."""

    def __init__(self, attrs=None):
        super().__init__(attrs)
        self.choices = (("unknown", _("All")), ("true", _("Yes")), ("false", _("No")))


class LookupTextInput(forms.TextInput):
    """The box of a record chosen by search-as-you-type in a filter form: the chosen record's code
    (or id), its name for ``lookup.js`` (``data-lookup-text``), the lookup's URL."""

    def get_context(self, name, value, attrs):
        field = getattr(self.choices, "field", None)  # ModelChoiceField sets ``widget.choices``
        chosen = getattr(field, "chosen", None)
        lookup = lookup_for(field.queryset.model) if field is not None else None
        text = ""
        if chosen is not None and value not in (None, "") and str(value).strip().upper() in field.names_of(chosen):
            value = getattr(chosen, lookup.code) if lookup.code else chosen.pk
            text = text_of(chosen)
        context = super().get_context(name, value, attrs)
        if lookup is not None:
            context["widget"]["attrs"].update({
                "data-lookup-url": str(url_for(field.queryset.model)),
                "data-lookup-text": text,
                "data-lookup-placeholder": str(_("Type a name, code or pinyin initials")),
                "data-lookup-none": str(_("No matching records.")),
                "data-lookup-more": str(_("More records match: type more to narrow the list.")),
                "placeholder": str(_("Code") if lookup.code else _("ID")),
                "autocomplete": "off",
            })
        return context


class LookupChoiceField(django_filters.fields.ModelChoiceField):
    """A record of a big table in a filter: its id (the dashboards' links, ``?village=117``) or its
    code as typed (``?village=370830104201``), among the records the user may read."""

    widget = LookupTextInput
    chosen = None

    def names_of(self, obj):
        """What the box may hold for ``obj``: its id and its code."""
        lookup = lookup_for(self.queryset.model)
        return {str(obj.pk), str(getattr(obj, lookup.code)).upper() if lookup is not None and lookup.code else str(obj.pk)}

    def to_python(self, value):
        if value in self.empty_values:
            return None
        text = str(value).strip()
        lookup = lookup_for(self.queryset.model)
        if _pk_values([text]) or lookup is None or not lookup.code or text == self.null_value:
            obj = super().to_python(text)
        else:
            try:
                obj = self.queryset.get(**{lookup.code: text.upper()})
            except (self.queryset.model.DoesNotExist, self.queryset.model.MultipleObjectsReturned, ValueError):
                raise ValidationError(self.error_messages["invalid_choice"], code="invalid_choice") from None
        if obj is not None and hasattr(obj, "pk"):
            self.chosen = obj
        return obj


class WholeNumberFilter(django_filters.NumberFilter):
    """A number filter of whole numbers (an id, a year): the schema says integer."""

    field_class = forms.IntegerField


class CountyFilter(WholeNumberFilter):
    """``?county=<id>``: the records of one county (along the model's county path), for a city's and a
    deployment's users (a dashboard's links to the lists of one county); a hidden field. The rows are
    the user's already: another county's id gives none."""

    def __init__(self, **kwargs):
        kwargs.setdefault("label", _("county"))
        kwargs.setdefault("widget", forms.HiddenInput)
        super().__init__(**kwargs)

    def filter(self, qs, value):
        if value in django_filters.constants.EMPTY_VALUES:
            return qs
        path = county_path(qs.model)
        if not path or value != int(value) or not 0 < value < 2**31:
            return qs.none()  # no such county (an id is a whole number of the database's range)
        qs = qs.filter(**{path: int(value)})
        first = path.split("__")[0]
        return qs.distinct() if first != "pk" and not qs.model._meta.get_field(first).concrete else qs  # a city's counties


class PortalFilterSet(django_filters.FilterSet):
    q = django_filters.CharFilter(method="search", label=_("Search"))
    county = CountyFilter()

    search_fields = ()

    def __init__(self, data=None, queryset=None, *, request=None, prefix=None):
        super().__init__(data, queryset, request=request, prefix=prefix)
        user = getattr(request, "user", None)
        for f in self.filters.values():
            # A form field cached on the class's own filter (drf-spectacular builds one from
            # ``base_filters`` when it makes the schema, before any model is set, so with no label)
            # would be copied into every filter set after it: the form would then label the field
            # with its English name ("Kind") for every user until the process restarts.
            f.__dict__.pop("_field", None)
            # django-filter builds a choice field from ``f.queryset`` (QuerySetRequestMixin), not
            # from ``f.extra``: restrict both, so another township's records are neither offered
            # nor accepted
            qs = getattr(f, "queryset", None)
            if qs is None:
                qs = f.extra.get("queryset")
            if qs is not None and hasattr(qs, "restrict"):
                f.queryset = f.extra["queryset"] = qs.restrict(user, "view")
            if type(f) is django_filters.ModelChoiceFilter and qs is not None and lookup_for(qs.model) is not None:
                f.field_class = LookupChoiceField  # a text box with suggestions, not a select of every record
        for name, field in self.form.fields.items():
            if not isinstance(field, LookupChoiceField):
                use_lookup(field)
            if isinstance(field, forms.NullBooleanField) and type(field.widget) is forms.NullBooleanSelect:
                field.widget = AnyYesNoSelect(attrs=field.widget.attrs)
            is_select = isinstance(field.widget, (forms.Select, forms.SelectMultiple))
            css = "form-select form-select-sm" if is_select else "form-control form-control-sm"
            field.widget.attrs.setdefault("class", css)
            if name == "q":
                field.widget.attrs.setdefault("placeholder", _("Name, code …"))

    def search(self, queryset, name, value):
        value = value.strip()
        if not value or not self.search_fields:
            return queryset
        condition = Q()
        for field in self.search_fields:
            lookup = field if "__" in field and field.split("__")[-1] in ("exact", "startswith", "istartswith") else f"{field}__icontains"
            condition |= Q(**{lookup: value})
        return queryset.filter(condition)


def township_filter(path="village__township"):
    """A township choice filtering the records through ``path`` (e.g. ``grid__village__township``);
    ``PortalFilterSet`` limits its choices to the townships the user may read."""
    # The model by name: the web layer names the geography but imports no app.
    township = apps.get_model("villages", "Township")
    return django_filters.ModelChoiceFilter(field_name=path, queryset=township.objects.all(), label=_("township"))


def village_filter(path="village"):
    """A village, chosen by search-as-you-type among those the user may read (``wenshang.web.lookup``),
    or by its code typed."""
    village = apps.get_model("villages", "Village")
    return django_filters.ModelChoiceFilter(field_name=path, queryset=village.objects.order_by("code"), label=_("village"))


def lookup_filter(path, model, label):
    """A record of a big table (``model``: ``"grids.Household"``, ``"talent.Person"``,
    ``"alliances.Enterprise"``) chosen by search-as-you-type, or by its code (its id) typed."""
    return django_filters.ModelChoiceFilter(field_name=path, queryset=apps.get_model(model).objects.all(), label=label)


def date_range(field="date"):
    """Two filters, on or after and on or before a date (a date picker on phones)."""

    def widget():
        return forms.DateInput(format="%Y-%m-%d", attrs={"type": "date"})

    return (
        django_filters.DateFilter(field_name=field, lookup_expr="gte", label=_("start date"), widget=widget()),
        django_filters.DateFilter(field_name=field, lookup_expr="lte", label=_("end date"), widget=widget()),
    )
