"""API: regions, chains, clusters, the chain map, nodes, edges and change proposals."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from chainmap import models as m
from chainmap.accounts import permissions
from chainmap.core import roles
from chainmap.core.api.caching import CachedListMixin, cached_response
from chainmap.core.api.views import REASON_PARAM, ApiViewSet, VersionedMixin, require
from chainmap.maps.api import serializers as s
from chainmap.maps.api.filters import (
    ChainFilterSet,
    ClusterFilterSet,
    EdgeFilterSet,
    NodeFilterSet,
    ProposalFilterSet,
    RegionFilterSet,
)
from chainmap.maps.api.serializers import node_id_by_code as node_id_by_code  # re-exported: other areas use it
from chainmap.maps.services import mapedit, proposals

# --- regions, chains, clusters -------------------------------------------------------------------


class RegionViewSet(CachedListMixin, mixins.RetrieveModelMixin, ApiViewSet):
    """The three regions (BJ / TJ / HE), their role in the division of labour and sub-regions."""

    serializer_class = s.RegionSerializer
    filterset_class = RegionFilterSet
    lookup_field = "code"
    ordering_fields = ["position", "code"]

    def get_queryset(self) -> QuerySet[m.Region]:
        regions = m.Region.objects.prefetch_related("subregions")
        return regions if roles.role_of(self.request.user) is not None else regions.none()


class ChainViewSet(CachedListMixin, mixins.RetrieveModelMixin, ApiViewSet):
    """The key industrial chains and the region leading each today; ``map`` gives nodes and edges at once."""

    serializer_class = s.ChainSerializer
    filterset_class = ChainFilterSet
    lookup_field = "slug"
    ordering_fields = ["position", "code", "name"]
    throttle_scopes = {"map": "map"}

    def get_queryset(self) -> QuerySet[m.Chain]:
        return m.Chain.objects.visible_to(self.request.user).distinct()

    def get_serializer_context(self) -> dict[str, Any]:
        context = super().get_serializer_context()
        region_codes = dict(m.Region.objects.values_list("pk", "code"))
        context["leaders"] = {
            chain_id: region_codes.get(region_id) for chain_id, region_id in permissions.leading_region_ids().items()
        }
        return context

    @extend_schema(responses=s.ChainMapSerializer, summary="The chain with all its nodes and edges, in one call.")
    @action(detail=True, methods=["get"], filter_backends=[], pagination_class=None)
    def map(self, request: Request, slug: str | None = None) -> Response:
        def build() -> Response:
            chain = self.get_object()
            nodes = m.Node.objects.visible_to(request.user).filter(chain=chain).select_related("chain", "parent")
            edges = (
                m.Edge.objects.visible_to(request.user).filter(chain=chain).select_related("chain", "source", "target")
            )
            data = s.ChainMapSerializer(
                {"chain": chain, "nodes": nodes, "edges": edges}, context=self.get_serializer_context()
            ).data
            return Response(data)

        return cached_response(request, "chain-map", build)


class ClusterViewSet(CachedListMixin, mixins.RetrieveModelMixin, ApiViewSet):
    """The advanced-manufacturing clusters and their related chains."""

    serializer_class = s.ClusterSerializer
    filterset_class = ClusterFilterSet
    lookup_field = "slug"
    ordering_fields = ["position", "code", "name"]

    def get_queryset(self) -> QuerySet[m.Cluster]:
        clusters = m.Cluster.objects.prefetch_related("chains")
        return clusters if roles.role_of(self.request.user) is not None else clusters.none()


# --- nodes and edges -----------------------------------------------------------------------------


class ChainMapRowMixin(VersionedMixin):
    """Writes of a chain-map row (node, edge): the leading region's right, If-Match, then the map service."""

    def chain_map_update(self, obj: Any, *, serializer: type, service: Any, key: str, partial: bool) -> Response:
        """PUT/PATCH of a chain-map row (node, edge): the leader's right, If-Match, then the map service."""
        request = self.request  # type: ignore[attr-defined]
        require(permissions.can_edit_chain_map(user=request.user, chain_id=obj.chain_id))
        expected = self.expected_version(obj)
        valid = self.validated(serializer, partial=partial)  # type: ignore[attr-defined]
        changes = valid.to_input(chain_id=obj.chain_id) if serializer is s.NodeUpdateSerializer else valid.to_input()
        reason = valid.validated_data.get("reason", "")
        changed = service(**{key: obj.pk}, user=request.user, reason=reason, expected_version=expected, changes=changes)
        return self.show(changed)  # type: ignore[attr-defined]

    def chain_map_destroy(self, obj: Any, *, service: Any, key: str) -> Response:
        """DELETE of a chain-map row: the leader's right, optional If-Match, ``?reason=`` required."""
        request = self.request  # type: ignore[attr-defined]
        require(permissions.can_edit_chain_map(user=request.user, chain_id=obj.chain_id))
        expected = self.expected_version(obj, required=False)
        service(
            **{key: obj.pk}, user=request.user, reason=request.query_params.get("reason", ""), expected_version=expected
        )
        return Response(status=status.HTTP_204_NO_CONTENT)


@extend_schema_view(
    create=extend_schema(request=s.NodeCreateSerializer, responses={201: s.NodeSerializer}),
    update=extend_schema(request=s.NodeUpdateSerializer, responses=s.NodeSerializer),
    partial_update=extend_schema(request=s.NodeUpdateSerializer, responses=s.NodeSerializer),
    destroy=extend_schema(parameters=[REASON_PARAM]),
)
class NodeViewSet(CachedListMixin, ChainMapRowMixin, viewsets.ModelViewSet, ApiViewSet):
    """Chain nodes by code. Direct edits: the joint office and the chain's leading region."""

    serializer_class = s.NodeSerializer
    action_rules = {"create": permissions.can_create_chain_data}
    filterset_class = NodeFilterSet
    lookup_field = "code"
    ordering_fields = ["code", "name", "position", "segment"]

    def get_queryset(self) -> QuerySet[m.Node]:
        return m.Node.objects.visible_to(self.request.user).select_related("chain", "parent")

    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        valid = self.validated(s.NodeCreateSerializer)
        data = valid.validated_data
        node = mapedit.node_create(
            chain_id=data["chain"].pk, user=request.user, reason=data["reason"], data=valid.to_input()
        )
        return self.show(node, code=status.HTTP_201_CREATED)

    def update(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return self.chain_map_update(
            self.get_object(),
            serializer=s.NodeUpdateSerializer,
            service=mapedit.node_update,
            key="node_id",
            partial=kwargs.get("partial", False),
        )

    def destroy(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return self.chain_map_destroy(self.get_object(), service=mapedit.node_delete, key="node_id")


@extend_schema_view(
    create=extend_schema(request=s.EdgeCreateSerializer, responses={201: s.EdgeSerializer}),
    update=extend_schema(request=s.EdgeUpdateSerializer, responses=s.EdgeSerializer),
    partial_update=extend_schema(request=s.EdgeUpdateSerializer, responses=s.EdgeSerializer),
    destroy=extend_schema(parameters=[REASON_PARAM]),
)
class EdgeViewSet(CachedListMixin, ChainMapRowMixin, viewsets.ModelViewSet, ApiViewSet):
    """Supply relations between two nodes of one chain (the supply graph stays acyclic)."""

    serializer_class = s.EdgeSerializer
    action_rules = {"create": permissions.can_create_chain_data}
    filterset_class = EdgeFilterSet
    ordering_fields = ["id", "kind"]

    def get_queryset(self) -> QuerySet[m.Edge]:
        return m.Edge.objects.visible_to(self.request.user).select_related("chain", "source", "target")

    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        valid = self.validated(s.EdgeCreateSerializer)
        data = valid.validated_data
        edge = mapedit.edge_create(
            chain_id=data["chain"].pk, user=request.user, reason=data["reason"], data=valid.to_input()
        )
        return self.show(edge, code=status.HTTP_201_CREATED)

    def update(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return self.chain_map_update(
            self.get_object(),
            serializer=s.EdgeUpdateSerializer,
            service=mapedit.edge_update,
            key="edge_id",
            partial=kwargs.get("partial", False),
        )

    def destroy(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return self.chain_map_destroy(self.get_object(), service=mapedit.edge_delete, key="edge_id")


@extend_schema_view(create=extend_schema(request=s.ProposalCreateSerializer, responses={201: s.ProposalSerializer}))
class ProposalViewSet(CachedListMixin, mixins.RetrieveModelMixin, mixins.CreateModelMixin, ApiViewSet):
    """Change proposals to chain maps, reviewed by the leading region (never by their author)."""

    serializer_class = s.ProposalSerializer
    action_rules = {"create": permissions.can_create_chain_data}
    filterset_class = ProposalFilterSet
    ordering_fields = ["created_at", "status"]

    def get_queryset(self) -> QuerySet[m.ChangeProposal]:
        return (
            m.ChangeProposal.objects.visible_to(self.request.user)
            .select_related("chain", "author", "author_region", "routed_to", "reviewer")
            .prefetch_related("items")
        )

    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        data = self.input(s.ProposalCreateSerializer)  # the service checks who may propose, as for the page
        proposal = proposals.proposal_create(
            chain_id=data["chain"].pk,
            author=request.user,
            title=data["title"],
            reason=data["reason"],
            items=[dict(item) for item in data["items"]],
        )
        return self.show(proposal, code=status.HTTP_201_CREATED)

    @extend_schema(request=s.ReviewCommentSerializer, responses=s.ProposalSerializer)
    @action(detail=True, methods=["post"])
    def approve(self, request: Request, pk: str | None = None) -> Response:
        proposal = self.get_object()  # the service checks the rest (open, who reviews), as for the page
        data = self.input(s.ReviewCommentSerializer)
        return self.show(
            proposals.proposal_approve(proposal_id=proposal.pk, reviewer=request.user, comment=data["comment"])
        )

    @extend_schema(request=s.RejectSerializer, responses=s.ProposalSerializer)
    @action(detail=True, methods=["post"])
    def reject(self, request: Request, pk: str | None = None) -> Response:
        proposal = self.get_object()  # the service checks the rest (open, who reviews), as for the page
        data = self.input(s.RejectSerializer)
        return self.show(
            proposals.proposal_reject(proposal_id=proposal.pk, reviewer=request.user, comment=data["comment"])
        )

    @extend_schema(request=None, responses=s.ProposalSerializer)
    @action(detail=True, methods=["post"])
    def withdraw(self, request: Request, pk: str | None = None) -> Response:
        proposal = self.get_object()  # the service checks the rest (open, its author), as for the page
        return self.show(proposals.proposal_withdraw(proposal_id=proposal.pk, user=request.user))

    @extend_schema(
        request=s.RevertSerializer, responses={201: s.ProposalSerializer}, summary="Propose undoing an approved one."
    )
    @action(detail=True, methods=["post"])
    def revert(self, request: Request, pk: str | None = None) -> Response:
        proposal = self.get_object()  # the service checks the rest (approved, who proposes), as for the page
        data = self.input(s.RevertSerializer)
        reverted = proposals.proposal_revert(proposal_id=proposal.pk, author=request.user, reason=data["reason"])
        return self.show(reverted, code=status.HTTP_201_CREATED)
