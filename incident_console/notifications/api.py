"""Who an escalation would reach, asked before anyone presses Escalate."""

from __future__ import annotations

from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.decorators import api_view
from rest_framework.response import Response

from incident_console.errors import InvalidInput
from incident_console.notifications.escalation import escalation_preview


class ReachSerializer(serializers.Serializer):
    channel = serializers.CharField()
    to = serializers.CharField(help_text="Whom it is sent to; empty when it will not be sent.")
    why = serializers.CharField(help_text="Why it will not be sent.")


class ContactReachSerializer(serializers.Serializer):
    role = serializers.CharField()
    name = serializers.CharField()
    phone = serializers.CharField()
    not_filled_in = serializers.ListField(child=serializers.CharField())
    channels = ReachSerializer(many=True)


class EscalationPreviewSerializer(serializers.Serializer):
    notify = serializers.ListField(child=serializers.CharField())
    channels = ReachSerializer(many=True)
    contacts = ContactReachSerializer(many=True)


@extend_schema(
    parameters=[
        OpenApiParameter(
            "notify", str, many=True, required=True, description='A role or "level:<n>".'
        )
    ],
    responses=EscalationPreviewSerializer,
)
@api_view(["GET"])
def escalation_preview_api(request):
    """Who an escalation to these roles or levels reaches, and through which channels."""
    names = [name.strip() for name in request.query_params.getlist("notify") if name.strip()]
    if not names:
        raise InvalidInput("say whom to preview", fields={"notify": "a role or level:<n>"})
    return Response(escalation_preview(notify_names=names[:20]))
