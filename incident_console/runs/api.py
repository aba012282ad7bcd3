from __future__ import annotations

from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import mixins, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response

from incident_console.incidents.selectors import runs_visible_to
from incident_console.runs import approvals, services
from incident_console.runs.models import StepRun
from incident_console.runs.queries import PAGE_SIZE, chunks_after
from incident_console.runs.serializers import (
    ApproveSerializer,
    BreakGlassSerializer,
    OutputPageSerializer,
    StepRunSerializer,
)


class StepRunViewSet(mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    queryset = StepRun.objects.select_related("created_by")
    serializer_class = StepRunSerializer

    def get_queryset(self):
        # A run of a restricted incident someone may not see is a 404, output included.
        return runs_visible_to(self.request.user, super().get_queryset())

    @extend_schema(
        parameters=[
            OpenApiParameter("after", int, description="Return chunks with seq > after."),
            OpenApiParameter("limit", int, description=f"At most this many (≤ {PAGE_SIZE})."),
        ],
        responses=OutputPageSerializer,
    )
    @action(detail=True, methods=["get"])
    def output(self, request, pk=None):
        run = self.get_object()
        after = _non_negative_int(request.query_params.get("after", "0"), "after")
        limit = _non_negative_int(request.query_params.get("limit", str(PAGE_SIZE)), "limit")
        limit = max(1, min(limit, PAGE_SIZE))
        chunks = chunks_after(run.pk, after, limit=limit)
        last = chunks[-1]["seq"] if chunks else after
        return Response(
            {
                "chunks": chunks,
                "status": run.status,
                "last_seq": run.last_seq,
                "more": len(chunks) == limit or last < run.last_seq,
            }
        )

    @extend_schema(request=ApproveSerializer, responses=StepRunSerializer)
    @action(detail=True, methods=["post"])
    def approve(self, request, pk=None):
        serializer = ApproveSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        run = services.step_run_approve(
            run=self.get_object(), actor=request.user, digest=serializer.validated_data["digest"]
        )
        return Response(StepRunSerializer(run).data)

    @extend_schema(request=BreakGlassSerializer, responses=StepRunSerializer)
    @action(detail=True, methods=["post"], url_path="break-glass")
    def break_glass(self, request, pk=None):
        serializer = BreakGlassSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        run = approvals.step_run_break_glass(
            run=self.get_object(), actor=request.user, reason=serializer.validated_data["reason"]
        )
        return Response(StepRunSerializer(run).data)

    @extend_schema(request=None, responses=StepRunSerializer)
    @action(detail=True, methods=["post"])
    def cancel(self, request, pk=None):
        run = services.step_run_cancel(run=self.get_object(), actor=request.user)
        return Response(StepRunSerializer(run).data)


def _non_negative_int(raw: str, name: str) -> int:
    try:
        value = int(raw)
    except ValueError:
        raise ValidationError({name: _("must be a whole number")}) from None
    if value < 0:
        raise ValidationError({name: _("must not be negative")})
    return value
