"""Notice of changed records, for what is kept derived from them (the figures' aggregates, the
dashboards' cache), in the writer's own transaction.

Every write path records its changes in the change log: single records and links through
``wenshang.kernel.audit`` (``post_save``, ``post_delete``, ``m2m_changed``), bulk creates and
imports as change-log rows written by ``wenshang.kernel.bulk.insert_rows``. Both send
``records_changed`` once per record or per batch, after the rows are written. Queryset updates
(``Model.objects.filter(…).update(…)``, ``bulk_update``), which log nothing, send it too
(``RestrictedQuerySet.update`` → ``updated()``), with the updated fields before and after, and so
do ``bulk_create`` calls (``created()``), which log nothing either.

Receivers get ``sender`` (the model), ``changes`` (a list of ``Change``) and ``using`` (the
database alias). They run inside the writer's transaction: what they write commits or rolls back
with the records. Work a receiver can batch (recomputing aggregates) may be held until the end of
a ``deferred()`` block, where ``flushing`` is sent: a loop of single saves (the API's bulk
creation) then costs one recomputation instead of one per record.

This module imports nothing of the project: the kernel sends, the layers above listen.
"""
from contextlib import contextmanager, suppress
from contextvars import ContextVar
from typing import NamedTuple

from django.db import DatabaseError, transaction
from django.dispatch import Signal


class Change(NamedTuple):
    """One changed record. ``before``/``after``: {attname: value} as the change log keeps them (JSON
    values; an update holds the fields it wrote, a create no ``before``, a delete no ``after``).
    ``places``: the (township id, county id) pairs the record lies in after the change and, when
    the change moved it, before (None for a level it has none of)."""

    pk: object
    action: str  # create, update, delete
    before: dict | None
    after: dict | None
    places: frozenset = frozenset()


records_changed = Signal()  # sender=model, changes=[Change], using=alias
flushing = Signal()  # using=alias: a deferred() block ends (or a write outside one): do the held work


# -- deferral ---------------------------------------------------------------------------------------
_deferred = ContextVar("wenshang_changes_deferred", default=None)  # the aliases written in the block, or None


@contextmanager
def deferred():
    """Hold the receivers' batched work (``flushing``) until the end of this block (the outermost
    one, when nested), then send it once per database alias written. When the block ends with an
    exception the work is still done (a caller that catches it may commit what was written)."""
    if _deferred.get() is not None:
        yield
        return
    written = set()
    token = _deferred.set(written)
    try:
        yield
    except BaseException:
        _deferred.reset(token)
        with suppress(DatabaseError):  # a transaction in error is rolled back: nothing to bring up to date
            for alias in sorted(written):
                flush(alias)
        raise
    _deferred.reset(token)
    for alias in sorted(written):
        flush(alias)


def flush(using):
    """Send ``flushing`` for ``using``: receivers bring what they hold up to date."""
    flushing.send(sender=None, using=using)


def notify(model, changes, using):
    """Send ``records_changed`` for ``changes`` of ``model`` on ``using``, then ``flushing`` (at the
    end of the ``deferred()`` block, if inside one)."""
    if not changes:
        return
    records_changed.send(sender=model, changes=changes, using=using)
    written = _deferred.get()
    if written is not None:
        written.add(using)
    else:
        flush(using)


# -- queryset updates -----------------------------------------------------------------------------
# Receivers say which updates they need to hear of: callables (model, attnames) -> bool.
_interests = []


def interested(predicate):
    """Register ``predicate(model, attnames)``: a queryset update of those fields of ``model`` is to
    be reported (reading the rows before and after costs two queries, so only when someone listens)."""
    _interests.append(predicate)
    return predicate


def _wanted(model, attnames):
    return any(predicate(model, attnames) for predicate in _interests)


CHUNK = 5000


def updated(queryset, values, run, place_paths=(None, None)):
    """``run(**values)`` (the queryset's own update) with its rows reported: the updated fields of each
    row before and after, and where the rows lie (``place_paths``: the lookups to their township and
    county). Returns what ``run`` returns."""
    model = queryset.model
    opts = model._meta
    attnames = [opts.get_field(name).attname for name in values]
    if not _wanted(model, set(attnames)):
        return run(**values)
    paths = [p for p in place_paths if p]
    columns = ["pk", *attnames, *paths]
    with transaction.atomic(using=queryset.db, savepoint=False):
        before = {row[0]: row for row in queryset.order_by().values_list(*columns)}
        count = run(**values)
        pks = list(before)
        after = {}
        for start in range(0, len(pks), CHUNK):
            rows = model._base_manager.using(queryset.db).filter(pk__in=pks[start : start + CHUNK]).order_by()
            after.update({row[0]: row for row in rows.values_list(*columns)})
        changes = []
        n = len(attnames)
        for pk, old in before.items():
            new = after.get(pk)
            if new is None or new[1 : n + 1] == old[1 : n + 1]:
                continue
            changes.append(Change(
                pk, "update", dict(zip(attnames, old[1 : n + 1])), dict(zip(attnames, new[1 : n + 1])),
                frozenset({_place(old, n, place_paths), _place(new, n, place_paths)}),
            ))
        notify(model, changes, queryset.db)
    return count


def created(queryset, objs, places=None):
    """Report the records ``bulk_create`` wrote (``RestrictedQuerySet.bulk_create``; those of unknown
    primary key, ignored conflicts, cannot be). ``places(objs)``: two functions obj -> township id,
    obj -> county id (at most a query each)."""
    model = queryset.model
    fields = model._meta.concrete_fields
    if not objs or not _wanted(model, {f.attname for f in fields}):
        return
    saved = [obj for obj in objs if obj.pk is not None]
    township_of, county_of = places(saved) if places is not None else (lambda obj: None, lambda obj: None)
    notify(model, [
        Change(obj.pk, "create", None, {f.attname: f.value_from_object(obj) for f in fields},
               frozenset({(township_of(obj), county_of(obj))}))
        for obj in saved
    ], queryset.db)


def _place(row, n, place_paths):
    township_path, county_path = place_paths
    rest = list(row[n + 1 :])
    township = rest.pop(0) if township_path else None
    county = rest.pop(0) if county_path else None
    return (township, county)
