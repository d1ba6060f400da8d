"""Node assessments over the API: how strong each region is at a node (strong / present / weak / empty).

``GET node-assessments/?node=<code>`` lists them; ``GET`` / ``PUT node-assessments/<node code>/<region>/``
reads or sets one region's level through ``services.assessments`` (same rule as the node page: the
chain's leading region and the joint office set any region, other region officials their own).
A ``PUT`` may carry ``expected_level``, the level the client read: when someone changed it meanwhile
the write is refused (400 naming ``expected_level``) instead of overwriting it.
"""

from __future__ import annotations

from typing import Any

import django_filters.rest_framework as df
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.shortcuts import get_object_or_404
from django.urls import path
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import generics, serializers
from rest_framework.request import Request
from rest_framework.response import Response

from chainmap.core import roles
from chainmap.core.actors import Actor
from chainmap.core.api.errors import ErrorSerializer
from chainmap.maps.services import assessments
from chainmap.models import Level, Node, NodeAssessment, Region, RegionCode


class NodeAssessmentSerializer(serializers.ModelSerializer):
    node: serializers.SlugRelatedField[Node] = serializers.SlugRelatedField(
        read_only=True, slug_field="code", help_text="Node code."
    )
    region: serializers.SlugRelatedField[Region] = serializers.SlugRelatedField(
        read_only=True, slug_field="code", help_text="Region code."
    )

    class Meta:
        model = NodeAssessment
        fields = ["node", "region", "level", "note", "updated_at"]
        read_only_fields = fields


class NodeAssessmentSetSerializer(serializers.Serializer):
    level = serializers.ChoiceField(choices=Level.choices)
    note = serializers.CharField(
        max_length=assessments.NOTE_MAX,
        required=False,
        allow_blank=True,
        help_text="Replaces the note when given; left unchanged when omitted.",
    )
    reason = serializers.CharField(max_length=1000, help_text="Why; recorded in the history.")
    expected_level = serializers.CharField(
        max_length=8,
        required=False,
        allow_blank=True,
        help_text=(
            "The level you read (strong, present, weak, empty; empty string when not assessed yet). "
            "When the level changed meanwhile the write is refused with 400 naming this field."
        ),
    )

    def validate_expected_level(self, value: str) -> str:
        if value not in ("", *Level.values):
            raise serializers.ValidationError(_("Choose strong, present, weak, empty or leave it blank."))
        return value


class NodeAssessmentFilterSet(df.FilterSet):
    node = df.CharFilter(field_name="node__code", help_text="Node code.")
    chain = df.CharFilter(field_name="node__chain__slug", help_text="Chain slug.")
    region = df.CharFilter(field_name="region__code", help_text="Region code.")
    level = df.ChoiceFilter(choices=Level.choices)

    class Meta:
        model = NodeAssessment
        fields = ["node", "chain", "region", "level"]


def _assessments(user: Actor) -> QuerySet[NodeAssessment]:
    """Visible like the nodes: to every user with a role."""
    rows = NodeAssessment.objects.select_related("node", "region").order_by("node__code", "region__position")
    return rows if roles.role_of(user) is not None else rows.none()


ERRORS = {
    400: OpenApiResponse(ErrorSerializer, description="A field is not valid (the error names it)."),
    403: OpenApiResponse(ErrorSerializer, description="You may not set this region's level at this node."),
    404: OpenApiResponse(ErrorSerializer, description="No such node or region, or one you may not see."),
}
PATH_PARAMS = [
    OpenApiParameter("node_code", OpenApiTypes.STR, OpenApiParameter.PATH, description="Node code, e.g. H2-UP-03."),
    OpenApiParameter("region", OpenApiTypes.STR, OpenApiParameter.PATH, enum=list(RegionCode.values)),
]


class NodeAssessmentListView(generics.ListAPIView):
    serializer_class = NodeAssessmentSerializer
    filterset_class = NodeAssessmentFilterSet
    ordering_fields = ["level", "updated_at"]

    def get_queryset(self) -> QuerySet[NodeAssessment]:
        return _assessments(self.request.user)

    @extend_schema(
        operation_id="node_assessments_list",
        summary="Regional assessments of nodes (filter by node, chain, region, level)",
    )
    def get(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().get(request, *args, **kwargs)


class NodeAssessmentDetailView(generics.GenericAPIView):
    serializer_class = NodeAssessmentSerializer
    filter_backends: list[Any] = []
    pagination_class = None

    def get_queryset(self) -> QuerySet[NodeAssessment]:
        return _assessments(self.request.user)

    def get_object(self) -> NodeAssessment:
        node, region = self._target(self.kwargs["node_code"], self.kwargs["region"])
        return get_object_or_404(self.get_queryset(), node=node, region=region)

    def _target(self, node_code: str, region: str) -> tuple[Node, Region]:
        node = get_object_or_404(Node.objects.visible_to(self.request.user), code=node_code.upper())
        return node, get_object_or_404(Region, code=region.upper())

    @extend_schema(
        operation_id="node_assessments_retrieve",
        summary="One region's assessment at a node",
        parameters=PATH_PARAMS,
        responses={200: NodeAssessmentSerializer, 404: ERRORS[404]},
    )
    def get(self, request: Request, node_code: str, region: str) -> Response:
        return Response(NodeAssessmentSerializer(self.get_object()).data)

    @extend_schema(
        operation_id="node_assessments_set",
        summary="Set one region's level at a node (created when missing); the chain's diagram is re-rendered",
        parameters=PATH_PARAMS,
        request=NodeAssessmentSetSerializer,
        responses={200: NodeAssessmentSerializer, **ERRORS},
    )
    def put(self, request: Request, node_code: str, region: str) -> Response:
        node, region_obj = self._target(node_code, region)
        if not assessments.can_set_assessment(user=request.user, chain_id=node.chain_id, region_id=region_obj.pk):
            raise PermissionDenied(_("You may not set this region's level at this node."))
        data = NodeAssessmentSetSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = data.validated_data
        assessment = assessments.assessment_set(
            node_id=node.pk,
            region_id=region_obj.pk,
            level=values["level"],
            note=values.get("note"),
            user=request.user,
            reason=values["reason"],
            expected_level=values.get("expected_level"),
        )
        fresh = _assessments(request.user).get(pk=assessment.pk)
        return Response(NodeAssessmentSerializer(fresh).data)


urlpatterns = [
    path("node-assessments/", NodeAssessmentListView.as_view(), name="node-assessment-list"),
    path(
        "node-assessments/<str:node_code>/<str:region>/",
        NodeAssessmentDetailView.as_view(),
        name="node-assessment-detail",
    ),
]
