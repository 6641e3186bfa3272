"""Writes with rules, shared by forms, imports, the API and commands (HackSoft style)."""
from django.core.exceptions import PermissionDenied
from django.db import transaction

from .scope import can


def save_scoped(obj, *, user, action=None):
    """Validate, save and check that ``user`` may hold the result, all in one transaction.

    Nobody can move a record out of their reach: if the saved object is not in the user's
    ``change`` scope the transaction is rolled back and ``PermissionDenied`` raised.
    """
    action = action or ("change" if obj.pk else "add")
    with transaction.atomic():
        if obj.pk and not can(user, "change", type(obj)._base_manager.get(pk=obj.pk)):
            raise PermissionDenied
        obj.full_clean()
        obj.save()
        if not can(user, "change", obj):
            raise PermissionDenied
    return obj


def delete_scoped(obj, *, user):
    with transaction.atomic():
        if not can(user, "delete", obj):
            raise PermissionDenied
        obj.delete()
