"""Scope and roles: the single place that decides what a user may read or change.

Every model of the three chains says where its township is (``scope_path``, a lookup from the
model to ``villages.Township``; ``None`` for county-level catalogues such as recruiting stations).
``Model.objects.restrict(user, action)`` applies the rules below; views, form choices, the API,
exports, reports and the admin all go through it.

Roles (``wenshang.kernel.choices.Role``), combined with the user's scope (the county, or one township):

- county administrator: reads and changes everything in scope;
- county official: reads everything in scope, changes nothing;
- department editor: reads everything in scope, changes the records of their domain (one app);
- township staff: reads and changes the records of their own township only; county-level
  catalogues (no township) they may read but not change.

A township-scoped user reads a record whose township is empty only when the model says such
records are shared (``scope_null_visible``, e.g. county-wide alliances and enterprises).

Some models let township staff write only the rows that name one of their villages
(``township_writes_need = "village"``: the annual targets; a township's own target is the
county's to set), while they read the rest of their township's rows.

Some models are changed only by county administrators whatever the scope (``admin_only``: users,
the county and its townships); some are not even read by others (``admin_view_only``: the API
tokens, the log of who saw personal data); the change log is changed by nobody (``scope_editable = False``).
"""
from django.db import models
from django.db.models import Q

from wenshang.kernel.choices import Role

ACTIONS = ("view", "add", "change", "delete")


def permission_filter(user, model, action):
    """True (all rows), False (no row) or a Q of the rows ``user`` may ``action`` on ``model``."""
    if action not in ACTIONS:
        raise ValueError(f"unknown action {action!r}")
    if user is None or not user.is_authenticated or not user.is_active:
        return False
    if not getattr(model, "scope_editable", True) and action != "view":
        return False  # read-only for everyone, superusers included (the change log)
    if user.is_superuser:
        return True
    role = getattr(user, "role", None)
    if role not in Role.values:
        return False
    if getattr(model, "admin_view_only", False) and role != Role.ADMIN:
        return False  # not even read by others (the API tokens)
    if action != "view":
        if getattr(model, "admin_only", False) and role != Role.ADMIN:
            return False
        if role == Role.OFFICIAL:
            return False
        if role == Role.EDITOR and model._meta.app_label != user.domain:
            return False
        if role == Role.TOWNSHIP and not user.township_id:
            return False
    if role == Role.TOWNSHIP and not user.township_id:
        return False
    if not user.township_id:
        return True
    path = getattr(model, "scope_path", None)
    if path is None:
        return action == "view"
    q = Q(**{path: user.township_id})
    if action == "view" and getattr(model, "scope_null_visible", False):
        q |= Q(**{f"{path}__isnull": True})
    needed = getattr(model, "township_writes_need", None)
    if action != "view" and needed:
        q &= Q(**{f"{needed}__isnull": False})
    return q


def township_id_of(obj):
    """The township a record belongs to, by walking its ``scope_path`` (None for county level)."""
    path = getattr(type(obj), "scope_path", None)
    if not path:
        return None
    if path == "pk":
        return obj.pk
    parts = path.split("__")
    current = obj
    for part in parts[:-1]:
        current = getattr(current, part, None)
        if current is None:
            return None
    return getattr(current, f"{parts[-1]}_id", None)


def can(user, action, model_or_obj):
    """May ``user`` do ``action`` on this model (any row) or on this object?

    An unsaved object is judged by the township it would belong to (its ``scope_path`` read
    in memory), so a form can ask before anything is written.
    """
    if isinstance(model_or_obj, models.Model):
        obj = model_or_obj
        allowed = permission_filter(user, type(obj), action)
        if isinstance(allowed, bool):
            return allowed
        if obj.pk is None or obj._state.adding:
            township = township_id_of(obj)
            needed = getattr(type(obj), "township_writes_need", None)
            if action != "view" and needed and getattr(obj, type(obj)._meta.get_field(needed).attname) is None:
                return False
            return township == user.township_id or (
                township is None and action == "view" and getattr(type(obj), "scope_null_visible", False)
            )
        return type(obj)._base_manager.filter(allowed, pk=obj.pk).exists()
    return permission_filter(user, model_or_obj, action) is not False


class RestrictedQuerySet(models.QuerySet):
    def restrict(self, user, action="view"):
        allowed = permission_filter(user, self.model, action)
        if allowed is True:
            return self
        if allowed is False:
            return self.none()
        return self.filter(allowed)
