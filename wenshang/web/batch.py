"""The one batch writer of records already checked: a spreadsheet import (``wenshang.imports.writing``)
and the API's bulk requests (``wenshang.api.views``) write through it.

All or nothing, in one transaction whose rights are read again: changed records first
(``bulk.update_rows``: an ``UPDATE … FROM`` a COPY-filled temporary table on PostgreSQL,
``executemany`` elsewhere), each logged as an update with the changed fields before and after; then
new records, with ids taken from the sequence (``bulk.reserve_ids``, ``bulk.insert_rows``) and their
create entries (``audit.log_bulk_create``). The change log's rows tell the figures' aggregates and the
closing guard (``wenshang.kernel.changes``), and the global search index follows the records it shows
(``search.reindex``): bulk writes bypass the signals.

A row is anything with ``obj`` (the record, its new values set), ``pk`` (None: a new record),
``changes`` ({attname: (before, after)} of a changed record), ``m2m`` and ``m2m_before``
(``Record``; an import's rows are its own).
"""
from __future__ import annotations

from dataclasses import dataclass

from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import PermissionDenied
from django.db import router, transaction
from django.utils import timezone

from wenshang.kernel import audit, bulk
from wenshang.kernel.models import ObjectChange
from wenshang.kernel.scope import county_id_of, permission_filter, township_id_of
from wenshang.web import search

LOG_COLUMNS = ["time", "user_id", "user_name", "source", "action", "content_type_id", "object_id", "object_repr",
               "township_id", "county_id", "prechange_data", "postchange_data"]


@dataclass
class Record:
    obj: object
    pk: int | None = None
    changes: dict | None = None
    m2m: dict | None = None
    m2m_before: dict | None = None


class Writer:
    """Write checked rows of ``model`` as ``user`` (``source``: the change log's), changing ``written``
    (attnames) of existing records."""

    def __init__(self, model, user, source, written):
        self.model, self.user, self.source, self.written = model, user, source, list(written)

    def write(self, creates, updates, *, may_add, may_change, more=None, before=None, after=None):
        """Write ``creates`` and ``updates`` (rows), refused (``PermissionDenied``) if the user's rights
        changed since ``may_add``/``may_change`` were read; ``before()`` runs first in the transaction
        (an import job's run checks it still holds the job), ``more(now, alias)`` after the inserts
        (an import's lists of related records, its ``after_write``), ``after()`` last (the job marked
        written in the same transaction as its rows)."""
        model, user = self.model, self.user
        alias = router.db_for_write(model)
        with transaction.atomic(using=alias), audit.actor(user, self.source):
            if before is not None:
                before()
            # The rights are read again inside the transaction that writes.
            if creates and permission_filter(user, model, "add") != may_add:
                raise PermissionDenied
            if updates and permission_filter(user, model, "change") != may_change:
                raise PermissionDenied
            now = timezone.now()
            # Updates first: they may free a unique value a new record takes (the previous
            # secretary's term ended in the same file as the next one begins).
            if updates:
                for row in updates:
                    row.obj.pk = row.pk
                self.update(updates, now, alias)
                self.log_updates(updates, now, alias)
            objs = [row.obj for row in creates]
            if objs:
                self.insert(objs, now, alias)
                audit.log_bulk_create(model, objs)
            if more:
                more(now, alias)
            search.reindex(model, [row.obj for row in (*creates, *updates)],
                           changed={row.pk: set(row.changes) for row in updates})
            if after is not None:
                after()

    def insert(self, objs, now, alias):
        model = self.model
        ids = bulk.reserve_ids(model, len(objs), alias)
        fields = list(model._meta.concrete_fields)
        stamped = [f.attname for f in fields if getattr(f, "auto_now", False) or getattr(f, "auto_now_add", False)]
        for obj, pk in zip(objs, ids):
            obj.pk = pk
            for attname in stamped:
                obj.__dict__[attname] = now
            obj._state.adding = False
            obj._state.db = alias
        columns = [f.attname for f in fields]
        bulk.insert_rows(model, columns, [tuple(obj.__dict__.get(c) for c in columns) for obj in objs], using=alias)

    def update(self, rows, now, alias):
        """Write the ``written`` fields of changed records (``bulk.update_rows``)."""
        bulk.update_rows(self.model, self.written, [row.obj for row in rows], using=alias, now=now)

    def log_updates(self, rows, now, alias):
        """One change-log entry per changed record: the changed fields before and after."""
        user, source = self.user, self.source[:100]
        content_type = ContentType.objects.get_for_model(self.model).pk
        entries = []
        for row in rows:
            before = audit.serialize(row.obj, {a: b for a, (b, _after) in row.changes.items()})
            after = audit.serialize(row.obj, {a: v for a, (_before, v) in row.changes.items()})
            if row.m2m_before:
                before.update(row.m2m_before)
                after.update({k: row.m2m[k] for k in row.m2m_before})
            entries.append((now, user.pk, user.username, source, "update", content_type, str(row.pk), str(row.obj)[:200],
                            township_id_of(row.obj), county_id_of(row.obj), before, after))
        bulk.insert_rows(ObjectChange, LOG_COLUMNS, entries, using=alias)
