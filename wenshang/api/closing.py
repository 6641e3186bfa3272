"""The quarter close through the API (``/api/v1/closing/…``): each township's state of a quarter,
submit, approve, return; correction requests (list, ask, approve, reject); the caller's to-dos.
Scoped as the pages are; a read-only token only reads."""
from django.apps import apps
from django.http import Http404, QueryDict
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view, inline_serializer
from rest_framework import exceptions, permissions, serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from wenshang.api.models import ApiToken
from wenshang.api.views import TouchTokenMixin
from wenshang.closing import checklist, services, todos
from wenshang.closing.models import Correction, Submission, period_of
from wenshang.closing.views import apply, config_for, form_values
from wenshang.kernel.scope import can, county_id_of, township_id_of

TAGS = ["quarter-close"]


class WritesNeedAWritableToken(permissions.IsAuthenticated):
    def has_permission(self, request, view):
        if not super().has_permission(request, view):
            return False
        if request.method not in permissions.SAFE_METHODS and isinstance(request.auth, ApiToken) and request.auth.read_only:
            self.message = _("This token is read-only: it may not add, change or delete records.")
            return False
        return True


class ClosingView(TouchTokenMixin, APIView):
    permission_classes = [WritesNeedAWritableToken]


def _period(value):
    try:
        year, quarter = (int(x) for x in value.upper().split("Q"))
    except ValueError:
        raise exceptions.ValidationError({"period": [_("Write the quarter as 2024Q2.")]}) from None
    if not (2000 <= year <= 2100 and 1 <= quarter <= 4):
        raise exceptions.ValidationError({"period": [_("Write the quarter as 2024Q2.")]})
    return year, quarter


def _township(request, code):
    township = apps.get_model("villages.Township").objects.restrict(request.user, "view").select_related("county").filter(code=code).first()
    if township is None:
        raise Http404
    return township


class StateSerializer(serializers.Serializer):
    township = serializers.DictField(help_text="镇街：code、name")
    period = serializers.CharField(help_text="季度，如 2024Q2")
    state = serializers.ChoiceField(choices=Submission.State.choices, help_text="open 未报送、submitted 已报送、returned 已退回、approved 已审核")
    overdue = serializers.BooleanField(help_text="已过报送截止日仍未报送（或退回后未再报送）")
    deadline = serializers.DateField(help_text="报送截止日（季度末后 QUARTER_SUBMIT_DAYS 天）")
    submitted_at = serializers.DateTimeField(allow_null=True, help_text="报送时间")
    reviewed_at = serializers.DateTimeField(allow_null=True, help_text="审核时间")
    note = serializers.CharField(help_text="报送说明")
    comment = serializers.CharField(help_text="县里的审核意见")
    reasons = serializers.DictField(help_text="未完成项 → 原因")
    checklist = serializers.ListField(child=serializers.DictField(), help_text="报送前自查各项：key、label、done、total、open")
    closed = serializers.BooleanField(help_text="全县该季度已关账（各镇街均已审核，数据已锁定）")


def _state(sub, township, items=None, closed=False):
    return {
        "township": {"code": township.code, "name": township.name}, "period": f"{sub.year}Q{sub.quarter}",
        "state": sub.state, "overdue": services.overdue(sub), "deadline": services.deadline(sub.year, sub.quarter),
        "submitted_at": sub.submitted_at, "reviewed_at": sub.reviewed_at, "note": sub.note, "comment": sub.comment,
        "reasons": sub.reasons,
        "checklist": [{k: v for k, v in i.as_dict().items() if k in ("key", "label", "done", "total", "open")} for i in items]
        if items is not None else [{k: v for k, v in i.items() if k in ("key", "label", "done", "total", "open")} for i in sub.checklist],
        "closed": closed,
    }


class QuartersView(ClosingView):
    checks_query = True  # a malformed period is a 400 (the schema documents it)

    @extend_schema(tags=TAGS, operation_id="closing_quarters_list", summary="各镇街某季度的报送状态",
                   description="调用方范围内每个镇街该季度的报送状态（未报送、已报送、已退回、已审核）、是否逾期、是否已关账。",
                   parameters=[OpenApiParameter("period", str, description="季度，如 2024Q1；默认为最近结束的季度")],
                   responses=StateSerializer(many=True))
    def get(self, request):
        year, quarter = _period(request.query_params["period"]) if request.query_params.get("period") else services.latest_ended()
        townships = apps.get_model("villages.Township").objects.restrict(request.user, "view").select_related("county").order_by("code")
        subs = {s.township_id: s for s in Submission.objects.filter(period=period_of(year, quarter), township__in=townships)}
        closed = set(apps.get_model("wenshang.Close").objects.filter(period=period_of(year, quarter)).values_list("county_id", flat=True))
        out = []
        for t in townships:
            sub = subs.get(t.pk) or Submission(township=t, county=t.county, year=year, quarter=quarter)
            out.append(_state(sub, t, closed=t.county_id in closed))
        return Response(out)


class QuarterView(ClosingView):
    checks_query = True

    @extend_schema(tags=TAGS, operation_id="closing_quarter_read", summary="一个镇街某季度的报送（含自查清单）",
                   description="township 为镇街代码，period 如 2024Q2；季度结束（最后一天）后才可报送。自查清单按季度末的记录计算。",
                   responses=StateSerializer)
    def get(self, request, township, period):
        t = _township(request, township)
        year, quarter = _period(period)
        if not services.ended(year, quarter):
            raise exceptions.ValidationError({"period": [_("This quarter has not ended yet.")]})
        sub = services.submission(t, year, quarter)
        closed = apps.get_model("wenshang.Close").objects.filter(county=t.county_id, period=sub.period).exists()
        return Response(_state(sub, t, checklist.items(t, year, quarter), closed))


class QuarterActionView(ClosingView):
    step = None

    @extend_schema(tags=TAGS, summary="报送、审核通过或退回一个镇街的季度",
                   description="submit：镇街报送，未完成的自查项须逐项说明原因；approve：县级管理员审核通过，该镇街该季度的记录即锁定，"
                               "全县各镇街均通过后季度关账、指标锁定；return：退回镇街修改，须写审核意见。",
                   request=inline_serializer("QuarterStep", {
                       "note": serializers.CharField(required=False, help_text="报送说明（报送时）"),
                       "reasons": serializers.DictField(child=serializers.CharField(), required=False,
                                                        help_text="报送时：未完成的自查项 key → 原因（每个未完成项都须说明）"),
                       "comment": serializers.CharField(required=False, help_text="审核意见（退回时必填）"),
                   }),
                   responses=StateSerializer)
    def post(self, request, township, period):
        t = _township(request, township)
        year, quarter = _period(period)
        data = request.data if isinstance(request.data, dict) else {}
        if self.step == "submit":
            reasons = data.get("reasons") or {}
            if not isinstance(reasons, dict):
                raise exceptions.ValidationError({"reasons": [_("Send the reasons as {item: reason}.")]})
            services.submit(user=request.user, township=t, year=year, quarter=quarter, note=str(data.get("note", "")), reasons=reasons)
        else:
            sub = services.submission(t, year, quarter)
            do = services.approve if self.step == "approve" else services.return_
            do(user=request.user, submission=sub, comment=str(data.get("comment", "")))
        return Response(_state(services.submission(t, year, quarter), t))


class CorrectionSerializer(serializers.ModelSerializer):
    record_type = serializers.SerializerMethodField(help_text="记录类型，如 finance.loan")
    period = serializers.SerializerMethodField(help_text="季度，如 2024Q1")
    township = serializers.SerializerMethodField(help_text="镇街代码")

    class Meta:
        model = Correction
        fields = ["id", "period", "township", "record_type", "object_id", "object_repr", "action", "changes", "reason",
                  "state", "requested_at", "decided_at", "decision_note"]
        ref_name = "Correction"
        extra_kwargs = {
            "id": {"help_text": "申请编号"}, "object_id": {"help_text": "记录 id"}, "object_repr": {"help_text": "记录名称"},
            "action": {"help_text": "create 新增、update 修改、delete 删除"}, "changes": {"help_text": "更正内容：字段 → [原值, 新值]（个人信息打码）"},
            "reason": {"help_text": "更正原因"}, "state": {"help_text": "pending 待审批、approved 已同意并更正、rejected 未同意"},
            "requested_at": {"help_text": "申请时间"}, "decided_at": {"help_text": "审批时间"}, "decision_note": {"help_text": "审批意见"},
        }

    def get_record_type(self, obj) -> str:
        return obj.content_type.app_label + "." + obj.content_type.model

    def get_period(self, obj) -> str:
        return f"{obj.year}Q{obj.quarter}"

    def get_township(self, obj) -> str:
        return obj.township.code if obj.township_id else ""


class CorrectionsView(ClosingView):
    @extend_schema(tags=TAGS, operation_id="closing_corrections_list", summary="更正申请",
                   description="调用方范围内的更正申请，可按状态筛选（pending 待审批、approved 已同意并更正、rejected 未同意）。",
                   parameters=[OpenApiParameter("state", str, enum=Correction.State.values)],
                   responses=CorrectionSerializer(many=True))
    def get(self, request):
        qs = Correction.objects.restrict(request.user, "view").select_related("township", "content_type")
        state = request.query_params.get("state", "")
        if state:
            qs = qs.filter(state=state)
        return Response(CorrectionSerializer(qs[:500], many=True).data)

    @extend_schema(tags=TAGS, operation_id="closing_corrections_create", summary="提交更正申请（已锁定季度的记录）",
                   description="已审核锁定季度的记录不能直接新增、修改或删除，须提交更正申请，县里同意后自动更正并随申请记入变更记录。"
                               "data 为记录的完整字段值；记录不在锁定季度内时答 400。",
                   request=inline_serializer("CorrectionRequest", {
                       "record_type": serializers.CharField(help_text="记录类型，如 finance.loan"),
                       "object_id": serializers.CharField(required=False, help_text="修改、删除时：记录 id"),
                       "action": serializers.ChoiceField(choices=Correction.Action.choices, help_text="create 新增、update 修改、delete 删除"),
                       "data": serializers.DictField(required=False, help_text="新增、修改时：记录的完整字段值（与该记录的接口字段相同）"),
                       "reason": serializers.CharField(help_text="更正原因"),
                   }),
                   responses={201: CorrectionSerializer})
    def post(self, request):
        data = request.data if isinstance(request.data, dict) else {}
        try:
            model = apps.get_model(str(data.get("record_type", "")))
            cfg = config_for(model)
        except (LookupError, ValueError):
            raise exceptions.ValidationError({"record_type": [_("No such record type.")]}) from None
        action = data.get("action")
        if action not in Correction.Action.values:
            raise exceptions.ValidationError({"action": [_("Choose create, update or delete.")]})
        right = {"create": "add", "update": "change", "delete": "delete"}[action]
        if not can(request.user, right, model):  # a request asks for a change the caller could make but for the lock
            raise exceptions.PermissionDenied(_("You may not change these records."))
        stored = None
        if action != Correction.Action.CREATE:
            object_id = str(data.get("object_id", ""))
            if not object_id.isdigit():
                raise exceptions.ValidationError({"object_id": [_("Send the record's id.")]})
            stored = get_object_or_404(cfg.queryset(request.user, right), pk=int(object_id))
        values = data.get("data") or {}
        record, changes = stored, {}
        if action != Correction.Action.DELETE:
            posted = QueryDict(mutable=True)
            for key, value in (values.items() if isinstance(values, dict) else ()):
                posted.setlist(key, [str(v) for v in value] if isinstance(value, list) else ["" if value is None else str(value)])
            form = cfg.get_form_class()(posted, instance=cfg.model._base_manager.get(pk=stored.pk) if stored else None,
                                        user=request.user)
            if not form.is_valid():
                raise exceptions.ValidationError({"data": [f"{k}: {' '.join(v)}" for k, v in form.errors.items()]})
            record = form.instance
            values = form_values(form)
            changes = {n: [str(form.initial.get(n, "") or ""), str(form.cleaned_data.get(n, "") or "")] for n in form.changed_data}
        refused = services.refusal(record, stored)
        if refused is None:
            raise exceptions.ValidationError({"object_id": [_("This record is not in a locked quarter: change it directly.")]})
        correction = services.request_correction(
            user=request.user, record=stored or record, action=action, data=values if action != Correction.Action.DELETE else {},
            changes=changes, reason=str(data.get("reason", "")), period=refused.period,
            township=apps.get_model("villages.Township")._base_manager.filter(pk=township_id_of(record)).first(),
            county=apps.get_model("villages.County")._base_manager.filter(pk=county_id_of(record)).first())
        return Response(CorrectionSerializer(correction).data, status=201)


class CorrectionDecisionView(ClosingView):
    approve = True

    @extend_schema(tags=TAGS, summary="审批更正申请（同意即更正）",
                   description="县级管理员审批：approve 同意并按申请更正记录（季度已关账时生成锁定指标的新版次和新的正式报告），reject 不同意。",
                   request=inline_serializer("CorrectionDecision", {"note": serializers.CharField(required=False, help_text="审批意见")}),
                   responses=CorrectionSerializer)
    def post(self, request, id):  # noqa: A002 - the path's name, as the entities' {id}
        c = get_object_or_404(Correction.objects.restrict(request.user, "view"), pk=id)
        data = request.data if isinstance(request.data, dict) else {}
        c = services.decide_correction(user=request.user, correction=c, approve=self.approve, note=str(data.get("note", "")),
                                       apply=lambda: apply(c, request.user))
        return Response(CorrectionSerializer(c).data)


class TodosView(ClosingView):
    @extend_schema(tags=TAGS, operation_id="todos_list", summary="待办事项",
                   description="镇街：待报送、被退回的季度和已答复的更正申请；县级管理员：待审核的报送和待审批的更正申请。",
                   responses=inline_serializer("Todo", {
                       "kind": serializers.ChoiceField(choices=["submit", "returned", "answered", "review", "decide"],
                                                       help_text="submit 待报送、returned 被退回、answered 更正申请已答复、review 待审核、decide 待审批"),
                       "label": serializers.CharField(help_text="待办事项"), "url": serializers.CharField(help_text="门户中办理的页面"),
                       "due": serializers.DateField(allow_null=True, help_text="截止日")}, many=True))
    def get(self, request):
        return Response(todos.for_user(request.user))



def step_view(step):
    """The view of one step (its own operation in the schema)."""
    view = type(f"Quarter{step.title()}View", (QuarterActionView,), {"step": step})
    return extend_schema_view(post=extend_schema(operation_id=f"closing_quarter_{step}"))(view)


def decision_view(approve):
    view = type("CorrectionApproveView" if approve else "CorrectionRejectView", (CorrectionDecisionView,), {"approve": approve})
    name = "closing_corrections_approve" if approve else "closing_corrections_reject"
    return extend_schema_view(post=extend_schema(operation_id=name))(view)
