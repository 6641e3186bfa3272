"""Scope and roles: the single place that decides what a user may read or change.

Every model of the three chains says where its township is (``scope_path``, a lookup from the
model to ``villages.Township``; ``None`` for county-level catalogues such as recruiting stations)
and where its county is (``county_path``, a lookup to ``villages.County``: declared by the models
that hold a county of their own — the county-level catalogues and the records whose township may
be empty —, otherwise ``f"{scope_path}__county"``; see ``county_path()``). Its city is the
county's (``city_path()``). ``Model.objects.restrict(user, action)`` applies the rules below;
views, form choices, the API, exports, reports, search and the admin all go through it.

A user's scope is the narrowest of their township, county and city that is set (a township's user
has its county, a county's user its city: ``User.clean()``/``save()`` keep them so); none set means
every record of the portal (a superuser, a deployment's administrator):

- township: the records of their township; the county-wide rows (no township) of their county
  that the model shares (``scope_null_visible``, e.g. county-wide alliances and enterprises) and
  their county's catalogues (read only);
- county: the records whose county is theirs;
- city: the records whose county belongs to their city.

Roles (``wenshang.kernel.choices.Role``), within that scope:

- county administrator: reads and changes everything in scope;
- county official: reads everything in scope, changes nothing;
- department editor: reads everything in scope, changes the records of their domain (one app);
- township staff: reads and changes the records of their own township only; county-level
  catalogues (no township) they may read but not change.

Some models let township staff write only the rows that name one of their villages
(``township_writes_need = "village"``: the annual targets; a township's own target is the
county's to set), while they read the rest of their township's rows.

Some models are changed only by county administrators whatever the scope (``admin_only``: users,
the county and its townships; a city, ``above_county``, by a city's or the deployment's only); some
are not even read by others (``admin_view_only``: the API
tokens, the log of who saw personal data); the change log is changed by nobody (``scope_editable = False``).

The kernel names no app: models are reached by their lookups only.
"""
from dataclasses import dataclass

from django.db import models
from django.db.models import Q

from wenshang.kernel import changes
from wenshang.kernel.choices import Role

ACTIONS = ("view", "add", "change", "delete")


# -- where a model's county is -------------------------------------------------------------------
def county_path(model):
    """The lookup from ``model`` to its county (``"pk"`` for the county itself), or None (a city,
    a model of no county)."""
    declared = getattr(model, "county_path", None)
    if declared:
        return declared
    path = getattr(model, "scope_path", None)
    if not path:
        return None
    return "county" if path == "pk" else f"{path}__county"


def city_path(model):
    """The lookup from ``model`` to its city (declared ``city_path``, or the county's city)."""
    declared = getattr(model, "city_path", None)
    if declared:
        return declared
    path = county_path(model)
    if not path:
        return None
    return "city" if path == "pk" else f"{path}__city"


def value_at(obj, path):
    """The id at the end of ``path`` walked on ``obj`` in memory (``"pk"``: the object's own), or None
    when a link on the way is empty. Related objects already loaded are not fetched again."""
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
    last = parts[-1]
    if last == "pk":
        return current.pk
    field = current._meta.get_field(last)
    if not field.concrete:
        return None  # a reverse relation (a city's counties): no single value
    return getattr(current, field.attname if field.is_relation else last, None)


def township_id_of(obj):
    """The township a record belongs to, by walking its ``scope_path`` (None for county level)."""
    return value_at(obj, getattr(type(obj), "scope_path", None))


def county_id_of(obj):
    """The county a record belongs to, by walking its ``county_path`` (None when it has none)."""
    return value_at(obj, county_path(type(obj)))


def city_id_of(obj):
    """The city a record belongs to, by walking its ``city_path`` (None when it has none)."""
    return value_at(obj, city_path(type(obj)))


def ids_along(model, objs, path):
    """A function obj -> the id at the end of ``path`` for many objects of one model, with at most
    one query (the first link's records, with the rest of the path)."""
    if not path:
        return lambda obj: None
    if path == "pk":
        return lambda obj: obj.pk
    parts = path.split("__")
    field = model._meta.get_field(parts[0])
    if not field.concrete:
        return lambda obj: None  # a reverse relation (a city's counties): no single value
    if len(parts) == 1:
        return lambda obj: getattr(obj, field.attname)
    ids = {getattr(obj, field.attname) for obj in objs} - {None}
    mapping = dict(field.related_model._base_manager.filter(pk__in=ids).values_list("pk", "__".join(parts[1:])))
    return lambda obj: mapping.get(getattr(obj, field.attname))


# -- the user's scope -----------------------------------------------------------------------------
@dataclass(frozen=True)
class Scope:
    """A user's scope: ``level`` is "township", "county", "city" or None (everything), with the ids of
    the levels that are set (a township's scope has its county and, when there is one, its city:
    ``User.save()`` keeps them so)."""

    level: object = None
    township_id: object = None
    county_id: object = None
    city_id: object = None


def scope_of(user):
    """The ``Scope`` of ``user`` (an unscoped ``Scope()`` for superusers and users of no level)."""
    if user is None or getattr(user, "is_superuser", False):
        return Scope()
    township_id = getattr(user, "township_id", None)
    county_id = getattr(user, "county_id", None)
    city_id = getattr(user, "city_id", None)
    if township_id and not county_id:  # a row written around User.save(): its township tells its county
        county_id = user.township.county_id
    level = "township" if township_id else "county" if county_id else "city" if city_id else None
    return Scope(level, township_id, county_id, city_id)


NOTHING = Q(pk__in=[])


def _area(user, model, scope):
    """The rows of ``model`` inside ``scope`` (county or city level): a Q, or False without a path."""
    if scope.level == "county" and county_path(model):
        return Q(**{county_path(model): scope.county_id})
    return _in_city(model, scope)


def _in_city(model, scope):
    """The rows of ``model`` in the scope's city (a county's users read their city, not others)."""
    path = city_path(model)
    if not path:
        return False
    return Q(**{path: scope.city_id}) if scope.city_id else NOTHING


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
    scope = scope_of(user)
    if scope.level is None:
        return True
    if action != "view" and getattr(model, "above_county", False) and scope.level in ("county", "township"):
        return False  # a county's users read their city, they do not change it
    if scope.level != "township":
        return _area(user, model, scope)
    path = getattr(model, "scope_path", None)
    county = county_path(model)
    in_county = Q(**{county: scope.county_id}) if county and scope.county_id else None
    if path is None:  # a catalogue of the county (or a city): read, never changed, by township staff
        if action != "view":
            return False
        if in_county is not None:
            return in_county
        return _in_city(model, scope)
    q = Q(**{path: user.township_id})
    if action == "view" and getattr(model, "scope_null_visible", False):
        shared = Q(**{f"{path}__isnull": True})
        q |= (shared & in_county) if in_county is not None else shared
    needed = getattr(model, "township_writes_need", None)
    if action != "view" and needed:
        q &= Q(**{f"{needed}__isnull": False})
    return q


def _in_scope(user, obj, action):
    """Whether ``obj`` as it is in memory would lie in ``user``'s scope (read in memory)."""
    model = type(obj)
    scope = scope_of(user)
    if scope.level == "county":
        return county_path(model) is not None and county_id_of(obj) == scope.county_id
    if scope.level == "city":
        return city_path(model) is not None and city_id_of(obj) == scope.city_id
    township = township_id_of(obj)
    if township is not None:
        return township == user.township_id
    if action != "view":
        return False
    shared = getattr(model, "scope_path", None) is None or getattr(model, "scope_null_visible", False)
    if not shared:
        return False
    if county_path(model) is not None and scope.county_id:
        return county_id_of(obj) == scope.county_id
    return city_path(model) is not None and scope.city_id is not None and city_id_of(obj) == scope.city_id


def can(user, action, model_or_obj):
    """May ``user`` do ``action`` on this model (any row) or on this object?

    An unsaved object is judged by the township and county it would belong to (its ``scope_path``
    and ``county_path`` read in memory), so a form can ask before anything is written.
    """
    if isinstance(model_or_obj, models.Model):
        obj = model_or_obj
        allowed = permission_filter(user, type(obj), action)
        if isinstance(allowed, bool):
            return allowed
        if obj.pk is None or obj._state.adding:
            return can_hold(user, action, obj)
        return type(obj)._base_manager.filter(allowed, pk=obj.pk).exists()
    return permission_filter(user, model_or_obj, action) is not False


def can_hold(user, action, obj):
    """May ``user`` do ``action`` on ``obj`` as it is in memory, saved or not: its township and county
    read along its paths from its values and the related records loaded with it (a batch's new
    values, before they are written; ``can`` reads a saved record as stored)."""
    allowed = permission_filter(user, type(obj), action)
    if isinstance(allowed, bool):
        return allowed
    needed = getattr(type(obj), "township_writes_need", None)
    if action != "view" and needed and getattr(obj, type(obj)._meta.get_field(needed).attname) is None:
        return False
    return _in_scope(user, obj, action)


class RestrictedQuerySet(models.QuerySet):
    def restrict(self, user, action="view"):
        allowed = permission_filter(user, self.model, action)
        if allowed is True:
            return self
        if allowed is False:
            return self.none()
        return self.filter(allowed)

    def update(self, **kwargs):
        """The queryset update, reported to ``wenshang.kernel.changes`` (rows before and after, with
        their township and county) when something derived from those fields listens."""
        paths = (getattr(self.model, "scope_path", None), county_path(self.model))
        return changes.updated(self, kwargs, super().update, place_paths=paths)

    def bulk_create(self, objs, *args, **kwargs):
        """``bulk_create``, its records reported to ``wenshang.kernel.changes`` (with their township
        and county) when something derived from them listens."""
        made = super().bulk_create(objs, *args, **kwargs)
        model = self.model

        def places(saved):
            return ids_along(model, saved, getattr(model, "scope_path", None)), ids_along(model, saved, county_path(model))

        changes.created(self, made, places)
        return made
