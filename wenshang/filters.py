"""The base FilterSet of every list page (and later of the API): a search box over the model's
``search_fields`` and choices limited to what the user may read."""
import django_filters
from django import forms
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


class PortalFilterSet(django_filters.FilterSet):
    q = django_filters.CharFilter(method="search", label=_("Search"))

    search_fields = ()

    def __init__(self, data=None, queryset=None, *, request=None, prefix=None):
        super().__init__(data, queryset, request=request, prefix=prefix)
        user = getattr(request, "user", None)
        for f in self.filters.values():
            qs = f.extra.get("queryset")
            if qs is not None and hasattr(qs, "restrict"):
                f.extra["queryset"] = qs.restrict(user, "view")
        for name, field in self.form.fields.items():
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
