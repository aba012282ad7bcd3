"""The Alertmanager webhook payload, version 4 (unknown keys are ignored, as Alertmanager adds)."""

from django.utils.translation import gettext
from rest_framework import serializers

STATUSES = ["firing", "resolved"]


class LabelsField(serializers.DictField):
    child = serializers.CharField(allow_blank=True)


class AlertSerializer(serializers.Serializer):
    status = serializers.ChoiceField(choices=STATUSES)
    labels = LabelsField()
    annotations = LabelsField(required=False, default=dict)
    startsAt = serializers.DateTimeField(required=False, allow_null=True)  # noqa: N815
    endsAt = serializers.DateTimeField(required=False, allow_null=True)  # noqa: N815
    generatorURL = serializers.CharField(required=False, allow_blank=True, default="")  # noqa: N815
    fingerprint = serializers.CharField(max_length=64)

    def validate_labels(self, labels: dict) -> dict:
        if not labels.get("alertname"):
            raise serializers.ValidationError(gettext("alertname is required"))
        return labels


class AlertmanagerPayloadSerializer(serializers.Serializer):
    version = serializers.ChoiceField(choices=["4"])
    groupKey = serializers.CharField(max_length=500)  # noqa: N815
    status = serializers.ChoiceField(choices=STATUSES)
    receiver = serializers.CharField(required=False, allow_blank=True)
    groupLabels = LabelsField(required=False, default=dict)  # noqa: N815
    commonLabels = LabelsField(required=False, default=dict)  # noqa: N815
    commonAnnotations = LabelsField(required=False, default=dict)  # noqa: N815
    externalURL = serializers.CharField(required=False, allow_blank=True)  # noqa: N815
    truncatedAlerts = serializers.IntegerField(required=False, min_value=0)  # noqa: N815
    alerts = AlertSerializer(many=True, allow_empty=False)
