"""The postmortem over the API: its written sections and action items."""

from __future__ import annotations

from django.shortcuts import get_object_or_404
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.decorators import api_view
from rest_framework.response import Response

from incident_console.errors import NotFound
from incident_console.incidents.selectors import incidents_visible_to
from incident_console.postmortems import services
from incident_console.postmortems.models import ActionItem, Postmortem
from incident_console.postmortems.selectors import action_item_visible_to, action_items_visible_to


class PostmortemSerializer(serializers.ModelSerializer):
    updated_by = serializers.CharField(source="updated_by.username", read_only=True, default=None)

    class Meta:
        model = Postmortem
        fields = ["incident", *Postmortem.WRITTEN_SECTIONS, "updated_at", "updated_by"]
        read_only_fields = ["incident", "updated_at"]
        extra_kwargs = {name: {"required": False} for name in Postmortem.WRITTEN_SECTIONS}


class ActionItemSerializer(serializers.ModelSerializer):
    incident = serializers.IntegerField(source="postmortem.incident_id", read_only=True)
    owner = serializers.CharField(
        source="owner.username", required=False, allow_blank=True, default=""
    )
    is_overdue = serializers.BooleanField(read_only=True)

    class Meta:
        model = ActionItem
        fields = ["id", "incident", "text", "owner", "due", "done", "is_overdue"]
        read_only_fields = ["done"]


class ActionItemDoneSerializer(serializers.Serializer):
    done = serializers.BooleanField()


def _incident(request, pk: int):
    return get_object_or_404(incidents_visible_to(request.user), pk=pk)


@extend_schema(request=PostmortemSerializer, responses=PostmortemSerializer)
@api_view(["GET", "PATCH"])
def postmortem_sections(request, pk: int):
    """Read or change the written sections of an incident's postmortem."""
    incident = _incident(request, pk)
    if request.method == "GET":
        return Response(PostmortemSerializer(services.postmortem_of(incident)).data)
    serializer = PostmortemSerializer(data=request.data, partial=True)
    serializer.is_valid(raise_exception=True)
    postmortem = services.postmortem_update(
        incident=incident, actor=request.user, sections=dict(serializer.validated_data)
    )
    return Response(PostmortemSerializer(postmortem).data)


@extend_schema(request=ActionItemSerializer, responses={201: ActionItemSerializer})
@api_view(["POST"])
def action_item_create(request, pk: int):
    serializer = ActionItemSerializer(data=request.data)
    serializer.is_valid(raise_exception=True)
    data = serializer.validated_data
    item = services.action_item_add(
        incident=_incident(request, pk),
        actor=request.user,
        text=data["text"],
        owner_username=data.get("owner", {}).get("username", ""),
        due=data.get("due"),
    )
    return Response(ActionItemSerializer(item).data, status=status.HTTP_201_CREATED)


@extend_schema(responses=ActionItemSerializer(many=True))
@api_view(["GET"])
def action_item_list(request):
    """Action items across every incident the caller may see, open ones first."""
    return Response(ActionItemSerializer(action_items_visible_to(request.user), many=True).data)


@extend_schema(request=ActionItemDoneSerializer, responses=ActionItemSerializer)
@api_view(["PATCH"])
def action_item_update(request, pk: int):
    serializer = ActionItemDoneSerializer(data=request.data)
    serializer.is_valid(raise_exception=True)
    item = action_item_visible_to(request.user, pk)
    if item is None:
        raise NotFound("no such action item")
    item = services.action_item_set_done(
        item=item, actor=request.user, done=serializer.validated_data["done"]
    )
    return Response(ActionItemSerializer(item).data)
