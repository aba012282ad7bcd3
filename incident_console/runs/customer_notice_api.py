"""The customer notice of an incident's step: its draft (GET) and sending it (POST, commander)."""

from __future__ import annotations

from dataclasses import asdict

from django.shortcuts import get_object_or_404
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers, status
from rest_framework.decorators import api_view
from rest_framework.response import Response

from incident_console.incidents.selectors import incidents_visible_to
from incident_console.runs.customer_notices import customer_notice_draft, customer_notice_send
from incident_console.runs.serializers import StepRunSerializer

NoticeDraftSerializer = inline_serializer(
    "CustomerNoticeDraft",
    {
        "to": serializers.CharField(),
        "subject": serializers.CharField(),
        "body": serializers.CharField(),
        "problem": serializers.CharField(help_text="Why it cannot be sent now; empty if it can."),
    },
)


class NoticeSendSerializer(serializers.Serializer):
    subject = serializers.CharField(max_length=300)
    body = serializers.CharField(max_length=20_000)


@extend_schema(
    methods=["GET"],
    request=None,
    responses={200: NoticeDraftSerializer},
    operation_id="notice_draft",
)
@extend_schema(
    methods=["POST"],
    request=NoticeSendSerializer,
    responses={201: StepRunSerializer},
    operation_id="notice_send",
)
@api_view(["GET", "POST"])
def customer_notice(request, pk: int, step_id: str):
    """The step's draft; POST sends the subject and body given to the customer contact."""
    incidents = incidents_visible_to(request.user).select_related("scenario")
    incident = get_object_or_404(incidents, pk=pk)
    if request.method == "GET":
        return Response(asdict(customer_notice_draft(incident=incident, step_id=step_id)))
    serializer = NoticeSendSerializer(data=request.data)
    serializer.is_valid(raise_exception=True)
    run = customer_notice_send(
        incident=incident, step_id=step_id, actor=request.user, **serializer.validated_data
    )
    return Response(StepRunSerializer(run).data, status=status.HTTP_201_CREATED)
