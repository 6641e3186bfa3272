"""The base FilterSet of every list page (and later of the API): a search box over the model's
``search_fields`` and choices limited to what the user may read. Records of big tables (villages,
households …) are chosen by search-as-you-type (``wenshang.web.lookup``); an empty choice reads 全部
(``FILTERS_EMPTY_CHOICE_LABEL``) and a yes/no filter 全部 / 是 / 否."""
import django_filters
from django import forms
from django.apps import apps
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from wenshang.web.forms import use_lookup


class AnyYesNoSelect(forms.NullBooleanSelect):
    """A yes/no filter: all records (not "unknown"), yes or no."""

    def __init__(self, attrs=None):
        super().__init__(attrs)
        self.choices = (("unknown", _("All")), ("true", _("Yes")), ("false", _("No")))


class PortalFilterSet(django_filters.FilterSet):
    q = django_filters.CharFilter(method="search", label=_("Search"))

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
        for name, field in self.form.fields.items():
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
    """A village, chosen by search-as-you-type among those the user may read (``wenshang.web.lookup``)."""
    village = apps.get_model("villages", "Village")
    return django_filters.ModelChoiceFilter(field_name=path, queryset=village.objects.order_by("code"), label=_("village"))


def date_range(field="date"):
    """Two filters, on or after and on or before a date (a date picker on phones)."""

    def widget():
        return forms.DateInput(format="%Y-%m-%d", attrs={"type": "date"})

    return (
        django_filters.DateFilter(field_name=field, lookup_expr="gte", label=_("start date"), widget=widget()),
        django_filters.DateFilter(field_name=field, lookup_expr="lte", label=_("end date"), widget=widget()),
    )
