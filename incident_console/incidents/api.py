from __future__ import annotations

from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response

from incident_console.incidents import services
from incident_console.incidents.models import Incident, Scenario
from incident_console.incidents.serializers import (
    IncidentCreateSerializer,
    IncidentDetailSerializer,
    IncidentSerializer,
    ManualStepSerializer,
    ScenarioSerializer,
    StepPreviewSerializer,
    StepRunRequestSerializer,
    TimelineEntrySerializer,
)
from incident_console.runs import services as run_services
from incident_console.runs.serializers import StepRunSerializer

RunQueued = inline_serializer(
    "RunQueued", {"run": serializers.IntegerField(), "status": serializers.CharField()}
)


class ScenarioViewSet(viewsets.ReadOnlyModelViewSet):
    serializer_class = ScenarioSerializer
    queryset = Scenario.objects.filter(is_active=True)
    lookup_field = "slug"
    pagination_class = None


class IncidentViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    viewsets.GenericViewSet,
):
    queryset = Incident.objects.select_related("scenario", "opened_by")

    def get_serializer_class(self):
        if self.action == "retrieve":
            return IncidentDetailSerializer
        if self.action == "create":
            return IncidentCreateSerializer
        return IncidentSerializer

    def get_queryset(self):
        incidents = super().get_queryset()
        wanted = self.request.query_params.get("status")
        return incidents.filter(status=wanted) if wanted else incidents

    @extend_schema(request=IncidentCreateSerializer, responses={201: IncidentDetailSerializer})
    def create(self, request):
        data = _valid(IncidentCreateSerializer, request.data)
        incident = services.incident_open(
            scenario_slug=data["scenario"],
            title=data.get("title", ""),
            severity=data.get("severity"),
            actor=request.user,
        )
        return Response(IncidentDetailSerializer(incident).data, status=status.HTTP_201_CREATED)

    @extend_schema(
        parameters=[OpenApiParameter("after", int, description="Only entries with id > after.")],
        responses=TimelineEntrySerializer(many=True),
    )
    @action(detail=True, methods=["get"])
    def timeline(self, request, pk=None):
        entries = self.get_object().timeline.select_related("actor")
        after = request.query_params.get("after")
        if after is not None:
            if not after.isdigit():
                raise ValidationError({"after": "must be a whole number"})
            entries = entries.filter(pk__gt=int(after))
        page = self.paginate_queryset(entries)
        return self.get_paginated_response(TimelineEntrySerializer(page, many=True).data)

    @extend_schema(request=StepRunRequestSerializer, responses={202: RunQueued})
    @action(detail=True, methods=["post"], url_path=r"steps/(?P<step_id>[a-z0-9-]+)/run")
    def run_step(self, request, pk=None, step_id=None):
        data = _valid(StepRunRequestSerializer, request.data)
        run = run_services.step_run_start(
            incident=self.get_object(),
            step_id=step_id,
            actor=request.user,
            params=data["params"],
            confirm=data["confirm"],
        )
        return Response({"run": run.pk, "status": run.status}, status=status.HTTP_202_ACCEPTED)

    @extend_schema(request=StepRunRequestSerializer, responses={200: StepPreviewSerializer})
    @action(detail=True, methods=["post"], url_path=r"steps/(?P<step_id>[a-z0-9-]+)/preview")
    def preview_step(self, request, pk=None, step_id=None):
        data = _valid(StepRunRequestSerializer, request.data)
        rendered = run_services.step_run_preview(
            incident=self.get_object(), step_id=step_id, actor=request.user, params=data["params"]
        )
        return Response(rendered.preview())

    @extend_schema(request=ManualStepSerializer, responses={201: StepRunSerializer})
    @action(detail=True, methods=["post"], url_path=r"steps/(?P<step_id>[a-z0-9-]+)/complete")
    def complete_step(self, request, pk=None, step_id=None):
        data = _valid(ManualStepSerializer, request.data)
        run = run_services.manual_step_complete(
            incident=self.get_object(),
            step_id=step_id,
            actor=request.user,
            outcome=data["outcome"],
            note=data["note"],
        )
        return Response(StepRunSerializer(run).data, status=status.HTTP_201_CREATED)


def _valid(serializer_class, data) -> dict:
    serializer = serializer_class(data=data)
    serializer.is_valid(raise_exception=True)
    return serializer.validated_data
