"""The OpenAPI 3 schema (drf-spectacular): Chinese summaries and descriptions made from each
entity's names, the token scheme, the shared error format on every operation."""
import copy

import django_filters
from django.apps import apps
from django.conf import settings
from django.utils.translation import gettext as _
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from drf_spectacular.openapi import AutoSchema
from rest_framework import serializers

from wenshang.api.serializers import PortalSerializer
from wenshang.kernel import privacy


class ErrorSerializer(serializers.Serializer):
    status = serializers.IntegerField(help_text="HTTP 状态码")
    code = serializers.CharField(help_text="错误类别：invalid、not_authenticated、permission_denied、not_found、throttled 等")
    message = serializers.CharField(help_text="给人看的中文说明")
    errors = serializers.DictField(required=False, help_text="数据有误时：字段 → 问题列表；整条记录的问题在 non_field_errors")
    items = serializers.ListField(child=serializers.DictField(), required=False, help_text="批量提交时：[{index: 第几条（从 0 起）, errors: {…}}]")
    retry_after = serializers.IntegerField(required=False, help_text="请求过于频繁时：多少秒后再试")

    class Meta:
        ref_name = "Error"


class BulkResultSerializer(serializers.Serializer):
    created = serializers.IntegerField(help_text="新建的记录数")
    ids = serializers.ListField(child=serializers.IntegerField(), help_text="新建记录的 id，与提交的顺序相同")


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
        config = self._config()
        if config is None:
            return [_("Figures")]
        return [str(apps.get_app_config(config.app()).verbose_name)]

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
            "bulk": f"{plural}：批量新建",
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
            "bulk": f"一次新建至多 {settings.API_BULK_MAX} 条：全部成功才写入，"
                    "有任何一条出错就一条也不写，并逐条列出问题（items[].index 从 0 起）。",
        }
        text = texts.get(action, "")
        personal = privacy.personal_fields(model)
        if personal and action in ("list", "retrieve"):
            text += f"身份证号、手机号（{', '.join(personal)}）默认打码；令牌有查看个人信息的权限时才显示全文，每次读取都记入访问日志。"
        return text

    def get_request_serializer(self):
        if getattr(self.view, "action", None) == "bulk":
            return self.view.get_serializer_class()(many=True)
        return super().get_request_serializer()

    def get_response_serializers(self):
        if getattr(self.view, "action", None) == "bulk":
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
        if self.method == "DELETE":
            codes.append("409")
        for code in sorted(codes):
            if code not in responses:
                response = self._get_response_for_code(ErrorSerializer, code, direction=direction)
                response["description"] = ERRORS.get(code, "记录仍被引用，不能删除")
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
        return schema

    def _get_filter_parameters(self):
        parameters = super()._get_filter_parameters()
        filterset = getattr(self.view, "filterset_class", None)
        model = getattr(self.view, "model", None)
        for parameter in parameters:
            name = parameter["name"]
            if name == "ordering":
                allowed = getattr(self.view, "ordering_fields", None) or []
                parameter["schema"]["enum"] = [f"{sign}{field}" for field in allowed for sign in ("", "-")]
                parameter["description"] = "排序字段（前加“-”为倒序）：" + "、".join(allowed)
                continue
            if filterset is None or name not in filterset.base_filters:
                continue
            flt = copy.copy(filterset.base_filters[name])
            flt.model = model  # for the label django-filter makes from the model field
            label = str(flt.label or name)
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
