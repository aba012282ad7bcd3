from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.decorators import api_view
from rest_framework.response import Response

from incident_console.maintenance.models import ChecklistCompletion, MaintenanceRun
from incident_console.maintenance.services import checklist_complete, maintenance_start


class MaintenanceRunSerializer(serializers.ModelSerializer):
    class Meta:
        model = MaintenanceRun
        fields = [
            "id",
            "task",
            "title",
            "status",
            "summary",
            "fix_link",
            "output",
            "started_at",
            "finished_at",
            "incident",
        ]


class ChecklistCompletionSerializer(serializers.ModelSerializer):
    completed_by = serializers.CharField(source="completed_by.username", read_only=True)

    class Meta:
        model = ChecklistCompletion
        fields = ["id", "checklist", "title", "items", "note", "completed_by", "completed_at"]


class ChecklistCompleteSerializer(serializers.Serializer):
    items = serializers.ListField(child=serializers.CharField(), help_text="The items ticked.")
    note = serializers.CharField(allow_blank=True, default="")


@extend_schema(responses=MaintenanceRunSerializer(many=True))
@api_view(["GET"])
def maintenance_runs(request):
    """The latest 100 runs of the scheduled duties, newest first."""
    return Response(MaintenanceRunSerializer(MaintenanceRun.objects.all()[:100], many=True).data)


@extend_schema(request=None, responses={202: None})
@api_view(["POST"])
def maintenance_run_now(request, task: str):
    """Start one duty now (commander)."""
    maintenance_start(task=task, actor=request.user)
    return Response({"task": task, "queued": True}, status=status.HTTP_202_ACCEPTED)


@extend_schema(request=ChecklistCompleteSerializer, responses={201: ChecklistCompletionSerializer})
@api_view(["POST"])
def maintenance_checklist_complete(request, key: str):
    """Record a checklist done by the caller (responder): every item ticked, and a note."""
    serializer = ChecklistCompleteSerializer(data=request.data)
    serializer.is_valid(raise_exception=True)
    data = serializer.validated_data
    done = checklist_complete(
        checklist=key, actor=request.user, ticked=data["items"], note=data["note"]
    )
    return Response(ChecklistCompletionSerializer(done).data, status=status.HTTP_201_CREATED)
