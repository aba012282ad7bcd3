from __future__ import annotations

import hmac

from django.conf import settings
from django.contrib.auth.models import AnonymousUser
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.authentication import BaseAuthentication
from rest_framework.decorators import api_view, authentication_classes, permission_classes
from rest_framework.exceptions import AuthenticationFailed
from rest_framework.response import Response

from incident_console.alerts.serializers import AlertmanagerPayloadSerializer
from incident_console.alerts.services import alertmanager_intake

IntakeSummary = inline_serializer(
    "AlertIntakeSummary",
    {
        k: serializers.ListField(child=serializers.IntegerField())
        for k in ("opened", "updated", "resolved")
    },
)


class AlertmanagerTokenAuthentication(BaseAuthentication):
    """``Authorization: Bearer <ALERTMANAGER_TOKEN>``; with no token configured, nothing passes."""

    def authenticate(self, request):
        expected = settings.ALERTMANAGER_TOKEN
        scheme, _, given = request.headers.get("Authorization", "").partition(" ")
        # Constant-time comparison, so the token cannot be guessed from response times.
        if (
            not expected
            or scheme.lower() != "bearer"
            or not hmac.compare_digest(given.strip().encode(), expected.encode())
        ):
            raise AuthenticationFailed(
                "a valid Authorization: Bearer <ALERTMANAGER_TOKEN> is required"
            )
        return AnonymousUser(), "alertmanager"

    def authenticate_header(self, request) -> str:
        return 'Bearer realm="alertmanager"'


@extend_schema(request=AlertmanagerPayloadSerializer, responses={200: IntakeSummary})
@api_view(["POST"])
@authentication_classes([AlertmanagerTokenAuthentication])
@permission_classes([])
def alertmanager_webhook(request):
    """Prometheus Alertmanager webhook (payload version 4)."""
    serializer = AlertmanagerPayloadSerializer(data=request.data)
    serializer.is_valid(raise_exception=True)
    return Response(alertmanager_intake(serializer.validated_data))


class AlertmanagerTokenScheme(OpenApiAuthenticationExtension):
    target_class = "incident_console.alerts.api.AlertmanagerTokenAuthentication"
    name = "alertmanagerBearer"

    def get_security_definition(self, auto_schema):
        return {"type": "http", "scheme": "bearer", "description": "ALERTMANAGER_TOKEN"}
