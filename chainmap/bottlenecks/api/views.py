"""API: the 130 bottlenecks (卡点)."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import mixins, status
from rest_framework.request import Request
from rest_framework.response import Response

from chainmap import models as m
from chainmap.accounts import permissions
from chainmap.bottlenecks.api import serializers as s
from chainmap.bottlenecks.api.filters import BottleneckFilterSet
from chainmap.core.api.caching import CachedListMixin
from chainmap.core.api.views import ApiViewSet, VersionedMixin, require
from chainmap.maps.services import mapedit

# --- bottlenecks ---------------------------------------------------------------------------------


@extend_schema_view(
    create=extend_schema(request=s.BottleneckCreateSerializer, responses={201: s.BottleneckSerializer}),
    update=extend_schema(request=s.BottleneckUpdateSerializer, responses=s.BottleneckSerializer),
    partial_update=extend_schema(request=s.BottleneckUpdateSerializer, responses=s.BottleneckSerializer),
)
class BottleneckViewSet(
    VersionedMixin,
    CachedListMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    ApiViewSet,
):
    """Bottlenecks (卡点) by code; collected ones are visible to officials only."""

    serializer_class = s.BottleneckSerializer
    action_rules = {"create": permissions.can_create_chain_data}
    filterset_class = BottleneckFilterSet
    lookup_field = "code"
    ordering_fields = ["code", "severity", "status", "target_date"]

    def get_queryset(self) -> QuerySet[m.Bottleneck]:
        return (
            m.Bottleneck.objects.visible_to(self.request.user)
            .select_related("chain", "raised_by")
            .prefetch_related("nodes")
        )

    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        valid = self.validated(s.BottleneckCreateSerializer)
        chain = valid.validated_data["chain"]
        require(permissions.can_create_bottleneck(user=request.user, chain_id=chain.pk))
        bottleneck = mapedit.bottleneck_create(
            chain_id=chain.pk, user=request.user, reason=valid.validated_data["reason"], data=valid.to_input()
        )
        return self.show(bottleneck, code=status.HTTP_201_CREATED)

    def update(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        bottleneck = self.get_object()
        require(permissions.can_edit_bottleneck(user=request.user, bottleneck=bottleneck))
        expected = self.expected_version(bottleneck)
        valid = self.validated(s.BottleneckUpdateSerializer, partial=kwargs.get("partial", False))
        bottleneck = mapedit.bottleneck_update(
            bottleneck_id=bottleneck.pk,
            user=request.user,
            reason=valid.validated_data.get("reason", ""),
            expected_version=expected,
            changes=valid.to_input(chain_id=bottleneck.chain_id),
        )
        return self.show(bottleneck)
