from rest_framework import serializers

from incident_console.runs.models import StepRun


class StepRunSerializer(serializers.ModelSerializer):
    created_by = serializers.SlugRelatedField(slug_field="username", read_only=True)
    command = serializers.CharField(source="command_display", read_only=True)
    approved_by = serializers.SlugRelatedField(slug_field="username", read_only=True)

    class Meta:
        model = StepRun
        fields = [
            "id",
            "incident",
            "step_id",
            "step_title",
            "executor",
            "target",
            "runbook_version",
            "params",
            "command",
            "digest",
            "status",
            "exit_code",
            "detail",
            "failure_cause",
            "created_by",
            "created_at",
            "started_at",
            "finished_at",
            "last_seq",
            "output_bytes",
            "cancel_requested",
            "approved_by",
            "truncated",
            "outputs",
        ]


class OutputChunkSerializer(serializers.Serializer):
    seq = serializers.IntegerField()
    stream = serializers.ChoiceField(choices=["stdout", "stderr"])
    text = serializers.CharField()


class OutputPageSerializer(serializers.Serializer):
    chunks = OutputChunkSerializer(many=True)
    status = serializers.CharField()
    last_seq = serializers.IntegerField()
    more = serializers.BooleanField()


class ApproveSerializer(serializers.Serializer):
    digest = serializers.CharField(
        max_length=64, help_text="The digest of the run the approver was shown."
    )


class BreakGlassSerializer(serializers.Serializer):
    reason = serializers.CharField(
        max_length=2000,
        help_text="Why no second commander can approve: recorded, announced to everyone.",
    )
