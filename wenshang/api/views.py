"""The API's views: one ``ModelViewSet`` per entity, made from its ``ModelViews`` (``viewset_for``),
the figures, and the error format every response shares.

Errors always look alike, whatever went wrong::

    {"status": 400, "code": "invalid", "message": "提交的数据有误：…", "errors": {"amount": ["…"]}}

``errors`` is present for invalid data (field → messages; ``non_field_errors`` for the record as
a whole); bulk requests add ``items``: ``[{"index": 3, "errors": {…}}]``.
"""
from django.apps import apps as django_apps
from django.conf import settings
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import models, transaction
from django.db.models import Prefetch
from django.http import Http404, JsonResponse
from django.urls import Resolver404, resolve
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.defaults import page_not_found
from django.views.defaults import server_error as default_server_error
from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_field
from rest_framework import exceptions, filters, pagination, permissions, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response
from rest_framework.views import APIView
from rest_framework.views import exception_handler as drf_exception_handler

from villages.models import County, Township
from wenshang.api.auth import touch_after
from wenshang.api.idempotency import idempotent
from wenshang.api.models import ApiToken
from wenshang.api.serializers import RelatedField, django_errors, serializer_for
from wenshang.kernel import audit, changes, checks, privacy
from wenshang.kernel.logs import administrators_notified
from wenshang.kernel.models import unique_checked_by_database
from wenshang.kernel.scope import can, can_hold, permission_filter, scope_of
from wenshang.web import batch, figures
from wenshang.web.portal import REGISTRY, ModelViews

ACTIONS = {"GET": "view", "HEAD": "view", "OPTIONS": "view", "POST": "add", "PUT": "change", "PATCH": "change", "DELETE": "delete"}


# -- errors ------------------------------------------------------------------------------------
CODES = {
    400: "invalid",
    401: "not_authenticated",
    403: "permission_denied",
    404: "not_found",
    405: "method_not_allowed",
    406: "not_acceptable",
    413: "too_large",
    415: "unsupported_media_type",
    429: "throttled",
}


def error_body(status_code, message, errors=None, items=None):
    body = {"status": status_code, "code": CODES.get(status_code, "error"), "message": str(message)}
    if errors:
        body["errors"] = errors
    if items:
        body["items"] = items
    return body


def _first_message(detail):
    if isinstance(detail, dict):
        for value in detail.values():
            return _first_message(value)
    if isinstance(detail, list) and detail:
        return _first_message(detail[0])
    return str(detail)


def exception_handler(exc, context):
    """DRF's handler, answering every error in the shared format."""
    if isinstance(exc, DjangoValidationError):
        exc = exceptions.ValidationError(django_errors(exc))
    elif isinstance(exc, DjangoPermissionDenied):
        exc = exceptions.PermissionDenied(str(exc) or None)
    elif isinstance(exc, Http404):  # get_object_or_404's English "No Loan matches the given query."
        exc = exceptions.NotFound(_("There is no such record, or it is not within your scope."))
    elif isinstance(exc, exceptions.NotAuthenticated):
        original = exc
        exc = exceptions.NotAuthenticated(_("Send your token in a header: Authorization: Bearer <token>."))
        exc.status_code = original.status_code  # set by DRF: 401 with a WWW-Authenticate header
        if hasattr(original, "auth_header"):
            exc.auth_header = original.auth_header
    elif isinstance(exc, exceptions.ParseError):
        exc = exceptions.ParseError(_("The body is not valid JSON (%(detail)s).") % {"detail": str(exc.detail).split(" - ", 1)[-1]})
    elif isinstance(exc, exceptions.UnsupportedMediaType):
        exc = exceptions.UnsupportedMediaType(
            exc.detail, _("Send the body as JSON, with the header Content-Type: application/json."))
    response = drf_exception_handler(exc, context)
    if response is None:
        return None
    data = response.data
    if isinstance(exc, exceptions.ValidationError):
        if isinstance(data, list):
            data = {"non_field_errors": data}
        items = getattr(exc, "items", None)  # a bulk request: [{"index": n, "errors": {…}}]
        if items:
            first = _("item %(index)s: %(problem)s") % {"index": items[0]["index"], "problem": _first_message(items[0]["errors"])}
            response.data = error_body(response.status_code, _("The data sent is not valid: %(first)s") % {"first": first}, items=items)
        else:
            message = _("The data sent is not valid: %(first)s") % {"first": _first_message(data)}
            response.data = error_body(response.status_code, message, errors=data)
    else:
        detail = data.get("detail", data) if isinstance(data, dict) else data
        response.data = error_body(response.status_code, detail)
        if isinstance(exc, exceptions.Throttled) and exc.wait:
            response.data["retry_after"] = int(exc.wait)
    return response


class PayloadTooLarge(exceptions.APIException):
    status_code = 413
    default_detail = gettext_lazy("The request is too large.")
    default_code = "too_large"


def not_found(request, exception=None):
    """The 404 of any address under /api/ that is not an endpoint (set as the site's handler404)."""
    if request.path.startswith("/api/"):
        message = _("There is no such endpoint: %(path)s") % {"path": request.path}
        if not request.path.endswith("/"):
            try:
                resolve(request.path + "/")
                message += _(" (addresses end with “/”: %(path)s/)") % {"path": request.path}
            except Resolver404:
                pass
        message += _(" The endpoints are listed at /api/v1/ and described at /api/docs/.")
        return JsonResponse(error_body(404, message), status=404, json_dumps_params={"ensure_ascii": False})
    return page_not_found(request, exception)


def server_error(request):
    """The 500 of the whole site. Under /api/ the answer quotes the request id of the logged error
    (wenshang.kernel.logs), and says the administrator was notified only when somebody is (ADMINS, Sentry)."""
    if request.path.startswith("/api/"):
        request_id = getattr(request, "request_id", "")
        if administrators_notified():
            message = _("Server error (request id %(request_id)s). The error has been recorded and the administrator notified; "
                        "please try again later.") % {"request_id": request_id}
        else:
            message = _("Server error (request id %(request_id)s). The error has been recorded; please try again later, and if "
                        "it happens again tell the portal's administrator the request id.") % {"request_id": request_id}
        body = error_body(500, message)
        body["request_id"] = request_id
        return JsonResponse(body, status=500, json_dumps_params={"ensure_ascii": False})
    return default_server_error(request)


# -- rights ------------------------------------------------------------------------------------
def action_of(request, view):
    """The scope action a request needs: by its method, unless the endpoint's own action says
    otherwise (a grid event's next step is a change, though it is POSTed)."""
    return getattr(view, "scope_actions", {}).get(getattr(view, "action", None)) or ACTIONS.get(request.method, "change")


class ScopedPermission(permissions.BasePermission):
    """The rights of the pages: ``wenshang.kernel.scope.can`` for the model, then for the record; a
    read-only token never writes."""

    def has_permission(self, request, view):
        user = request.user
        if not (user and user.is_authenticated):
            return False
        action_name = action_of(request, view)
        if action_name != "view" and isinstance(request.auth, ApiToken) and request.auth.read_only:
            self.message = _("This token is read-only: it may not add, change or delete records.")
            return False
        model = getattr(view, "model", None)
        if model is not None and not can(user, action_name, model):
            self.message = _("You may not %(action)s %(what)s.") % {
                "action": {"view": _("read"), "add": _("add"), "change": _("change"), "delete": _("delete")}[action_name],
                "what": model._meta.verbose_name_plural,
            }
            return False
        return True

    def has_object_permission(self, request, view, obj):
        action_name = action_of(request, view)
        if action_name == "view":
            return True  # the queryset holds only what the caller may read
        if not can(request.user, action_name, obj):
            self.message = _("You may not %(action)s this record.") % {"action": {"change": _("change"), "delete": _("delete")}.get(action_name, action_name)}
            return False
        return True


# -- pages of results --------------------------------------------------------------------------
class CursorPagination(pagination.CursorPagination):
    """``next``/``previous`` links, no ``COUNT(*)``: as fast on page 2,000 of the parcels as on page 1."""

    ordering = ("id",)
    page_size = 100
    page_size_query_param = "page_size"
    max_page_size = 1000
    page_size_query_description = gettext_lazy("Records per page (1–1000, 100 by default).")
    cursor_query_description = gettext_lazy("The page to read: take it from the “next” or “previous” link of the answer.")

    def get_page_size(self, request):
        """``page_size`` from 1 to ``max_page_size``; anything else is a 400 (never silently 100 or 1000)."""
        raw = request.query_params.get(self.page_size_query_param)
        if raw in (None, ""):
            return self.page_size
        if not (raw.isascii() and raw.isdigit()) or not 1 <= int(raw) <= self.max_page_size:
            raise exceptions.ValidationError({self.page_size_query_param: [
                _("Records per page: a whole number from 1 to %(max)s.") % {"max": self.max_page_size}]})
        return int(raw)

    def get_schema_operation_parameters(self, view):
        parameters = super().get_schema_operation_parameters(view)
        for parameter in parameters:
            if parameter["name"] == self.page_size_query_param:
                parameter["schema"].update(minimum=1, maximum=self.max_page_size, default=self.page_size)
        return parameters

    def get_paginated_response_schema(self, schema):
        body = super().get_paginated_response_schema(schema)
        body["properties"]["next"]["description"] = "下一页的地址；没有下一页时为空"
        body["properties"]["previous"]["description"] = "上一页的地址；第一页时为空"
        for name in ("next", "previous"):
            body["properties"][name].pop("example", None)  # DRF's example points at api.example.org
        body["properties"]["results"]["description"] = "本页的记录"
        body["required"] = ["next", "previous", "results"]
        return body


ORDERABLE = (models.CharField, models.DateField, models.IntegerField, models.DecimalField, models.AutoField, models.BigAutoField)


def orderable_fields(model):
    return ["id"] + [
        f.name for f in model._meta.concrete_fields
        if not f.primary_key and not f.is_relation and not f.null and isinstance(f, ORDERABLE) and not isinstance(f, models.BooleanField)
    ]


class OrderingFilter(filters.OrderingFilter):
    """``ordering=field`` or ``-field`` on one field; ``id`` breaks ties so the order is stable."""

    ordering_description = gettext_lazy("Order by one field (“-” first for descending), e.g. -id.")

    def get_ordering(self, request, queryset, view):
        ordering = list(super().get_ordering(request, queryset, view) or ["id"])[:1]
        if ordering[0].lstrip("-") != "id":
            ordering.append("-id" if ordering[0].startswith("-") else "id")
        return ordering


# -- the endpoints -----------------------------------------------------------------------------
class TouchTokenMixin:
    def finalize_response(self, request, response, *args, **kwargs):
        return touch_after(request, super().finalize_response(request, response, *args, **kwargs))


class PortalViewSet(TouchTokenMixin, viewsets.ModelViewSet):
    config = None
    model = None
    permission_classes = [ScopedPermission]
    pagination_class = CursorPagination
    filter_backends = [DjangoFilterBackend, OrderingFilter]
    checks_query = True  # a GET answers 400 for a bad filter, ordering or cursor (the schema lists it)

    def initial(self, request, *args, **kwargs):
        length = request.META.get("CONTENT_LENGTH") or 0
        try:
            length = int(length)
        except ValueError:
            length = 0
        if length > settings.API_MAX_BODY:
            raise PayloadTooLarge(_("The request is %(size)s bytes; at most %(max)s are accepted. Send fewer records per request.")
                                  % {"size": length, "max": settings.API_MAX_BODY})
        super().initial(request, *args, **kwargs)

    def get_queryset(self):
        user = self.request.user
        qs = self.model.objects.restrict(user, "view")
        many = [  # related records listed by id: only those the caller may read
            Prefetch(f.name, queryset=f.related_model._default_manager.restrict(user, "view").only("pk"))
            if hasattr(f.related_model._default_manager, "restrict") else f.name
            for f in self.model._meta.many_to_many
        ]
        return qs.prefetch_related(*many) if many else qs

    def create(self, request, *args, **kwargs):
        return idempotent(request, lambda: super(PortalViewSet, self).create(request, *args, **kwargs))

    def list(self, request, *args, **kwargs):
        response = super().list(request, *args, **kwargs)
        self._record_access(response.data.get("results", []), "list")
        return response

    def retrieve(self, request, *args, **kwargs):
        response = super().retrieve(request, *args, **kwargs)
        self._record_access([response.data], "detail")
        return response

    def _record_access(self, rows, where):
        fields = privacy.personal_fields(self.model)
        if fields and rows and privacy.may_see(self.request.user):
            privacy.record_access(self.request.user, self.model, [row["id"] for row in rows], f"api:{where}:{self.config.plural}")

    def perform_destroy(self, instance):
        try:
            self.config.delete_object(instance, self.request.user)
        except (models.ProtectedError, models.RestrictedError) as exc:
            names = sorted({str(o._meta.verbose_name) for o in exc.protected_objects})
            raise Conflict(_("“%(obj)s” cannot be deleted: %(what)s still refer to it.") % {"obj": instance, "what": "、".join(names)}) from None

    # -- bulk create -------------------------------------------------------------------------
    def create_many(self, request):
        """Create many records at once: all of them, or none (every problem is listed by item).
        The ``bulk`` action of the entities with ``api_bulk`` (``viewset_for``)."""
        saved = self._write_all([(None, item) for item in self._items(request)])
        return Response({"created": len(saved), "ids": [obj.pk for obj, _new in saved]}, status=status.HTTP_201_CREATED)

    def upsert_many(self, request):
        """Create or change many records by their natural key (``config.api_natural_key``): each item
        is the whole record; one that names an existing record (of the caller's scope) changes it, the
        others are created. All of them, or none; every problem listed by item."""
        items = self._items(request)
        key = self.config.api_natural_key
        problems, keys, first = [], [], {}
        for index, item in enumerate(items):
            k = None
            if not isinstance(item, dict):
                problems.append({"index": index, "errors": {"non_field_errors": [_("Each item is a JSON object (a record).")]}})
            elif missing := {f: [_("The natural key of the record: required here.")] for f in key if item.get(f) in (None, "")}:
                problems.append({"index": index, "errors": missing})
            else:
                k = tuple(str(item[f]).strip() for f in key)
                if k in first:
                    problems.append({"index": index, "errors": {"non_field_errors": [
                        _("The same record as item %(first)s (the same %(key)s).") % {"first": first[k], "key": "、".join(key)}]}})
                    k = None
                else:
                    first[k] = index
            keys.append(k)
        found = {}  # the records the batch names, in the caller's scope: one query per 500 keys
        wanted = list(first)
        for start in range(0, len(wanted), 500):
            condition = models.Q()
            for k in wanted[start:start + 500]:
                condition |= models.Q(**dict(zip(key, k)))
            for obj in self.get_queryset().filter(condition):
                found[tuple(str(getattr(obj, f)) for f in key)] = obj
        saved = self._write_all([(found.get(k), item) if k is not None else None for k, item in zip(keys, items)], problems)
        return Response({"created": sum(1 for _obj, new in saved if new), "updated": sum(1 for _obj, new in saved if not new),
                         "ids": [obj.pk for obj, _new in saved]}, status=status.HTTP_200_OK)

    def _write_all(self, pairs, problems=None):
        """Validate each (record or None, item) of ``pairs`` (None: an item already found wrong), then save
        them all in one transaction, or none: ``BulkInvalid`` lists every problem by index. Returns
        [(record, created)] in the order sent. An entity saved by the default rule (no service of its
        own, no list of related records) goes through the imports' batch writer (``_write_batch``);
        the others record by record through their service."""
        if self._batch_writable():
            return self._write_batch(pairs, problems)
        problems = list(problems or [])
        valid = []
        for index, pair in enumerate(pairs):
            if pair is None:
                continue
            serializer = self.get_serializer(instance=pair[0], data=pair[1])
            if serializer.is_valid():
                valid.append((index, serializer))
            else:
                problems.append({"index": index, "errors": serializer.errors})
        if problems:
            raise BulkInvalid(sorted(problems, key=lambda p: p["index"]))
        saved = []
        with transaction.atomic(), changes.deferred():  # the figures' aggregates recomputed once, at the end
            for index, serializer in valid:
                new = serializer.instance is None
                try:
                    saved.append((serializer.save(), new))  # each in a savepoint of its own (PortalSerializer._save)
                except exceptions.ValidationError as exc:
                    problems.append({"index": index, "errors": exc.detail})
            if problems:
                transaction.set_rollback(True)
        if problems:
            raise BulkInvalid(problems)
        return saved

    def _batch_writable(self):
        default = getattr(self.config.save_object, "__func__", None) is ModelViews.save_object.__func__
        return (default or self.config.api_batch_rule is not None) and not self.model._meta.many_to_many

    def _write_batch(self, pairs, problems=None):
        """``_write_all`` in batches: the related records the items name loaded at once
        (``RelatedField.preload``), each item checked in memory (its fields, the model's rules and
        checks, the caller's scope for its new values), the records' unique values checked at once
        against the batch and the table (``_unique_problems``), then everything written by
        ``wenshang.web.batch.Writer``: a few statements whatever the number of records."""
        problems = list(problems or [])
        user = self.request.user
        items = [(index, pair) for index, pair in enumerate(pairs) if pair is not None]
        stored = [record for _index, (record, _item) in items if record is not None]
        creating = self.get_serializer()
        updating = self.get_serializer(instance=stored[0]) if stored else None
        for serializer in filter(None, (creating, updating)):
            for name, field in serializer.fields.items():
                if isinstance(field, RelatedField) and not field.read_only:
                    field.preload([item.get(name) for _index, (_record, item) in items if isinstance(item, dict)])
        changeable = set()
        for start in range(0, len(stored), 1000):
            changeable.update(self.model.objects.restrict(user, "change")
                              .filter(pk__in=[r.pk for r in stored[start:start + 1000]]).values_list("pk", flat=True))
        attnames = [f.attname for f in self.model._meta.concrete_fields if not f.primary_key]
        rows = []  # (index, batch.Record)
        for index, (record, item) in items:
            serializer = updating if record is not None else creating
            serializer.instance = record
            try:
                values = serializer.run_validation(item)
            except exceptions.ValidationError as exc:
                problems.append({"index": index, "errors": exc.detail})
                continue
            obj = record if record is not None else self.model()
            before = {a: getattr(obj, a) for a in attnames} if record is not None else None
            for name, value in values.items():
                setattr(obj, name, value)
            try:
                if record is not None and record.pk not in changeable:
                    raise DjangoPermissionDenied(_("You may not change this record."))
                with unique_checked_by_database(obj):  # asked for the whole batch below
                    obj.full_clean()
                if not can_hold(user, "change" if record is not None else "add", obj):
                    raise DjangoPermissionDenied(_("You may not save a record outside your scope."))
            except DjangoValidationError as exc:
                problems.append({"index": index, "errors": django_errors(exc)})
                continue
            except DjangoPermissionDenied as exc:
                problems.append({"index": index, "errors": {"non_field_errors": [str(exc)]}})
                continue
            changes = None
            if record is not None:
                changes = {a: (before[a], getattr(obj, a)) for a in attnames if getattr(obj, a) != before[a]}
            rows.append((index, batch.Record(obj, record.pk if record is not None else None, changes)))
        problems += self._unique_problems(rows)
        if problems:
            raise BulkInvalid(sorted(problems, key=lambda p: p["index"]))
        creates = [row for _index, row in rows if row.pk is None]
        updates = [row for _index, row in rows if row.pk is not None and row.changes]
        written = sorted({a for row in updates for a in row.changes})
        rule = self.config.api_batch_rule
        batch.Writer(self.model, user, audit.current_actor()[1], written).write(
            creates, updates, may_add=permission_filter(user, self.model, "add"),
            may_change=permission_filter(user, self.model, "change"),
            more=(lambda now, alias: rule(creates, updates)) if rule else None)
        return [(row.obj, row.pk is None) for _index, row in rows]

    def _unique_problems(self, rows):
        """The items of ``rows`` ((index, batch.Record)) whose unique values (a unique field, a unique
        constraint of fields whose condition holds) another item or another record already has: one
        query per 1,000 values of each, none per item."""
        model = self.model
        sample = model()
        unique = [(fields, None, None) for _cls, fields in sample._get_unique_checks()[0] if fields != (model._meta.pk.name,)]
        for _cls, constraints in sample.get_constraints():
            unique += [(tuple(c.fields), c.condition, c) for c in constraints
                       if isinstance(c, models.UniqueConstraint) and c.fields and not c.expressions]
        problems = []
        for names, condition, constraint in unique:
            fields = [model._meta.get_field(name) for name in names]
            wanted = {}  # key -> (index, row)
            for index, row in rows:
                key = tuple(getattr(row.obj, f.attname) for f in fields)
                if any(v is None for v in key):
                    continue
                if condition is not None:
                    try:
                        if not checks.holds(condition, row.obj, model):
                            continue
                    except checks.Unsupported:  # a condition Python cannot decide: Django's own question
                        try:
                            constraint.validate(model, row.obj)
                        except DjangoValidationError:
                            problems.append({"index": index, "errors": self._unique_error(row.obj, names, constraint)})
                        continue
                if key in wanted:
                    problems.append({"index": index, "errors": self._unique_error(row.obj, names, constraint)})
                else:
                    wanted[key] = (index, row)
            keys = list(wanted)
            for start in range(0, len(keys), 1000):  # each field among the batch's values: the exact keys kept below
                chunk = keys[start:start + 1000]
                qs = model._base_manager.filter(**{f"{f.attname}__in": {k[i] for k in chunk} for i, f in enumerate(fields)})
                if condition is not None:
                    qs = qs.filter(condition)
                for pk, *key in qs.values_list("pk", *[f.attname for f in fields]):
                    index, row = wanted.get(tuple(key), (None, None))
                    if row is not None and row.pk != pk:
                        problems.append({"index": index, "errors": self._unique_error(row.obj, names, constraint)})
        return problems

    @staticmethod
    def _unique_error(obj, names, constraint):
        if constraint is not None:
            message = constraint.get_violation_error_message()
        else:
            message = obj.unique_error_message(type(obj), names).messages[0]
        return {names[0] if len(names) == 1 else "non_field_errors": [message]}

    def _items(self, request):
        items = request.data.get("items") if isinstance(request.data, dict) else request.data
        if not isinstance(items, list) or not items:
            raise exceptions.ValidationError({"items": [_("Send a JSON list of records (or {\"items\": [...]}).")]})
        if len(items) > settings.API_BULK_MAX:
            raise exceptions.ValidationError({"items": [_("At most %(max)s records per request; this one has %(n)s.") % {"max": settings.API_BULK_MAX, "n": len(items)}]})
        return items


class BulkInvalid(exceptions.ValidationError):
    """Some items of a bulk request are not valid: each is listed with its index (from 0)."""

    def __init__(self, items):
        super().__init__(_("%(n)s of the records sent are not valid; nothing was written.") % {"n": len(items)})
        self.items = [{"index": item["index"], "errors": item["errors"]} for item in items]


class Conflict(exceptions.APIException):
    status_code = 409
    default_code = "conflict"


CODES[409] = "conflict"


def viewset_for(config):
    names = ["get", "post", "put", "patch", "delete", "head", "options"]
    if not config.api_updatable:
        names = [n for n in names if n not in ("put", "patch")]
    attrs = {
        "config": config,
        "model": config.model,
        "queryset": config.model.objects.all(),  # for the schema; get_queryset restricts it
        "serializer_class": serializer_for(config),
        "filterset_class": config.filterset_class,
        "ordering_fields": orderable_fields(config.model),
        "http_method_names": names,
        "__doc__": str(config.model._meta.verbose_name_plural),
    }
    if config.api_bulk:
        def bulk(self, request):
            if request.method == "PUT":
                return self.upsert_many(request)  # by the natural key: the same batch twice changes nothing more
            return idempotent(request, lambda: self.create_many(request))

        methods = ["post", "put"] if config.api_natural_key else ["post"]
        attrs["bulk"] = action(detail=False, methods=methods, url_path="bulk")(bulk)  # a function of its own per entity
    return type(f"{config.model.__name__}ViewSet", (*config.api_mixins, PortalViewSet), attrs)


# -- the figures -------------------------------------------------------------------------------
@extend_schema_field({"anyOf": [{"type": "integer"}, {"type": "number"}]})  # a count matches both: anyOf
class NumberField(serializers.FloatField):
    """A count (an integer) or an amount (a number), as it is."""

    def to_representation(self, value):
        return value


class FigureSerializer(serializers.Serializer):
    key = serializers.CharField(help_text=gettext_lazy("The figure's key, as in seed_figures.csv."))
    label = serializers.CharField(help_text=gettext_lazy("What the figure counts."))
    value = NumberField(allow_null=True, help_text=gettext_lazy(
        "An integer for a count, a number for an amount, an area or a percentage; empty for a county-only figure asked for a township."))
    unit = serializers.CharField(help_text=gettext_lazy("count, yuan, mu or percent."))
    period = serializers.CharField(help_text=gettext_lazy("cumulative, year YYYY, batch YYYY or the latest quarter."))
    chain = serializers.CharField()


class FiguresSerializer(serializers.Serializer):
    as_of = serializers.DateField(help_text=gettext_lazy("The date the records run to (数据截至)."))
    county = serializers.DictField(allow_null=True, help_text=gettext_lazy("The county the figures are of; empty: every record."))
    township = serializers.DictField(allow_null=True, help_text=gettext_lazy("The township asked for; empty for the county."))
    figures = FigureSerializer(many=True, help_text=gettext_lazy("The figures, in the order of the article's list."))



class FiguresView(TouchTokenMixin, APIView):
    """The article's headline figures computed from the records, for the county or one township:
    the same numbers as ``python manage.py figures``."""

    permission_classes = [ScopedPermission]

    @extend_schema(
        summary="主要指标（按记录计算）",
        description="文章中的各项主要指标，全部由记录实时计算，与 python manage.py figures 的结果相同。"
                    "默认为调用方所在的县；township 为镇街代码时为该镇街（镇街的令牌只能取本镇街），"
                    "county 为县级代码时为该县（市级的令牌须指明县）。仅限全县的指标对镇街为空值。",
        responses=FiguresSerializer,
        parameters=[
            OpenApiParameter("township", str, description=gettext_lazy(
                "A township's 9-digit code; empty: the county (a township's token: its township).")),
            OpenApiParameter("county", str, description=gettext_lazy(
                "A county's 6-digit code; empty: the caller's county (a city's token names one).")),
        ],
    )
    def get(self, request):
        code = request.query_params.get("township", "").strip()
        county_code = request.query_params.get("county", "").strip()
        user = request.user
        scope = scope_of(user)
        township = county = None
        if code:
            township = Township.objects.restrict(user, "view").select_related("county").filter(code=code).first()
            if township is None:
                raise exceptions.NotFound(_("No township with code %(code)s in your scope.") % {"code": code})
            county = township.county
        elif user.township_id:
            township = user.township  # a township's token or staff: their township
            county = township.county
        elif county_code:
            county = County.objects.restrict(user, "view").filter(code=county_code).first()
            if county is None:
                raise exceptions.NotFound(_("No county with code %(code)s in your scope.") % {"code": county_code})
        elif scope.county_id:
            county = County.objects.get(pk=scope.county_id)  # a county's token or user: their county
        elif scope.level == "city":
            raise exceptions.ValidationError({"county": [_("Name the county: ?county=<its 6-digit code>.")]})
        values = figures.compute(township=township, county=county if township is None else None)
        info = figures.catalogue()
        return Response({
            "as_of": str(settings.PORTAL_DATA_AS_OF),
            "county": {"code": county.code, "name": county.name} if county else None,
            "township": {"code": township.code, "name": township.name} if township else None,
            "figures": [
                {"key": key, "label": info[key].label, "value": value, "unit": info[key].unit, "period": info[key].period, "chain": info[key].chain}
                for key, value in values.items()
            ],
        })


class IndexView(APIView):
    """/api/v1/: every endpoint of the API, by app, with what it holds."""

    permission_classes = [permissions.AllowAny]

    @extend_schema(exclude=True)
    def get(self, request):
        endpoints = {}
        for config in REGISTRY.values():
            app = str(django_apps.get_app_config(config.app()).verbose_name)
            endpoints.setdefault(app, []).append({
                "url": request.build_absolute_uri(f"/api/v1/{config.app()}/{config.plural}/"),
                "name": str(config.model._meta.verbose_name_plural),
                "bulk": bool(config.api_bulk),
            })
        return Response({
            "documentation": request.build_absolute_uri("/api/docs/"),
            "schema": request.build_absolute_uri("/api/schema/"),
            "figures": request.build_absolute_uri("/api/v1/figures/"),
            "changes": request.build_absolute_uri("/api/v1/changes/"),
            "endpoints": endpoints,
        })
