"""Search-as-you-type choices of records from big tables (households, people, villages …).

A ``<select>`` of 7,416 households is a 600 KB page that takes seconds to render and is unusable
on a phone. A model registered here is chosen instead with a lookup (``wenshang.web.forms.LookupSelect``):
the page holds only the chosen record(s), ``static/js/lookup.js`` turns the select into a text
input with a list of suggestions, and the suggestions come from ``/lookup/<app>.<model>/?q=…``
(``lookup_view``): at most ``PAGE_SIZE`` records *the user may read*, matched by name or code
(and by pinyin initials for the models of the global search, ``wenshang.web.search``).

The portal's model forms (``PortalModelForm``) and list filters (``PortalFilterSet``) use a lookup
for every foreign key and many-to-many field to a registered model; validation stays the choice
field's (its queryset restricted to the user's scope), so a forged id is refused as usual.

Small catalogues (townships, survey rounds, batches, recruiting stations …) stay plain selects.
"""
from dataclasses import dataclass, field

from django.apps import apps
from django.contrib.contenttypes.models import ContentType
from django.db.models import Case, IntegerField, Q, Value, When
from django.http import Http404, JsonResponse
from django.urls import reverse_lazy
from django.utils.translation import gettext as _

from wenshang.kernel.validators import mask_id_number
from wenshang.web import search
from wenshang.web.models import SearchEntry

PAGE_SIZE = 20
MAX_PAGE = 25  # a user who pages past 500 suggestions should type more
MAX_QUERY = 60


@dataclass(frozen=True)
class Lookup:
    """How records of one model are found and named in a lookup."""

    label: str  # "grids.Household"
    search: tuple  # fields matched: "name" (contains), "^code" (starts with, upper case)
    select_related: tuple = ()
    text: object = str  # record → the text of its suggestion and of its chosen option
    key: str = ""  # a unique field also matched exactly (a full ID number): never shown
    code: str = ""  # a unique code people type (a village's 370830104201): what a list filter's box holds
    search_kind: str = ""  # a kind of ``wenshang.web.search``: its pinyin matches too
    extra: dict = field(default_factory=dict)

    @property
    def model(self):
        return apps.get_model(self.label)


def _village_text(obj):
    return f"{obj.name}（{obj.township}）"


def _person_text(obj):
    where = obj.village or obj.township
    masked = mask_id_number(obj.id_number) if obj.id_number else ""
    return "，".join(str(part) for part in (obj.name, where, masked) if part)


LOOKUPS = {
    lookup.label.lower(): lookup
    for lookup in [
        Lookup("villages.Village", ("name", "^code"), ("township",), _village_text, search_kind="village", code="code"),
        Lookup("villages.Project", ("name",), search_kind="project"),
        Lookup("villages.SurveyVisit", ("village__name", "^visited_on"), ("village",)),
        Lookup("grids.Grid", ("name", "^code", "village__name"), ("village",), lambda o: f"{o.village} · {o.name}", code="code"),
        Lookup("grids.Household", ("head_name", "grid__village__name"), ("grid__village",),
               lambda o: f"{o}（{o.grid.village} · {o.grid}）"),
        Lookup("grids.LectureHall", ("name", "village__name"), ("village",), lambda o: f"{o.name}（{o.village}）"),
        Lookup("talent.Person", ("name",), ("village", "township"), _person_text, key="id_number", search_kind="person"),
        Lookup("talent.VillageSecretary", ("person__name", "village__name"), ("village", "person")),
        Lookup("talent.FirstSecretary", ("person__name", "village__name"), ("village", "person")),
        Lookup("talent.Partner", ("person__name", "organization"), ("person",)),
        Lookup("talent.Training", ("name",)),
        Lookup("alliances.Enterprise", ("name", "^credit_code"), search_kind="enterprise", code="credit_code"),
        Lookup("alliances.MemberUnit", ("name",)),
        Lookup("alliances.Pairing", ("village__name", "enterprise__name"), ("village", "enterprise")),
        Lookup("alliances.Advisor", ("name", "department")),
        Lookup("finance.Homestead", ("^parcel_code", "holder_name"), ("village",), lambda o: f"{o.parcel_code}（{o.village} {o.holder_name}）",
               code="parcel_code"),
    ]
}


def lookup_for(model):
    """The ``Lookup`` of a model, or None when it is chosen from a plain select."""
    return LOOKUPS.get(model._meta.label_lower)


def url_for(model):
    return reverse_lazy("lookup", args=[model._meta.label_lower])


def text_of(obj):
    lookup = lookup_for(type(obj))
    return str(lookup.text(obj)) if lookup is not None else str(obj)


def _condition(lookup, q):
    condition = Q()
    for name in lookup.search:
        if name.startswith("^"):
            condition |= Q(**{f"{name[1:]}__startswith": q.upper()})
        else:
            condition |= Q(**{f"{name}__icontains": q})
    if lookup.key and q.isalnum() and len(q) >= 15:
        condition |= Q(**{lookup.key: q.upper()})
    if lookup.search_kind and q.isascii() and q.isalnum():
        entries = SearchEntry.objects.filter(
            search._condition(q), content_type=ContentType.objects.get_for_model(lookup.model)
        )
        condition |= Q(pk__in=entries.values("object_id"))
    return condition


def find(user, lookup, q, page=1):
    """([(pk, text)], more): one page of the records matching ``q`` that ``user`` may read."""
    model = lookup.model
    qs = model.objects.restrict(user, "view")
    q = (q or "").strip()[:MAX_QUERY]
    if q:
        qs = qs.filter(_condition(lookup, q))
        first = lookup.search[0].lstrip("^")
        qs = qs.annotate(
            lookup_rank=Case(When(**{f"{first}__startswith": q}, then=Value(0)), default=Value(1), output_field=IntegerField())
        ).order_by("lookup_rank", *model._meta.ordering, "pk")
    if lookup.select_related:
        qs = qs.select_related(*lookup.select_related)
    start = (page - 1) * PAGE_SIZE
    rows = list(qs[start:start + PAGE_SIZE + 1])
    return [(obj.pk, str(lookup.text(obj))) for obj in rows[:PAGE_SIZE]], len(rows) > PAGE_SIZE


def lookup_view(request, label):
    """``/lookup/<app>.<model>/?q=…&page=…`` → {"results": [{"id", "text"}], "more": bool}."""
    if not request.user.is_authenticated:
        return JsonResponse({"error": _("Please log in.")}, status=403)
    lookup = LOOKUPS.get(label.lower())
    if lookup is None:
        raise Http404
    try:
        page = min(max(int(request.GET.get("page", 1)), 1), MAX_PAGE)
    except ValueError:
        page = 1
    results, more = find(request.user, lookup, request.GET.get("q", ""), page)
    response = JsonResponse({"results": [{"id": pk, "text": text} for pk, text in results], "more": more and page < MAX_PAGE})
    response["Cache-Control"] = "private, no-store"
    return response
