"""The change log: every create, update and delete of a ``BaseModel`` record is written to
``ObjectChange`` with the acting user, the source (web, api, command:…, task:…), and the values
before and after. Requests set the actor in ``AuditMiddleware``; Celery tasks in the ``task_prerun``
and ``task_postrun`` handlers below (connected when the app is ready, ``WenshangConfig.ready``);
management commands use ``actor(...)`` or are named from ``sys.argv``.

Bulk paths (``bulk_create`` bypasses signals) call ``log_bulk_create`` so they are recorded too.

Every change logged, single or in bulk, is also sent to ``wenshang.kernel.changes.records_changed``
(with where the record lies, before and after), in the same transaction: what is derived from the
records (the figures' aggregates, the dashboards' cache) follows every write path from there.
"""
import sys
from contextlib import contextmanager
from contextvars import ContextVar

from celery.signals import task_postrun, task_prerun
from django.contrib.contenttypes.models import ContentType
from django.core.serializers.json import DjangoJSONEncoder
from django.db import connections, models
from django.db.models.signals import m2m_changed, post_delete, post_save, pre_delete
from django.db.models.sql import InsertQuery
from django.dispatch import receiver
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from wenshang.kernel import bulk, changes, pipeline
from wenshang.kernel.bulk import insert_rows
from wenshang.kernel.models import BaseModel, ObjectChange
from wenshang.kernel.scope import county_id_of, county_path, ids_along, township_id_of

_actor = ContextVar("wenshang_audit_actor", default=None)
SKIP_FIELDS = {"created_at", "updated_at"}
_encoder = DjangoJSONEncoder()


def push_actor(user=None, source="system"):
    return _actor.set((user, source))


def pop_actor(token):
    _actor.reset(token)


_task_tokens = {}


@task_prerun.connect
def _audit_task_start(task_id=None, task=None, **kwargs):
    """Changes made by a Celery task are recorded in the change log as made by that task."""
    _task_tokens[task_id] = push_actor(user=None, source=f"task:{task.name}")


@task_postrun.connect
def _audit_task_end(task_id=None, **kwargs):
    token = _task_tokens.pop(task_id, None)
    if token is not None:
        pop_actor(token)


@contextmanager
def actor(user=None, source="system"):
    """Record the changes made inside this block as made by ``user`` from ``source``."""
    token = push_actor(user, source)
    try:
        yield
    finally:
        pop_actor(token)


def _default_source():
    argv = sys.argv or []
    if len(argv) > 1 and argv[0].endswith("manage.py"):
        return f"command:{argv[1]}"
    return "system"


def current_actor():
    value = _actor.get()
    if value is None:
        return None, _default_source()
    user, source = value
    if callable(user) and not hasattr(user, "pk"):
        user = user()
    if user is not None and not getattr(user, "is_authenticated", False):
        user = None
    return user, source


class AuditMiddleware:
    """Requests: changes are made by the logged-in user, source ``web`` or ``api``."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        source = "api" if request.path.startswith("/api/") else "web"
        with actor(lambda: getattr(request, "user", None), source):
            return self.get_response(request)


# -- who made a change, as a person would write it (the record pages' change history) -------------
# Management commands that write records: their name in the history (others: 系统：命令 <name>).
COMMAND_NAMES = {
    "load_demo": gettext_lazy("demo data import"),
    "create_api_token": gettext_lazy("API token creation"),
    "figures": gettext_lazy("figures computation"),
    "generate_report": gettext_lazy("survey report generation"),
    "purge_imports": gettext_lazy("purge of old imports"),
    "migrate": gettext_lazy("database migration"),
}
IMPORT_PREFIX = "import:"


def import_source(file_name):
    """The source of the changes of a spreadsheet import: ``import:<file name>`` (who imported it
    is the entry's user)."""
    return f"{IMPORT_PREFIX}{file_name}"[:100]


def user_label(user, user_name=""):
    if user is None:
        return user_name
    return f"{user.last_name}{user.first_name}".strip() or user.username  # 张伟: family name first


def actor_label(entry):
    """The author of a change-log entry as the county office writes it: 系统：演示数据导入,
    导入：农户.xlsx（张三）, 接口：省乡村振兴平台, or the user's name for a change made on the pages."""
    source = entry.source or ""
    user = entry.user if entry.user_id else None
    who = user_label(user, entry.user_name)
    kind, _sep, detail = source.partition(":")
    if kind == "command":
        name = COMMAND_NAMES.get(detail)
        if name is None:
            return _("System: command %(name)s") % {"name": detail}
        return _("System: %(name)s") % {"name": name}
    if kind == "task":
        return _("System: background task %(name)s") % {"name": detail}
    if kind == "import":
        return _("Import: %(file)s (%(user)s)") % {"file": detail, "user": who or _("unknown")}
    if kind == "api":
        token = getattr(user, "api_token", None) if user is not None and user.is_api_client else None
        return _("API: %(client)s") % {"client": token.name if token is not None else (detail or who)}
    if source == "system" and not who:
        return _("System")
    return who or source


def _json(value):
    if value is None or isinstance(value, (str, int, float, bool)):
        return value
    return _encoder.default(value) if not isinstance(value, (list, dict)) else value


def serialize(obj, values=None):
    """The concrete field values of a record (by attname), JSON-ready.

    Deferred fields (``only()``/``defer()``) are left out: they were not loaded, a save does not
    write them, and reading them would cost a query each."""
    data = {}
    deferred = obj.get_deferred_fields() if values is None else ()
    for field in obj._meta.concrete_fields:
        if field.name in SKIP_FIELDS:
            continue
        if values is not None:
            if field.attname not in values:
                continue
            value = values[field.attname]
        else:
            if field.attname in deferred:
                continue
            value = field.value_from_object(obj)
        data[field.attname] = _json(value)
    return data


def _is_audited(sender):
    return isinstance(sender, type) and issubclass(sender, BaseModel) and not sender._meta.abstract


def _insert(entry, using):
    """INSERT the change-log ``entry`` (nobody reads its id): with the next statement of the write
    (``wenshang.kernel.pipeline``) within a save, at once elsewhere."""
    connection = connections[using]
    fields = [f for f in ObjectChange._meta.local_concrete_fields if not f.primary_key]
    query = InsertQuery(ObjectChange)
    query.insert_values(fields, [entry])
    [(sql, params)] = query.get_compiler(connection=connection).as_sql()
    pipeline.send(connection, sql, params)


def _write(obj, action, before, after):
    user, source = current_actor()
    township, county = township_id_of(obj), county_id_of(obj)
    entry = ObjectChange(
        user=user,
        user_name=getattr(user, "username", "") if user else "",
        source=source[:100],
        action=action,
        content_type=ContentType.objects.get_for_model(type(obj)),
        object_id=str(obj.pk),
        object_repr=str(obj)[:200],
        township_id=township,
        county_id=county,
        prechange_data=before,
        postchange_data=after,
    )
    _insert(entry, obj._state.db or "default")
    model = type(obj)
    places = {(township, county)}
    if before is not None and after is not None:
        places.add(_place_before(model, before, after, (township, county)))
    changes.notify(model, [changes.Change(obj.pk, action, before, after, frozenset(places))], obj._state.db or "default")


# -- where a changed record was: the change log's rows, heard by the records' derived data ----------
def _place_before(model, before, after, now):
    """(township, county) of a record before an update: ``now`` unless the update changed the first
    link of its scope or county path (then read along the rest of the path, one query each)."""
    place = list(now)
    lookups = {}  # (related model, id) -> {index: the rest of the path}: one query per related record
    for i, path in enumerate((getattr(model, "scope_path", None), county_path(model))):
        if not path or path == "pk":
            continue
        first, _sep, rest = path.partition("__")
        field = model._meta.get_field(first)
        if not field.concrete:
            continue  # a reverse relation (a city's counties): nothing of the record itself moved
        if field.attname not in before or before[field.attname] == after.get(field.attname):
            continue
        value = before[field.attname]
        place[i] = value
        if value is not None and rest:
            lookups.setdefault((field.related_model, value), {})[i] = rest
    for (related, value), rests in lookups.items():
        found = related._base_manager.filter(pk=value).values_list(*rests.values()).first() or [None] * len(rests)
        for i, found_value in zip(rests, found):
            place[i] = found_value
    return tuple(place)


def _logged_in_bulk(sender, columns, rows, using, **kwargs):
    """Change-log rows written in bulk (``log_bulk_create``, the imports): one notice per model."""
    index = {c: i for i, c in enumerate(columns)}
    at = {name: index.get(name) for name in ("township_id", "county_id", "prechange_data", "postchange_data")}
    by_type = {}
    for row in rows:
        by_type.setdefault(row[index["content_type_id"]], []).append(row)

    def get(row, name):
        return row[at[name]] if at[name] is not None else None

    for content_type_id, entries in by_type.items():
        model = ContentType.objects.get_for_id(content_type_id).model_class()
        if model is None:
            continue
        pk_field = model._meta.pk
        found = []
        for row in entries:
            before, after = get(row, "prechange_data"), get(row, "postchange_data")
            now = (get(row, "township_id"), get(row, "county_id"))
            places = {now}
            if before is not None and after is not None:
                places.add(_place_before(model, before, after, now))
            found.append(changes.Change(pk_field.to_python(row[index["object_id"]]), row[index["action"]], before, after,
                                        frozenset(places)))
        changes.notify(model, found, using)


bulk.inserted.connect(_logged_in_bulk, sender=ObjectChange, dispatch_uid="audit-logged-in-bulk")


@receiver(post_save)
def _log_save(sender, instance, created, raw=False, update_fields=None, **kwargs):
    if raw or not _is_audited(sender):
        return
    after = serialize(instance)
    written = None
    if update_fields and not created:
        written = {instance._meta.get_field(name).attname for name in update_fields}
        after = {k: v for k, v in after.items() if k in written}
    before = None
    loaded = getattr(instance, "_loaded_values", None)
    if not created and loaded is not None:
        before = serialize(instance, loaded)
        if written is not None:
            before = {k: v for k, v in before.items() if k in written}
        else:
            after = {k: v for k, v in after.items() if k in before}  # fields never loaded were not saved either
    if before is not None and before == after:
        return
    _write(instance, "create" if created else "update", before, after)
    deferred = instance.get_deferred_fields()
    current = {
        f.attname: f.value_from_object(instance) for f in instance._meta.concrete_fields if f.attname not in deferred
    }
    if written is not None and loaded is not None:
        loaded.update({k: v for k, v in current.items() if k in written})
    else:
        instance._loaded_values = current


@receiver(pre_delete)
def _load_before_delete(sender, instance, **kwargs):
    """Load deferred fields while the row still exists, so the delete entry records every value
    (after the delete they can no longer be loaded)."""
    if not _is_audited(sender):
        return
    deferred = instance.get_deferred_fields()
    if deferred:
        instance.refresh_from_db(fields=list(deferred))


@receiver(post_delete)
def _log_delete(sender, instance, **kwargs):
    if not _is_audited(sender):
        return
    _write(instance, "delete", serialize(instance), None)


def _m2m_field(model, through):
    for field in model._meta.many_to_many:
        if field.remote_field.through is through:
            return field
    return None


def _write_m2m(obj, field):
    after = {field.name: sorted(getattr(obj, field.name).values_list("pk", flat=True))}
    _write(obj, "update", None, after)


@receiver(m2m_changed)
def _log_m2m(sender, instance, action, reverse, model, pk_set, **kwargs):
    """An update of the record that declares the field, from either side of the relation."""
    if action not in ("pre_clear", "post_add", "post_remove", "post_clear"):
        return
    if action in ("post_add", "post_remove") and not pk_set:
        return  # nothing added (already there) or removed
    owner = model if reverse else type(instance)
    if not _is_audited(owner):
        return
    field = _m2m_field(owner, sender)
    if field is None:
        return
    if not reverse:
        if action != "pre_clear":
            _write_m2m(instance, field)
        return
    # The reverse side (village.projects.add(project)): each record on the declaring side changed.
    if action == "pre_clear":
        accessor = field.remote_field.get_accessor_name()
        instance._audit_m2m_cleared = list(getattr(instance, accessor).values_list("pk", flat=True))
        return
    pks = instance.__dict__.pop("_audit_m2m_cleared", []) if action == "post_clear" else pk_set
    for obj in owner._base_manager.filter(pk__in=pks).order_by("pk"):
        _write_m2m(obj, field)


def log_bulk_create(model, objs):
    """Record a create for each of ``objs`` (already saved by a bulk path), in bulk."""
    if not objs:
        return 0
    user, source = current_actor()
    user_id, user_name = (user.pk, user.username) if user else (None, "")
    content_type_id = ContentType.objects.get_for_model(model).pk
    townships, counties = _bulk_places(model, objs)
    now = timezone.now()
    source = source[:100]
    columns = [
        "time", "user_id", "user_name", "source", "action", "content_type_id", "object_id", "object_repr",
        "township_id", "county_id", "prechange_data", "postchange_data",
    ]
    rows = [
        (now, user_id, user_name, source, "create", content_type_id, str(obj.pk), str(obj)[:200], townships(obj), counties(obj),
         None, serialize(obj))
        for obj in objs
    ]
    insert_rows(ObjectChange, columns, rows)
    return len(rows)


def _bulk_townships(model, objs):
    """A function obj -> township id for many objects of one model, with at most one query."""
    return _bulk_ids(model, objs, getattr(model, "scope_path", None))


def _bulk_places(model, objs):
    """(obj -> township id, obj -> county id) for many objects of one model, with at most one query:
    the township and its county are read together when the county lies beyond the township."""
    township, county = getattr(model, "scope_path", None), county_path(model)
    if township and county == f"{township}__county" and "__" in township:
        field = model._meta.get_field(township.split("__")[0])
        rest = township.split("__", 1)[1]
        ids = {getattr(obj, field.attname) for obj in objs} - {None}
        rows = field.related_model._base_manager.filter(pk__in=ids).values_list("pk", rest, f"{rest}__county")
        places = {pk: (t, c) for pk, t, c in rows}
        return (lambda obj: places.get(getattr(obj, field.attname), (None, None))[0],
                lambda obj: places.get(getattr(obj, field.attname), (None, None))[1])
    return _bulk_townships(model, objs), _bulk_ids(model, objs, county)


def _bulk_ids(model, objs, path):
    """A function obj -> the id at the end of ``path`` for many objects of one model, with at most one query."""
    return ids_along(model, objs, path)


__all__ = ["AuditMiddleware", "actor", "actor_label", "current_actor", "import_source", "log_bulk_create", "models", "serialize"]
