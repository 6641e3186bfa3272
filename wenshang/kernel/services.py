"""Writes with rules, shared by forms, imports, the API and commands (HackSoft style)."""
from django.core.exceptions import PermissionDenied
from django.db import router, transaction

from wenshang.kernel import pipeline
from wenshang.kernel.scope import can


def save_scoped(obj, *, user, validate=True):
    """Validate and save ``obj`` as ``user``, in one transaction, so that nobody can write
    outside their reach: the record as it was must be theirs to change, the record as it will
    be must be theirs to add or change, and the saved row is checked again before commit
    (``PermissionDenied`` rolls everything back)."""
    action = "change" if obj.pk and not obj._state.adding else "add"
    with transaction.atomic():
        if action == "change":
            # no ordering: a default ordering through a nullable relation would be an outer join,
            # which PostgreSQL does not lock (FOR UPDATE)
            stored = type(obj)._base_manager.select_for_update().filter(pk=obj.pk).order_by("pk").first()
            if stored is None or not can(user, "change", stored):
                raise PermissionDenied
        if not can(user, action, obj):
            raise PermissionDenied
        if validate:
            obj.full_clean()
        # What the save writes without waiting (its change-log row, the figures' writes) goes with
        # the check that follows it (wenshang.kernel.pipeline).
        with pipeline.pipelined(router.db_for_write(type(obj), instance=obj)):
            obj.save()
            if not can(user, "change", obj):
                raise PermissionDenied
    return obj


def delete_scoped(obj, *, user):
    with transaction.atomic():
        if not can(user, "delete", obj):
            raise PermissionDenied
        obj.delete()
