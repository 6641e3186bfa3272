"""Records as they stood at a moment (a quarter's close), from the change log: inside
``as_it_stood(model, moment)`` the model's rows changed since are put back as they were (updates
undone, deletes re-inserted, creates removed), in a transaction rolled back at the end of the block;
what is read inside sees the rows of then, and nobody else sees anything (the changes are never
committed). The cost is the number of changes since the moment, not the size of the table.

Every write path logs its changes except queryset updates (``changes.updated``): a record of a
locked quarter cannot be changed by one (the lock hears them too), so a frozen figure's rows are
what this gives back."""
from contextlib import contextmanager

from django.contrib.contenttypes.models import ContentType
from django.db import transaction
from django.db.models import Q

from wenshang.closing.models import Correction, Snapshot
from wenshang.closing.selectors import counties
from wenshang.kernel.models import ObjectChange
from wenshang.kernel.routers import primary_reads
from wenshang.web import figures, portal


def correction_sources(close, up_to=None):
    """The change-log sources of the approved corrections of ``close``'s quarter (up to the one a
    revision was made for): the changes a revision counts."""
    qs = Correction.objects.filter(county_id=close.county_id, period=close.period, state=Correction.State.APPROVED)
    if up_to is not None:
        qs = qs.filter(decided_at__lte=up_to)
    return [f"correction:{pk}" for pk in qs.values_list("pk", flat=True)]


def corrected_models(close):
    """The models of the approved corrections of ``close``'s quarter."""
    ids = Correction.objects.filter(county_id=close.county_id, period=close.period, state=Correction.State.APPROVED)
    return {ContentType.objects.get_for_id(pk).model_class() for pk in ids.values_list("content_type", flat=True).distinct()}


def _values(model, data):
    """{attname: Python value} of a change log's JSON values (the model's concrete fields only)."""
    fields = {f.attname: f for f in model._meta.concrete_fields}
    return {name: fields[name].to_python(value) for name, value in (data or {}).items() if name in fields}


def changes_since(model, moment, using="default", keep=()):
    """{pk: (oldest action since ``moment``, the values then)} of ``model``'s records changed since
    (but by the change-log sources ``keep``: approved corrections, which a revision counts)."""
    content_type = ContentType.objects.db_manager(using).get_for_model(model)
    entries = (ObjectChange.objects.using(using).filter(content_type=content_type, time__gt=moment)
               .exclude(source__in=list(keep))
               .order_by("-time", "-pk").values_list("object_id", "action", "prechange_data"))
    pk_field = model._meta.pk
    out = {}
    for object_id, action, before in entries:  # newest first: an older change's "before" wins
        pk = pk_field.to_python(object_id)
        _action, values = out.get(pk, (None, {}))
        values.update(before or {})
        out[pk] = (action, values)
    return out


@contextmanager
def as_it_stood(model, moment, using="default", keep=()):
    """Inside: ``model``'s rows as they stood at ``moment`` (with the changes of the sources ``keep``
    since: approved corrections), read on the primary, rolled back after."""
    found = changes_since(model, moment, using, keep)
    with primary_reads(), transaction.atomic(using=using):
        savepoint = transaction.savepoint(using=using)
        try:
            rows = model._base_manager.using(using)
            created = [pk for pk, (action, _v) in found.items() if action == "create"]
            if created:
                rows.filter(pk__in=created)._raw_delete(using)
            existing = set(rows.filter(pk__in=[pk for pk in found if pk not in created]).values_list("pk", flat=True))
            missing = []
            for pk, (action, values) in found.items():
                if action == "create":
                    continue
                values = _values(model, values)
                values.pop(model._meta.pk.attname, None)
                if pk in existing:
                    if values:
                        rows.filter(pk=pk).update(**values)
                else:
                    missing.append(model(pk=pk, **values))
            if missing:
                rows.bulk_create(missing)
            yield
        finally:
            transaction.savepoint_rollback(savepoint, using=using)


def frozen_drill(request, model):
    """A frozen figure's rows (``?figure=<key>&frozen=<snapshot id>``): (figure label, snapshot,
    condition, the context that shows the rows as they stood at the close), or None."""
    key, frozen = request.GET.get("figure", ""), request.GET.get("frozen", "")
    m = figures.metrics().get(key)
    if m is None or not frozen.isdigit() or m.get_model() is not model:
        return None
    snapshot = Snapshot.objects.select_related("close__county").filter(pk=frozen).first()
    if snapshot is None or snapshot.close.county not in counties(request.user):
        return None
    close = snapshot.close
    end = close.end_date
    condition = m.condition() & (m.as_of_condition(end) if (m.date or m.as_of) else Q())
    label = figures.catalogue()[key].label if key in figures.catalogue() else key
    first = close.snapshots.order_by("revision").first()
    return label, snapshot, condition, as_it_stood(model, first.made_at, keep=correction_sources(close, snapshot.made_at))


portal.use_history(frozen_drill)
