from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.decorators import api_view
from rest_framework.response import Response

from incident_console.maintenance.models import MaintenanceRun
from incident_console.maintenance.services import maintenance_start


class MaintenanceRunSerializer(serializers.ModelSerializer):
    class Meta:
        model = MaintenanceRun
        fields = [
            "id",
            "task",
            "title",
            "status",
            "output",
            "started_at",
            "finished_at",
            "incident",
        ]


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
