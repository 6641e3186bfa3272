"""The OpenAPI 3 schema (drf-spectacular): Chinese summaries and descriptions made from each
entity's names, the token scheme, the shared error format on every operation."""
import copy

import django_filters
from django.apps import apps
from django.conf import settings
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from drf_spectacular.openapi import AutoSchema
from drf_spectacular.utils import OpenApiParameter
from rest_framework import serializers

from wenshang.api.idempotency import HEADER as IDEMPOTENCY_HEADER
from wenshang.api.serializers import PortalSerializer
from wenshang.kernel import privacy
from wenshang.kernel.validators import validate_non_negative, validate_positive
from wenshang.web.filters import WholeNumberFilter

FIELD_ERRORS = serializers.DictField(child=serializers.ListField(child=serializers.CharField()))


class ItemErrorSerializer(serializers.Serializer):
    index = serializers.IntegerField(min_value=0, help_text="第几条（从 0 起，与提交的顺序相同）")
    errors = serializers.DictField(child=serializers.ListField(child=serializers.CharField()),
                                   help_text="这一条的问题：字段 → 问题列表；整条记录的问题在 non_field_errors")

    class Meta:
        ref_name = "ItemError"


class ErrorSerializer(serializers.Serializer):
    status = serializers.IntegerField(help_text="HTTP 状态码")
    code = serializers.CharField(help_text="错误类别：invalid、not_authenticated、permission_denied、not_found、throttled 等")
    message = serializers.CharField(help_text="给人看的中文说明")
    errors = serializers.DictField(child=serializers.ListField(child=serializers.CharField()), required=False,
                                   help_text="数据有误时：字段 → 问题列表；整条记录的问题在 non_field_errors")
    items = ItemErrorSerializer(many=True, required=False, help_text="批量提交有误时：有问题的各条及其问题")
    retry_after = serializers.IntegerField(required=False, help_text="请求过于频繁时：多少秒后再试")
    request_id = serializers.CharField(required=False, help_text="服务器错误（500）时：请求编号，向管理员报告时引用")

    class Meta:
        ref_name = "Error"


class BulkResultSerializer(serializers.Serializer):
    created = serializers.IntegerField(help_text="新建的记录数")
    ids = serializers.ListField(child=serializers.IntegerField(), help_text="新建记录的 id，与提交的顺序相同")


class BulkUpsertResultSerializer(serializers.Serializer):
    created = serializers.IntegerField(help_text="新建的记录数")
    updated = serializers.IntegerField(help_text="按自然键找到并修改的记录数")
    ids = serializers.ListField(child=serializers.IntegerField(), help_text="各条记录的 id，与提交的顺序相同")

    class Meta:
        ref_name = "BulkUpsertResult"


ERRORS = {
    "400": "提交的数据有误（逐字段说明）",
    "401": "缺少令牌，或令牌无效、已过期、已吊销",
    "403": "无此权限（只读令牌、超出范围的操作）",
    "404": "没有这条记录，或它不在调用方的范围内",
    "413": "请求过大",
    "429": "请求过于频繁",
}


class PortalAutoSchema(AutoSchema):
    def _config(self):
        return getattr(self.view, "config", None)

    def get_tags(self):
        """Tags fit for code (a generated client's module names): the app's label; the Chinese names
        are the tags' descriptions (``postprocess``)."""
        config = self._config()
        if config is None:
            return ["figures"]
        return [config.app()]

    def get_summary(self):
        config = self._config()
        if config is None:
            return super().get_summary()
        plural = config.model._meta.verbose_name_plural
        name = config.model._meta.verbose_name
        action = getattr(self.view, "action", None)
        return {
            "list": f"{plural}：列表",
            "retrieve": f"{name}：一条",
            "create": f"{name}：新建",
            "update": f"{name}：修改（全部字段）",
            "partial_update": f"{name}：修改（部分字段）",
            "destroy": f"{name}：删除",
            "bulk": f"{plural}：批量新建或修改（按{'、'.join(config.api_natural_key)}）" if self.method == "PUT" else f"{plural}：批量新建",
        }.get(action, str(plural))

    def get_description(self):
        config = self._config()
        if config is None:
            return super().get_description()
        model = config.model
        action = getattr(self.view, "action", None)
        scope = "只含调用方范围内（全县或本镇街）的记录。"
        texts = {
            "list": f"按游标分页（next / previous 链接，每页默认 100 条，page_size 最多 1000），默认按 id 排序。"
                    f"可用与平台列表页相同的条件筛选，q 为关键字检索，ordering 为排序字段。{scope}",
            "retrieve": f"一条{model._meta.verbose_name}。{scope}不在范围内的 id 答 404。",
            "create": "与平台表单相同的校验和业务规则；只读字段忽略，未知字段报错。成功答 201 和新记录。",
            "update": "须提交全部可写字段；校验和业务规则与平台表单相同。",
            "partial_update": "只提交要改的字段；校验和业务规则与平台表单相同。",
            "destroy": "删除一条记录；仍被其他记录引用时答 409。",
            "bulk": (f"一次至多 {settings.API_BULK_MAX} 条，每条为完整的记录：按自然键（{'、'.join(config.api_natural_key)}）"
                     "找到范围内已有的记录就修改，找不到就新建；同一批重复提交不会重复写入。全部成功才写入，有任何一条出错就一条也不写，"
                     "并逐条列出问题（items[].index 从 0 起）。") if self.method == "PUT" else
                    (f"一次新建至多 {settings.API_BULK_MAX} 条：全部成功才写入，"
                     "有任何一条出错就一条也不写，并逐条列出问题（items[].index 从 0 起）。"),
        }
        text = texts.get(action, "")
        personal = privacy.personal_fields(model)
        if personal and action in ("list", "retrieve"):
            text += f"身份证号、手机号（{', '.join(personal)}）默认打码；令牌有查看个人信息的权限时才显示全文，每次读取都记入访问日志。"
        return text

    def _idempotent(self):
        return self.method == "POST" and getattr(self.view, "action", None) in ("create", "bulk")

    def get_override_parameters(self):
        parameters = list(super().get_override_parameters())
        if self._idempotent():
            parameters.append(OpenApiParameter(
                IDEMPOTENCY_HEADER, str, OpenApiParameter.HEADER, required=False,
                description=f"可选。同一请求重发时带上同一个键（如 UUID，1–255 个可打印 ASCII 字符）：{settings.API_IDEMPOTENCY_HOURS} 小时内"
                            "重发得到第一次的答复（响应头 Idempotent-Replayed: true），不会重复写入；同一个键配不同的内容答 409。"))
        return parameters

    def get_request_serializer(self):
        action = getattr(self.view, "action", None)
        if action == "bulk":
            return self.view.get_serializer_class()(many=True)
        config = self._config()
        if action in ("update", "partial_update") and config is not None and config.api_locked_on_update:
            # fields fixed once the record exists are read-only in a change (UpdateRequest components)
            base = self.view.get_serializer_class()
            return type(base.__name__.replace("Serializer", "UpdateSerializer"), (base,), {"schema_updating": True})
        return super().get_request_serializer()

    def get_response_serializers(self):
        if getattr(self.view, "action", None) == "bulk":
            if self.method == "PUT":
                return {200: BulkUpsertResultSerializer}
            return {201: BulkResultSerializer}  # the view answers 201 Created
        return super().get_response_serializers()

    def _get_response_bodies(self, direction="response"):
        responses = super()._get_response_bodies(direction)
        codes = ["401", "403", "429"]
        # A view says itself whether its GET checks the query (``PortalViewSet.checks_query``): the
        # views import this module (``extend_schema`` loads DEFAULT_SCHEMA_CLASS), not the other way.
        if self.method in ("POST", "PUT", "PATCH") or (self.method == "GET" and getattr(self.view, "checks_query", False)):
            codes.append("400")
        if self.method in ("POST", "PUT", "PATCH"):
            codes.append("413")
        if "{" in self.path or self.method == "GET":
            codes.append("404")
        if self.method == "DELETE" or self._idempotent():
            codes.append("409")
        for code in sorted(codes):
            if code not in responses:
                response = self._get_response_for_code(ErrorSerializer, code, direction=direction)
                response["description"] = ERRORS.get(code, "同一个 Idempotency-Key 已用于另一个请求（内容或地址不同）"
                                                      if self._idempotent() else "记录仍被引用，不能删除")
                responses[code] = response
        return responses

    def _map_serializer(self, serializer, direction, bypass_extensions=False):
        schema = super()._map_serializer(serializer, direction, bypass_extensions)
        if direction == "request" and isinstance(serializer, PortalSerializer) and schema.get("type") == "object":
            schema["additionalProperties"] = False  # unknown fields are refused (400), not ignored
        return schema

    def _map_basic_serializer(self, serializer, direction):
        schema = super()._map_basic_serializer(serializer, direction)
        config = getattr(serializer, "config", None)
        if config is not None:  # the record kind in Chinese, not the model's (English) docstring
            opts = config.model._meta
            schema["description"] = f"{opts.verbose_name}（{str(apps.get_app_config(opts.app_label).verbose_name)}）"
        if direction == "response" and isinstance(serializer, serializers.ModelSerializer):
            schema["required"] = sorted(schema["properties"])  # a record is written whole: every field, every time
        return schema

    def _map_serializer_field(self, field, direction, bypass_extensions=False):
        schema = super()._map_serializer_field(field, direction, bypass_extensions)
        parent = getattr(field, "parent", None)
        if not isinstance(parent, PortalSerializer) or not isinstance(schema, dict):
            return schema
        model = parent.Meta.model
        try:
            model_field = model._meta.get_field(field.source)
        except Exception:  # noqa: BLE001 - a field of no model field
            return schema
        bound = lower_bound(model, model_field)
        if bound is not None:
            if schema.get("type") == "string" and schema.get("pattern", "").startswith("^-?"):
                schema["pattern"] = "^" + schema["pattern"][3:]  # the server refuses a negative amount
            elif schema.get("type") == "integer":
                schema["minimum"] = max(schema.get("minimum", bound), bound)
        if getattr(model_field, "attname", None) in privacy.personal_fields(model):
            schema["x-masked"] = True
            schema["description"] = (schema.get("description", "") + "\n\n个人信息：读取时默认打码（如 370830********1234、"
                                     "138****5678），令牌有查看个人信息的权限时才为全文。修改时原样提交打码的值表示不改。")
        return schema

    def _get_filter_parameters(self):
        parameters = super()._get_filter_parameters()
        filterset = getattr(self.view, "filterset_class", None)
        model = getattr(self.view, "model", None)
        for parameter in parameters:
            name = parameter["name"]
            if name == "ordering":  # a pattern, not an enum: "-id" makes no name in a generated client
                allowed = getattr(self.view, "ordering_fields", None) or []
                parameter["schema"] = {"type": "string", "pattern": f"^-?({'|'.join(allowed)})$"}
                parameter["description"] = "排序字段（前加“-”为倒序）：" + "、".join(allowed)
                continue
            parameter["schema"].pop("title", None)  # a generated client names an inline enum after it (Chinese)
            if filterset is None or name not in filterset.base_filters:
                continue
            flt = copy.copy(filterset.base_filters[name])
            flt.model = model  # for the label django-filter makes from the model field
            label = str(flt.label or name)
            if isinstance(flt, WholeNumberFilter) and parameter["schema"].get("type") == "number":
                parameter["schema"]["type"] = "integer"
            if name == "q":
                label = "关键字检索（与平台列表页的搜索框相同）"
            elif isinstance(flt, django_filters.ModelChoiceFilter):
                label += "（记录的 id）"
            described = parameter.get("description") or ""
            choices = described[described.index("* `"):] if "* `" in described else ""  # the choices, listed by spectacular
            parameter["description"] = f"{label}\n\n{choices}" if choices else label
        return parameters

    def _get_serializer_field_meta(self, field, direction):
        meta = super()._get_serializer_field_meta(field, direction)
        if "description" not in meta and field.label:
            meta["description"] = str(field.label)
        return meta


def lower_bound(model, model_field):
    """0 for a field the model keeps non-negative or positive (its validators, a check constraint), or None."""
    from_validators = any(v in (validate_non_negative, validate_positive) for v in model_field.validators)
    names = {f"{model._meta.model_name}_{model_field.name}_non_negative", f"{model._meta.model_name}_{model_field.name}_positive"}
    constrained = any(getattr(c, "name", "") in names for c in model._meta.constraints)
    return 0 if from_validators or constrained else None


def postprocess(result, generator, request, public):
    """After drf-spectacular's enum naming: every tag described in Chinese; a filter's choices refer to
    the component enum of the same choice set (one enum per set, not one per operation)."""
    labels = {config.label: str(config.verbose_name) for config in apps.get_app_configs()}
    labels.update({"figures": "主要指标", "quarter-close": "季度报送审核", "changes": "变更记录（增量同步）"})
    used = sorted({tag for path in result["paths"].values() for op in path.values() for tag in op.get("tags", [])})
    result["tags"] = [{"name": tag, "description": labels.get(tag, tag)} for tag in used]
    schemas = result.get("components", {}).get("schemas", {})
    by_values = {}
    for name, schema in schemas.items():
        if "enum" in schema:
            by_values.setdefault(frozenset(v for v in schema["enum"] if v not in ("", None)), name)

    def component(schema, name, path):
        """The $ref of the component enum of ``schema``'s choices (made, named after the records and the
        parameter, TargetLevelEnum, if none has them)."""
        values = frozenset(v for v in schema["enum"] if v not in ("", None))
        if values not in by_values:
            records = path.rstrip("/").rsplit("/", 1)[-1].removesuffix("s")
            camel = "".join(part.capitalize() for part in f"{records}_{name}".replace("-", "_").split("_"))
            enum_name = next(n for n in (f"{camel}Enum", *(f"{camel}{i}Enum" for i in range(2, 99))) if n not in schemas)
            schemas[enum_name] = {k: v for k, v in schema.items() if k in ("type", "enum", "description")}
            by_values[values] = enum_name
        return {"$ref": f"#/components/schemas/{by_values[values]}"}

    for url, path in result["paths"].items():
        for op in path.values():
            for parameter in op.get("parameters", []):
                schema = parameter.get("schema", {})
                name = parameter["name"].removesuffix("_in")
                if "enum" in schema:
                    parameter["schema"] = component(schema, name, url)
                elif schema.get("type") == "array" and "enum" in schema.get("items", {}):
                    schema["items"] = component(schema["items"], name, url)
    return result


class TokenScheme(OpenApiAuthenticationExtension):
    target_class = "wenshang.api.auth.TokenAuthentication"
    name = "token"

    def get_security_definition(self, auto_schema):
        return {
            "type": "http",
            "scheme": "bearer",
            "description": "系统令牌：请求头 Authorization: Bearer ws_…。令牌由县级管理员在平台“接口令牌”页或用 "
                           "python manage.py create_api_token 生成，只显示一次。",
        }
