"""The change feed, ``GET /api/v1/changes/?after=<cursor>``: the change log of the records the caller
may read, oldest first, page by page, so that a system that missed webhooks (or never had them)
catches up without reading everything again.

Each change says what happened to which record (``entity`` and ``record``: the API's endpoint and
id), when, and the record's values after it (none for a delete), written as the API writes them
(field names, ids for related records, personal numbers masked unless the token may see them; an
unmasked read is recorded in the personal-data access log). A caller reads the changes of its scope
only (a township's token its township's records), and of the record kinds it may read.

**No committed change is ever behind a cursor.** Ids are handed out when a row is written, not when
its transaction commits: a long import could commit rows with ids lower than those a reader has
already passed. On PostgreSQL each row carries its transaction's id (``txid``, migration 0015) and
the feed lists only rows of transactions that can no longer commit anything new below them (below
the oldest transaction still running, ``pg_snapshot_xmin``), in the order (txid, id): every change
committed later sorts after the cursor. SQLite has one writer at a time, so its ids are in commit
order. The cursor is opaque (``<txid>.<id>``): keep the ``cursor`` of the last page and send it as
``after``.
"""
from django.contrib.contenttypes.models import ContentType
from django.db import connection
from django.db.models.expressions import RawSQL
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import exceptions, serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from wenshang.api.views import CursorPagination, ScopedPermission, TouchTokenMixin
from wenshang.kernel import privacy
from wenshang.kernel.choices import ChangeAction
from wenshang.kernel.models import ObjectChange
from wenshang.kernel.scope import can
from wenshang.web.portal import REGISTRY

SETTLED = ("wenshang_objectchange.txid < pg_snapshot_xmin(pg_current_snapshot())::text::bigint"
           " OR wenshang_objectchange.txid = pg_current_xact_id_if_assigned()::text::bigint")


class ChangeSerializer(serializers.Serializer):
    id = serializers.IntegerField(help_text="变更记录的 id")
    time = serializers.DateTimeField(help_text="变更时间")
    action = serializers.ChoiceField(choices=ChangeAction.choices, help_text="create 新建、update 修改、delete 删除")
    entity = serializers.CharField(help_text="记录类别：接口地址中的 <应用>/<记录类别>，如 finance/loans")
    record = serializers.IntegerField(help_text="记录的 id（/api/v1/<entity>/<record>/）")
    township = serializers.IntegerField(allow_null=True, help_text="记录所在镇街的 id；县级记录为空")
    changed = serializers.ListField(child=serializers.CharField(), help_text="修改时：改动的字段；新建、删除时为空列表")
    data = serializers.DictField(allow_null=True, help_text="变更后的记录（字段与接口相同，个人信息按令牌权限打码）；删除时为空")

    class Meta:
        ref_name = "Change"


class ChangePageSerializer(serializers.Serializer):
    next = serializers.CharField(allow_null=True, help_text="下一页的地址；已读到最新时为空（稍后用 cursor 再取）")
    cursor = serializers.CharField(help_text="读到的位置：保存下来，下次作为 after 传入")
    results = ChangeSerializer(many=True, help_text="本页的变更，从早到晚")

    class Meta:
        ref_name = "ChangePage"


def entities(user=None):
    """{content type id: config} of the API's record kinds (``user`` may read)."""
    return {ContentType.objects.get_for_model(c.model).pk: c for c in REGISTRY.values()
            if user is None or can(user, "view", c.model)}


def parse_cursor(value):
    if not value:
        return 0, 0
    try:
        txid, _sep, pk = value.partition(".")
        return int(txid), int(pk)
    except ValueError:
        raise exceptions.ValidationError({"after": [_("Send the cursor of the last page as it was given.")]}) from None


class ChangesView(TouchTokenMixin, APIView):
    permission_classes = [ScopedPermission]
    checks_query = True  # a bad cursor, kind or page size is a 400 (the schema lists it)
    paginator = CursorPagination()

    @extend_schema(
        tags=["changes"], operation_id="changes_list", summary="变更记录（增量同步）", responses=ChangePageSerializer,
        description="调用方范围内、有权读取的各类记录的新建、修改、删除，从早到晚分页。第一次不带 after；之后把上次答复的 "
                    "cursor 作为 after 传入，就只得到此后的变更（已提交的变更不会落在游标之前）。entity 可只取一类记录。"
                    "个人信息按令牌权限打码。",
        parameters=[
            OpenApiParameter("after", str, description="上次答复的 cursor；不带则从最早的变更开始"),
            OpenApiParameter("entity", str, description="只取一类记录，如 finance/loans"),
            OpenApiParameter("page_size", {"type": "integer", "minimum": 1, "maximum": CursorPagination.max_page_size,
                                           "default": CursorPagination.page_size}, description="每页条数（1–1000，默认 100）"),
        ],
    )
    def get(self, request):
        user = request.user
        kinds = entities(user)
        wanted = request.query_params.get("entity", "").strip()
        if wanted:
            kinds = {ct: c for ct, c in kinds.items() if f"{c.app()}/{c.plural}" == wanted}
            if not kinds:
                raise exceptions.ValidationError({"entity": [_(
                    "No such record kind, or you may not read it: write it as in the API's addresses, e.g. finance/loans.")]})
        size = self.paginator.get_page_size(request)
        after = request.query_params.get("after", "")
        parse_cursor(after)
        rows, cursor = read(ObjectChange.objects.restrict(user, "view").filter(content_type__in=list(kinds)), after, size)
        may_see = privacy.may_see(user)
        results, seen = [], {}
        for row in rows:
            config = kinds[row.content_type_id]
            results.append(change(row, config, may_see))
            if row.postchange_data and may_see:
                seen.setdefault(config.model, []).append(int(row.object_id))
        for model, ids in seen.items():
            privacy.record_access(user, model, ids, "api:changes")
        following = None
        if len(rows) == size:
            query = request.query_params.copy()
            query["after"] = cursor
            following = request.build_absolute_uri(f"{request.path}?{query.urlencode()}")
        return Response({"next": following, "cursor": cursor, "results": results})



def read(queryset, after, size):
    """(rows, cursor): up to ``size`` changes of ``queryset`` (of ObjectChange) after the cursor ``after``,
    in the feed's order (see the module), and the cursor of the last one (``after`` if none)."""
    txid, pk = parse_cursor(after)
    if connection.vendor == "postgresql":
        queryset = queryset.annotate(txid=RawSQL("wenshang_objectchange.txid", ())).extra(where=[SETTLED])
        queryset = queryset.filter(txid__gte=txid).exclude(txid=txid, id__lte=pk).order_by("txid", "id")
    else:
        queryset = queryset.filter(id__gt=pk).order_by("id")
    rows = list(queryset.only("id", "time", "action", "content_type_id", "object_id", "township_id", "prechange_data",
                              "postchange_data")[:size])
    return rows, (f"{getattr(rows[-1], 'txid', 0)}.{rows[-1].pk}" if rows else f"{txid}.{pk}")


def end():
    """The cursor of the feed's end as it stands (a new subscriber starts there)."""
    last = ObjectChange.objects.all()
    if connection.vendor == "postgresql":
        last = last.annotate(txid=RawSQL("wenshang_objectchange.txid", ())).extra(where=[SETTLED]).order_by("-txid", "-id")
    else:
        last = last.order_by("-id")
    row = last.only("id").first()
    return f"{getattr(row, 'txid', 0)}.{row.pk}" if row is not None else "0.0"


def change(row, config, may_see):
    """One change as the feed and the webhooks write it: the record after it as the API writes records."""
    model = config.model
    names = {f.attname: f.name for f in model._meta.concrete_fields}
    masks = {} if may_see else privacy.personal_fields(model)

    def shown(data):
        if data is None:
            return None
        return {names.get(k, k): (masks[k](v) if k in masks and v else v) for k, v in data.items() if k in names}

    before, after = row.prechange_data or {}, row.postchange_data
    changed = sorted(names.get(k, k) for k in (after or {}) if k in names and before and before.get(k) != after.get(k))
    return {"id": row.pk, "time": row.time, "action": row.action, "entity": f"{config.app()}/{config.plural}",
            "record": int(row.object_id), "township": row.township_id, "changed": changed,
            "data": shown(after) if row.action != ChangeAction.DELETE else None}
