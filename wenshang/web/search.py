"""The global search: one box in the navbar finds villages, people, enterprises, alliances and
projects by name, code or pinyin (``dsl`` and ``dongshilou`` both find 东石楼村).

The index is ``SearchEntry``: one row per record with its name, a code (the village's division
code, the enterprise's credit code; never a national ID number), the township (for scope) and the
pinyin of the name, full and initials. Polyphonic characters (长, 重, 石 …) are indexed with their
other readings too, as further space-separated variants after the usual reading, so ``changgou``
and ``zhanggou`` both find 长沟村.

- ``entry_for(obj)`` builds the (unsaved) entry of one record;
- ``rebuild()`` refills the whole index in bulk (the demo county: a second or two);
- the ``post_save`` / ``post_delete`` receivers below keep it current record by record.
  Bulk paths that bypass signals (``bulk_create``, ``fast_insert``) call ``index_objects(objs)``
  or ``rebuild()`` afterwards;
- ``search(user, q)`` answers a query, scoped to what the user may read, grouped by kind
  (``wenshang.search.views`` shows the results page).

Which models are searched, with which code and detail, the apps declare in ``<app>/search.py``
(``wenshang.kernel.searchable``); this engine finds those modules on first use and imports no app. The
receivers are connected when this module is imported (``WenshangConfig.ready`` and the URLconf
import it).
"""
import itertools
from collections.abc import Mapping
from functools import lru_cache

from django.contrib.contenttypes.models import ContentType
from django.db import models, transaction
from django.db.models import Case, IntegerField, Q, Value, When
from django.db.models.functions import Length
from django.db.models.signals import post_delete, post_save
from django.utils.module_loading import autodiscover_modules
from pypinyin import Style, lazy_pinyin, pinyin

from wenshang.kernel.scope import can, county_path, ids_along
from wenshang.kernel.searchable import REGISTRY as DECLARED
from wenshang.web.models import SearchEntry

PER_KIND = 20
MAX_VARIANTS = 6  # readings of a name indexed at most (the usual one first)
UPDATE_FIELDS = ["kind", "township", "county", "name", "code", "initials", "pinyin", "detail"]


# -- the searched models --------------------------------------------------------------------------
_searched = None


def searched():
    """{kind: Searchable} of the apps' declarations (``<app>/search.py``, imported on first use),
    in the order the results page shows them."""
    global _searched
    if _searched is None:
        autodiscover_modules("search")
    if _searched is None or len(_searched) != len(DECLARED):
        _searched = dict(sorted(DECLARED.items(), key=lambda item: item[1].order))
    return _searched


class Kinds(Mapping):
    """kind → model label, in the order the results page shows them."""

    def __getitem__(self, kind):
        return searched()[kind].label

    def __iter__(self):
        return iter(searched())

    def __len__(self):
        return len(searched())


KINDS = Kinds()


def model_of(kind):
    return searched()[kind].model


def kind_of(model):
    label = model._meta.label
    return next((kind for kind, entry in searched().items() if entry.label == label), None)


def _followers(model):
    """[(Searchable, relation, field)] of the kinds whose detail shows a field of ``model``
    through a relation (people show their village's name)."""
    out = []
    for entry in searched().values():
        if len(entry.detail_path) == 2:
            relation, field = entry.detail_path
            if entry.model._meta.get_field(relation).related_model is model:
                out.append((entry, relation, field))
    return out


# -- pinyin -------------------------------------------------------------------------------------
@lru_cache(maxsize=50_000)
def pinyin_of(name):
    """(full, initials) of a name, lower case; each a space-separated list of variants, the usual
    reading first: ``东石楼村`` → ("dongshiloucun dongdanloucun", "dslc ddlc")."""
    name = (name or "").strip()
    if not name:
        return "", ""
    usual = lazy_pinyin(name, errors="default")  # reads phrases as a whole (重庆 chongqing)
    heteronyms = pinyin(name, style=Style.NORMAL, heteronym=True, errors="default")
    if len(heteronyms) == len(usual):
        choices = [[u, *[r for r in alts if r != u]] for u, alts in zip(usual, heteronyms)]
    else:  # the two segmentations differ (runs of Latin letters, digits): the usual reading only
        choices = [[u] for u in usual]
    fulls, initials = [], []
    for combo in itertools.islice(itertools.product(*choices), MAX_VARIANTS):
        fulls.append("".join(combo).lower().replace(" ", ""))
        initials.append("".join(_initial(part) for part in combo).lower())
    return " ".join(dict.fromkeys(fulls))[:600], " ".join(dict.fromkeys(initials))[:200]


def _initial(part):
    """The initial of one syllable; a run of Latin letters or digits stays whole (ABC公司 → abcgs)."""
    part = part.replace(" ", "")
    if part and part.isascii() and part.isalpha() and part.islower():
        return part[0]
    return part


# -- the entries --------------------------------------------------------------------------------
def _detail(kind, obj):
    """A short hint shown under the name (free text: language-neutral)."""
    value = obj
    for part in searched()[kind].detail_path:
        value = getattr(value, part, None)
        if value is None:
            return ""
    return "" if value is obj else (value or "")


def _code(kind, obj):
    field = searched()[kind].code
    return getattr(obj, field) if field else ""  # people: never the ID number; alliances and projects have no code


def entry_for(obj, kind=None, content_type=None, county_id=None):
    """The unsaved ``SearchEntry`` of one village, person, enterprise, alliance or project
    (``county_id``: the record's county when the caller has it, else read along its county path)."""
    kind = kind or kind_of(type(obj))
    if kind is None:
        raise ValueError(f"{type(obj).__name__} is not searched")
    full, initials = pinyin_of(obj.name)
    return SearchEntry(
        kind=kind,
        content_type=content_type or ContentType.objects.get_for_model(type(obj)),
        object_id=obj.pk,
        township_id=obj.township_id,
        county_id=county_id if county_id is not None else ids_along(type(obj), [obj], county_path(type(obj)))(obj),
        name=obj.name[:200],
        code=_code(kind, obj)[:40],
        initials=initials,
        pinyin=full,
        detail=_detail(kind, obj)[:200],
    )


def index_objects(objs):
    """Add or refresh the entries of these records (of one searched model), in bulk: one query."""
    objs = list(objs)
    if not objs:
        return 0
    kind = kind_of(type(objs[0]))
    ct = ContentType.objects.get_for_model(type(objs[0]))
    county = ids_along(type(objs[0]), objs, county_path(type(objs[0])))
    entries = [entry_for(obj, kind, ct, county(obj)) for obj in objs]
    SearchEntry.objects.bulk_create(
        entries, batch_size=1000, update_conflicts=True, unique_fields=["content_type", "object_id"],
        update_fields=UPDATE_FIELDS,
    )
    return len(entries)


def reindex(model, objs, changed=None):
    """After a bulk write that bypassed the signals (an import): the entries of ``objs`` (new or
    changed records of ``model``), and the details that show a changed field of them
    (``changed``: {pk: the attnames changed} of the records updated)."""
    if kind_of(model) is None:
        return 0
    count = index_objects(objs)
    for entry, relation, field in _followers(model):
        attname = model._meta.get_field(field).attname
        moved = {obj.pk: getattr(obj, attname) for obj in objs if attname in (changed or {}).get(obj.pk, ())}
        content_type = ContentType.objects.get_for_model(entry.model)
        for pk, value in moved.items():
            SearchEntry.objects.filter(
                content_type=content_type,
                object_id__in=entry.model._base_manager.filter(**{relation: pk}).values("pk"),
            ).update(detail=value)
    return count


def rebuild():
    """Empty the index and fill it again from every searched record. Returns {kind: count}."""
    counts = {}
    with transaction.atomic():
        SearchEntry.objects.all().delete()
        for kind, entry in searched().items():
            model = entry.model
            ct = ContentType.objects.get_for_model(model)
            related = entry.detail_path[:-1]
            qs = model._base_manager.order_by("pk").select_related(*(["__".join(related)] if related else []))
            path = county_path(model)
            if path and path != "pk" and "__" in path:
                qs = qs.annotate(_county=models.F(path))
            entries = [entry_for(obj, kind, ct, getattr(obj, "_county", None)) for obj in qs.iterator(chunk_size=2000)]
            SearchEntry.objects.bulk_create(entries, batch_size=1000)
            counts[kind] = len(entries)
    return counts


# -- keeping it current -------------------------------------------------------------------------
def _saved(sender, instance, raw=False, **kwargs):
    if raw:
        return  # fixtures: rebuild() afterwards
    index_objects([instance])
    for entry, relation, field in _followers(sender):
        # People show their village's name: follow a rename.
        value = getattr(instance, field)
        SearchEntry.objects.filter(
            content_type=ContentType.objects.get_for_model(entry.model),
            object_id__in=entry.model._base_manager.filter(**{relation: instance}).values("pk"),
        ).exclude(detail=value).update(detail=value)


def _deleted(sender, instance, **kwargs):
    SearchEntry.objects.filter(content_type=ContentType.objects.get_for_model(sender), object_id=instance.pk).delete()


def connect():
    for kind, entry in searched().items():
        model = entry.model
        post_save.connect(_saved, sender=model, dispatch_uid=f"search-save-{kind}")
        post_delete.connect(_deleted, sender=model, dispatch_uid=f"search-delete-{kind}")


connect()


# -- answering a query --------------------------------------------------------------------------
def _condition(q):
    """Where a query may match: the name anywhere, the code's beginning, the pinyin's beginning
    (of any reading: variants follow a space)."""
    condition = Q(name__contains=q)
    if q.isascii():
        low = q.lower().replace(" ", "")
        if low:
            condition |= Q(code__startswith=low.upper())
            if low.isalnum():
                condition |= Q(initials__startswith=low) | Q(initials__contains=f" {low}")
                condition |= Q(pinyin__startswith=low) | Q(pinyin__contains=f" {low}")
    return condition


def _rank(q):
    """Best first: the exact name, names beginning with the query, initials or pinyin beginning with it."""
    low = q.lower()
    return Case(
        When(name=q, then=Value(0)),
        When(Q(name__startswith=q) | Q(code=q.upper()), then=Value(1)),
        When(Q(initials=low) | Q(initials__startswith=f"{low} "), then=Value(2)),
        When(Q(initials__startswith=low) | Q(pinyin__startswith=low), then=Value(3)),
        default=Value(4),
        output_field=IntegerField(),
    )


def search(user, q, per_kind=PER_KIND, kinds=None):
    """[{kind, model, label, entries, more}] of the records matching ``q`` that ``user`` may read,
    at most ``per_kind`` of each kind (one query per kind)."""
    q = (q or "").strip()[:100]
    if not q:
        return []
    visible = SearchEntry.objects.restrict(user, "view")
    groups = []
    for kind in kinds or KINDS:
        model = model_of(kind)
        if not can(user, "view", model):
            continue
        ct = ContentType.objects.get_for_model(model)
        rows = list(
            visible.filter(_condition(q), content_type=ct)
            .annotate(rank=_rank(q), name_length=Length("name"))
            .order_by("rank", "name_length", "name", "pk")[: per_kind + 1]
        )
        if rows:
            groups.append({
                "kind": kind,
                "model": model,
                "label": model._meta.verbose_name_plural,
                "entries": rows[:per_kind],
                "more": len(rows) > per_kind,
            })
    return groups

