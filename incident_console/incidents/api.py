from __future__ import annotations

import json

from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import mixins, renderers, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response

from incident_console.incidents import services
from incident_console.incidents.models import Incident, Scenario
from incident_console.incidents.postmortem import postmortem_markdown
from incident_console.incidents.selectors import (
    FILTERS,
    incidents_filtered,
    incidents_visible_to,
)
from incident_console.incidents.serializers import (
    EscalateSerializer,
    IncidentCreateSerializer,
    IncidentDetailSerializer,
    IncidentSerializer,
    IncidentUpdateSerializer,
    ManualStepSerializer,
    MemberSerializer,
    NoteSerializer,
    RestrictSerializer,
    ScenarioSerializer,
    StepPreviewSerializer,
    StepRunRequestSerializer,
    TimelineEntrySerializer,
    TransitionSerializer,
)
from incident_console.notifications.escalation import escalate_by_hand
from incident_console.runs import services as run_services
from incident_console.runs.serializers import StepRunSerializer


class MarkdownRenderer(renderers.BaseRenderer):
    media_type = "text/markdown"
    format = "md"
    charset = "utf-8"

    def render(self, data, accepted_media_type=None, renderer_context=None):
        if isinstance(data, str):
            return data.encode("utf-8")
        return json.dumps(data).encode("utf-8")


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
        # A restricted incident someone may not see is a 404 under every action, not a 403.
        incidents = incidents_visible_to(self.request.user, super().get_queryset())
        if self.action != "list":
            return incidents
        return incidents_filtered(incidents, self.request.query_params)

    @extend_schema(
        parameters=[OpenApiParameter(name, str, description=text) for name, text in FILTERS.items()]
    )
    def list(self, request, *args, **kwargs):
        return super().list(request, *args, **kwargs)

    @extend_schema(request=IncidentCreateSerializer, responses={201: IncidentDetailSerializer})
    def create(self, request):
        data = _valid(IncidentCreateSerializer, request.data)
        incident = services.incident_open(
            scenario_slug=data["scenario"],
            title=data.get("title", ""),
            severity=data.get("severity"),
            actor=request.user,
            restricted=data["restricted"],
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
            digest=data["digest"],
            acknowledge_lost=data["acknowledge_lost"],
            override_needs=data["override_needs"],
        )
        return Response({"run": run.pk, "status": run.status}, status=status.HTTP_202_ACCEPTED)

    @extend_schema(request=StepRunRequestSerializer, responses={200: StepPreviewSerializer})
    @action(detail=True, methods=["post"], url_path=r"steps/(?P<step_id>[a-z0-9-]+)/preview")
    def preview_step(self, request, pk=None, step_id=None):
        data = _valid(StepRunRequestSerializer, request.data)
        rendered = run_services.step_run_preview(
            incident=self.get_object(), step_id=step_id, params=data["params"]
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
            override_needs=data["override_needs"],
        )
        return Response(StepRunSerializer(run).data, status=status.HTTP_201_CREATED)


def _valid(serializer_class, data) -> dict:
    serializer = serializer_class(data=data)
    serializer.is_valid(raise_exception=True)
    return serializer.validated_data


class IncidentLifecycleViewSet(viewsets.GenericViewSet):
    """Status changes, notes, commander and impact, escalation and the postmortem."""

    queryset = Incident.objects.select_related("scenario", "opened_by", "commander")
    serializer_class = IncidentSerializer

    def get_queryset(self):
        return incidents_visible_to(self.request.user, super().get_queryset())

    @extend_schema(request=TransitionSerializer, responses=IncidentSerializer)
    @action(detail=True, methods=["post"])
    def transition(self, request, pk=None):
        data = _valid(TransitionSerializer, request.data)
        incident = services.incident_transition(
            incident=self.get_object(), to=data["status"], actor=request.user, note=data["note"]
        )
        return Response(IncidentSerializer(incident).data)

    @extend_schema(request=NoteSerializer, responses={201: TimelineEntrySerializer})
    @action(detail=True, methods=["post"])
    def notes(self, request, pk=None):
        data = _valid(NoteSerializer, request.data)
        entry = services.incident_note_add(
            incident=self.get_object(), text=data["text"], actor=request.user
        )
        return Response(TimelineEntrySerializer(entry).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=IncidentUpdateSerializer, responses=IncidentSerializer)
    @action(detail=True, methods=["post"])
    def update_details(self, request, pk=None):
        data = _valid(IncidentUpdateSerializer, request.data)
        incident = services.incident_update(incident=self.get_object(), actor=request.user, **data)
        return Response(IncidentSerializer(incident).data)

    @extend_schema(request=RestrictSerializer, responses=IncidentSerializer)
    @action(detail=True, methods=["post"])
    def restrict(self, request, pk=None):
        data = _valid(RestrictSerializer, request.data)
        incident = services.incident_restrict(
            incident=self.get_object(), restricted=data["restricted"], actor=request.user
        )
        return Response(IncidentSerializer(incident).data)

    @extend_schema(request=MemberSerializer, responses={201: MemberSerializer})
    @action(detail=True, methods=["post"])
    def members(self, request, pk=None):
        data = _valid(MemberSerializer, request.data)
        member = services.incident_member_add(
            incident=self.get_object(), username=data["username"], actor=request.user
        )
        return Response({"username": member.username}, status=status.HTTP_201_CREATED)

    @extend_schema(request=EscalateSerializer, responses={202: None})
    @action(detail=True, methods=["post"])
    def escalate(self, request, pk=None):
        data = _valid(EscalateSerializer, request.data)
        sent = escalate_by_hand(
            incident=self.get_object(),
            notify_names=data["notify"],
            message=data["message"],
            actor=request.user,
        )
        return Response({"notifications": len(sent)}, status=status.HTTP_202_ACCEPTED)

    @extend_schema(responses={(200, "text/markdown"): str})
    @action(detail=True, methods=["get"], renderer_classes=[MarkdownRenderer])
    def postmortem(self, request, pk=None):
        incident = self.get_object()
        response = Response(
            postmortem_markdown(incident, base_url=request.build_absolute_uri("/")[:-1]),
            content_type="text/markdown; charset=utf-8",
        )
        response["Content-Disposition"] = f'inline; filename="postmortem-{incident.pk}.md"'
        return response
