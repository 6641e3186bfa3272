"""The grids app's additions to its API endpoints (``ModelViews.api_mixins``): a grid event's
steps, for the grid workers' mobile app, through the same service as the buttons on its page."""
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.decorators import action
from rest_framework.response import Response

from . import services
from .choices import EventStatus


class EventStepSerializer(serializers.Serializer):
    to_status = serializers.ChoiceField(choices=EventStatus.choices, help_text="下一环节：assigned（派单）、resolved（办结）、closed（销号）")
    by = serializers.CharField(max_length=50, required=False, allow_blank=True, default="",
                               help_text="派单给谁（assigned）或销号人（closed）")
    note = serializers.CharField(max_length=2000, required=False, allow_blank=True, default="", help_text="办理结果（resolved）")


class GridEventSteps:
    scope_actions = {"advance": "change"}

    @extend_schema(
        summary="网格事件：流转到下一环节",
        description="网格事件按“上报 → 派单 → 办结 → 销号”流转，不能跳过、不能回退；每一环节记录时间和经办人。"
                    "派单须填 by（派给谁），办结须填 note（办理结果），销号须填 by（销号人）。",
        request=EventStepSerializer,
    )
    @action(detail=True, methods=["post"], url_path="advance")
    def advance(self, request, pk=None):
        event = self.get_object()  # 404 outside the caller's scope, 403 without the right
        step = EventStepSerializer(data=request.data)
        step.is_valid(raise_exception=True)
        services.advance_event(user=request.user, event=event, **step.validated_data)
        return Response(self.get_serializer(event).data)
