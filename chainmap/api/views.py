"""API viewsets. Each one wires parts: visibility in ``get_queryset`` (``visible_to``: invisible → 404),
decisions through ``chainmap.permissions`` (→ 403), writes through the services, errors through
``chainmap.api.errors``. Versioned objects answer an ``ETag`` and need ``If-Match`` to change.
"""

from __future__ import annotations

import re
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Model, Prefetch, QuerySet
from django.http import FileResponse, Http404
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.serializers import BaseSerializer
from rest_framework.throttling import BaseThrottle, ScopedRateThrottle

from chainmap import models as m
from chainmap import permissions, roles
from chainmap.api import serializers as s
from chainmap.api.errors import PreconditionFailed, PreconditionRequired
from chainmap.api.filters import (
    BottleneckFilterSet,
    ChainFilterSet,
    ClusterFilterSet,
    EdgeFilterSet,
    EnterpriseFilterSet,
    LeadershipTermFilterSet,
    MatchFilterSet,
    MatchingRoundFilterSet,
    NodeFilterSet,
    PlacementFilterSet,
    ProfileFilterSet,
    ProposalFilterSet,
    RegionFilterSet,
    ReportFilterSet,
    SubscriptionFilterSet,
)
from chainmap.services import mapedit, placements, profiles, proposals, rounds

REASON_PARAM = OpenApiParameter(
    "reason", OpenApiTypes.STR, OpenApiParameter.QUERY, required=True, description="Why; recorded in the history."
)
_ETAG = re.compile(r'^"(\d{1,19})-(\d{1,10})"$')


def require(allowed: bool) -> None:
    """Refuse a visible object's action (403) when the permission rule says no."""
    if not allowed:
        raise PermissionDenied(_("You do not have permission to perform this action."))


def node_id_by_code(code: str | None, *, field: str, chain_id: int | None = None) -> int | None:
    if code is None:
        return None
    nodes = m.Node.objects.filter(code=code)
    if chain_id is not None:
        nodes = nodes.filter(chain_id=chain_id)
    node_id = nodes.values_list("pk", flat=True).first()
    if node_id is None:
        raise ValidationError({field: _("Unknown node code %(code)s.") % {"code": code}})
    return node_id


class ApiViewSet(viewsets.GenericViewSet):
    """Shared wiring: ordering + FilterSets + pagination from settings; scoped throttles per action."""

    throttle_scopes: dict[str, str] = {}
    ordering_fields: list[str] = ["id"]

    def get_throttles(self) -> list[BaseThrottle]:
        scope = self.throttle_scopes.get(getattr(self, "action", "") or "")
        if scope is None:
            return list(super().get_throttles())
        self.throttle_scope = scope
        return [*super().get_throttles(), ScopedRateThrottle()]

    def input(self, serializer_class: type[BaseSerializer], *, partial: bool = False) -> dict[str, Any]:
        serializer = serializer_class(data=self.request.data, partial=partial, context=self.get_serializer_context())
        serializer.is_valid(raise_exception=True)
        return dict(serializer.validated_data)

    def show(self, obj: Model, *, code: int = status.HTTP_200_OK) -> Response:
        """Answer with the object as the detail endpoint shows it (re-read over the visible queryset)."""
        fresh = self.get_queryset().get(pk=obj.pk)
        response = Response(self.get_serializer(fresh).data, status=code)
        etag_field = getattr(self, "etag_field", None)
        if etag_field:
            response["ETag"] = etag_for(fresh, etag_field)
        return response


def etag_for(obj: Any, field: str) -> str:
    return f'"{obj.pk}-{getattr(obj, field)}"'


class VersionedMixin:
    """ETag on reads; ``If-Match`` required on PUT/PATCH (428 without, 412 when stale)."""

    etag_field = "version"

    def retrieve(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        obj = self.get_object()  # type: ignore[attr-defined]
        response = Response(self.get_serializer(obj).data)  # type: ignore[attr-defined]
        response["ETag"] = etag_for(obj, self.etag_field)
        return response

    def expected_version(self, obj: Any, *, required: bool = True) -> int | None:
        """The version the client read, from its If-Match; a tag of another object or unparsable → 412."""
        header = self.request.headers.get("If-Match", "").strip()  # type: ignore[attr-defined]
        if not header:
            if required:
                raise PreconditionRequired()
            return None
        for tag in header.split(","):
            match = _ETAG.match(tag.strip())
            if match and int(match[1]) == obj.pk:
                return int(match[2])
        raise PreconditionFailed()

    def chain_map_update(self, obj: Any, *, serializer: type, service: Any, key: str, partial: bool) -> Response:
        """PUT/PATCH of a chain-map row (node, edge): the leader's right, If-Match, then the map service."""
        request = self.request  # type: ignore[attr-defined]
        require(permissions.can_edit_chain_map(user=request.user, chain_id=obj.chain_id))
        expected = self.expected_version(obj)
        data = self.input(serializer, partial=partial)  # type: ignore[attr-defined]
        reason = data.pop("reason")
        if "parent" in data:
            data["parent_id"] = node_id_by_code(data.pop("parent"), field="parent", chain_id=obj.chain_id)
        changed = service(**{key: obj.pk}, user=request.user, reason=reason, expected_version=expected, changes=data)
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


# --- regions, chains, clusters -------------------------------------------------------------------


class RegionViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, ApiViewSet):
    """The three regions (BJ / TJ / HE), their role in the division of labour and sub-regions."""

    serializer_class = s.RegionSerializer
    filterset_class = RegionFilterSet
    lookup_field = "code"
    ordering_fields = ["position", "code"]

    def get_queryset(self) -> QuerySet[m.Region]:
        regions = m.Region.objects.prefetch_related("subregions")
        return regions if roles.role_of(self.request.user) is not None else regions.none()


class ChainViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, ApiViewSet):
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
        chain = self.get_object()
        nodes = m.Node.objects.visible_to(request.user).filter(chain=chain).select_related("chain", "parent")
        edges = m.Edge.objects.visible_to(request.user).filter(chain=chain).select_related("chain", "source", "target")
        data = s.ChainMapSerializer(
            {"chain": chain, "nodes": nodes, "edges": edges}, context=self.get_serializer_context()
        ).data
        return Response(data)


class ClusterViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, ApiViewSet):
    """The advanced-manufacturing clusters and their related chains."""

    serializer_class = s.ClusterSerializer
    filterset_class = ClusterFilterSet
    lookup_field = "slug"
    ordering_fields = ["position", "code", "name"]

    def get_queryset(self) -> QuerySet[m.Cluster]:
        clusters = m.Cluster.objects.prefetch_related("chains")
        return clusters if roles.role_of(self.request.user) is not None else clusters.none()


# --- nodes and edges -----------------------------------------------------------------------------


@extend_schema_view(
    create=extend_schema(request=s.NodeCreateSerializer, responses={201: s.NodeSerializer}),
    update=extend_schema(request=s.NodeUpdateSerializer, responses=s.NodeSerializer),
    partial_update=extend_schema(request=s.NodeUpdateSerializer, responses=s.NodeSerializer),
    destroy=extend_schema(parameters=[REASON_PARAM]),
)
class NodeViewSet(VersionedMixin, viewsets.ModelViewSet, ApiViewSet):
    """Chain nodes by code. Direct edits: the joint office and the chain's leading region."""

    serializer_class = s.NodeSerializer
    filterset_class = NodeFilterSet
    lookup_field = "code"
    ordering_fields = ["code", "name", "position", "segment"]

    def get_queryset(self) -> QuerySet[m.Node]:
        return m.Node.objects.visible_to(self.request.user).select_related("chain", "parent")

    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        data = self.input(s.NodeCreateSerializer)
        chain = data["chain"]
        node = mapedit.node_create(
            chain_id=chain.pk,
            user=request.user,
            reason=data["reason"],
            code=data["code"],
            name=data["name"],
            segment=data["segment"],
            parent_id=node_id_by_code(data.get("parent"), field="parent", chain_id=chain.pk),
            description=data.get("description", ""),
            key_technologies=data.get("key_technologies", ""),
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
class EdgeViewSet(VersionedMixin, viewsets.ModelViewSet, ApiViewSet):
    """Supply relations between two nodes of one chain (the supply graph stays acyclic)."""

    serializer_class = s.EdgeSerializer
    filterset_class = EdgeFilterSet
    ordering_fields = ["id", "kind"]

    def get_queryset(self) -> QuerySet[m.Edge]:
        return m.Edge.objects.visible_to(self.request.user).select_related("chain", "source", "target")

    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        data = self.input(s.EdgeCreateSerializer)
        chain = data["chain"]
        edge = mapedit.edge_create(
            chain_id=chain.pk,
            user=request.user,
            reason=data["reason"],
            source_id=node_id_by_code(data["source"], field="source"),  # type: ignore[arg-type]
            target_id=node_id_by_code(data["target"], field="target"),  # type: ignore[arg-type]
            kind=data["kind"],
            note=data.get("note", ""),
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


# --- enterprises, placements, profiles -----------------------------------------------------------


class EnterpriseViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, ApiViewSet):
    """Read-only: enterprise master data is written through imports and the admin."""

    serializer_class = s.EnterpriseSerializer
    filterset_class = EnterpriseFilterSet
    lookup_field = "credit_code"
    ordering_fields = ["name", "credit_code", "founded_year"]

    def get_queryset(self) -> QuerySet[m.Enterprise]:
        return m.Enterprise.objects.visible_to(self.request.user).select_related("region", "subregion")


@extend_schema_view(
    create=extend_schema(request=s.PlacementCreateSerializer, responses={201: s.PlacementSerializer}),
    update=extend_schema(
        request=s.PlacementReviewSerializer, responses=s.PlacementSerializer, summary="Confirm or reject."
    ),
    partial_update=extend_schema(
        request=s.PlacementReviewSerializer, responses=s.PlacementSerializer, summary="Confirm or reject."
    ),
)
class PlacementViewSet(
    VersionedMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    ApiViewSet,
):
    """Enterprises placed on nodes: proposed by the enterprise or its region, confirmed or rejected by review."""

    serializer_class = s.PlacementSerializer
    filterset_class = PlacementFilterSet
    ordering_fields = ["id", "status", "role"]

    def get_queryset(self) -> QuerySet[m.Placement]:
        return m.Placement.objects.visible_to(self.request.user).select_related("enterprise", "node")

    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        data = self.input(s.PlacementCreateSerializer)
        enterprise = m.Enterprise.objects.visible_to(request.user).filter(pk=data["enterprise"]).first()
        if enterprise is None:
            raise ValidationError({"enterprise": _("Unknown enterprise.")})
        placement = placements.placement_propose(
            enterprise_id=enterprise.pk,
            node_id=node_id_by_code(data["node"], field="node"),  # type: ignore[arg-type]
            role=data["role"],
            evidence=data["evidence"],
            user=request.user,
        )
        return self.show(placement, code=status.HTTP_201_CREATED)

    def update(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        placement = self.get_object()
        require(permissions.can_review_placement(user=request.user, placement=placement))
        expected = self.expected_version(placement)
        data = self.input(s.PlacementReviewSerializer)
        placement = placements.placement_review(
            placement_id=placement.pk,
            user=request.user,
            status=data["status"],
            comment=data["comment"],
            expected_version=expected,
        )
        return self.show(placement)


class ProfileCreateSerializer(s.serializers.Serializer):
    enterprise = s.serializers.IntegerField(min_value=1, max_value=2**63 - 1, help_text="Your enterprise's id.")


@extend_schema_view(
    create=extend_schema(
        request=ProfileCreateSerializer,
        responses={201: s.ProfileSerializer},
        summary="Start (or get) the enterprise's working draft.",
    ),
    update=extend_schema(request=s.ProfileUpdateSerializer, responses=s.ProfileSerializer),
    partial_update=extend_schema(request=s.ProfileUpdateSerializer, responses=s.ProfileSerializer),
)
class ProfileViewSet(
    VersionedMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    ApiViewSet,
):
    """Capability profiles with their offers and needs. The ETag follows ``edit_version``."""

    serializer_class = s.ProfileSerializer
    filterset_class = ProfileFilterSet
    ordering_fields = ["id", "version", "status"]
    etag_field = "edit_version"

    def get_queryset(self) -> QuerySet[m.CapabilityProfile]:
        return (
            m.CapabilityProfile.objects.visible_to(self.request.user)
            .select_related("enterprise")
            .prefetch_related(
                Prefetch("offers", queryset=m.SupplyOffer.objects.select_related("node")),
                Prefetch("needs", queryset=m.TechnologyNeed.objects.select_related("node")),
            )
        )

    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        data = self.input(ProfileCreateSerializer)
        enterprise = m.Enterprise.objects.visible_to(request.user).filter(pk=data["enterprise"]).first()
        if enterprise is None:
            raise ValidationError({"enterprise": _("Unknown enterprise.")})
        require(permissions.can_edit_profile(user=request.user, enterprise=enterprise))
        profile = profiles.profile_start_draft(enterprise_id=enterprise.pk, user=request.user)
        return self.show(profile, code=status.HTTP_201_CREATED)

    def update(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        profile = self.get_object()
        require(permissions.can_edit_profile(user=request.user, enterprise=profile.enterprise))
        expected = self.expected_version(profile)
        data = self.input(s.ProfileUpdateSerializer, partial=True)
        offers = data.pop("offers", None)
        needs = data.pop("needs", None)
        profile = profiles.profile_update(
            profile_id=profile.pk, user=request.user, expected_edit_version=expected, changes=data
        )
        # New offers and needs are added to the version (same transaction as the rest of the request).
        for offer in offers or []:
            profiles.offer_save(
                profile_id=profile.pk,
                user=request.user,
                node_id=node_id_by_code(offer["node"], field="offers.node"),
                title=offer["title"],
                description=offer["description"],
                trl=offer["trl"],
            )
        for need in needs or []:
            profiles.need_save(
                profile_id=profile.pk,
                user=request.user,
                node_id=node_id_by_code(need["node"], field="needs.node"),
                title=need["title"],
                description=need["description"],
                is_bottleneck=need["is_bottleneck"],
                status=need["status"],
            )
        return self.show(profile)

    @extend_schema(request=None, responses=s.ProfileSerializer)
    @action(detail=True, methods=["post"])
    def submit(self, request: Request, pk: str | None = None) -> Response:
        profile = self.get_object()
        require(permissions.can_edit_profile(user=request.user, enterprise=profile.enterprise))
        return self.show(profiles.profile_submit(profile_id=profile.pk, user=request.user))

    @extend_schema(request=None, responses=s.ProfileSerializer)
    @action(detail=True, methods=["post"])
    def withdraw(self, request: Request, pk: str | None = None) -> Response:
        profile = self.get_object()
        require(permissions.can_edit_profile(user=request.user, enterprise=profile.enterprise))
        return self.show(profiles.profile_withdraw(profile_id=profile.pk, user=request.user))

    @extend_schema(request=s.ProfileReviewSerializer, responses=s.ProfileSerializer)
    @action(detail=True, methods=["post"])
    def approve(self, request: Request, pk: str | None = None) -> Response:
        profile = self.get_object()
        require(permissions.can_review_profile(user=request.user, profile=profile))
        data = self.input(s.ProfileReviewSerializer)
        return self.show(
            profiles.profile_approve(profile_id=profile.pk, reviewer=request.user, comment=data["comment"])
        )

    @extend_schema(request=s.RejectSerializer, responses=s.ProfileSerializer, summary="Return to the enterprise.")
    @action(detail=True, methods=["post"], url_path="return", url_name="return")
    def return_(self, request: Request, pk: str | None = None) -> Response:
        profile = self.get_object()
        require(permissions.can_review_profile(user=request.user, profile=profile))
        data = self.input(s.RejectSerializer)
        return self.show(profiles.profile_return(profile_id=profile.pk, reviewer=request.user, comment=data["comment"]))


# --- leadership and proposals --------------------------------------------------------------------


class LeadershipTermViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, ApiViewSet):
    """The rotating chain-leader calendar."""

    serializer_class = s.LeadershipTermSerializer
    filterset_class = LeadershipTermFilterSet
    ordering_fields = ["starts_on", "ends_on"]

    def get_queryset(self) -> QuerySet[m.LeadershipTerm]:
        return m.LeadershipTerm.objects.visible_to(self.request.user).select_related("chain", "region")


@extend_schema_view(create=extend_schema(request=s.ProposalCreateSerializer, responses={201: s.ProposalSerializer}))
class ProposalViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.CreateModelMixin, ApiViewSet):
    """Change proposals to chain maps, reviewed by the leading region (never by their author)."""

    serializer_class = s.ProposalSerializer
    filterset_class = ProposalFilterSet
    ordering_fields = ["created_at", "status"]

    def get_queryset(self) -> QuerySet[m.ChangeProposal]:
        return (
            m.ChangeProposal.objects.visible_to(self.request.user)
            .select_related("chain", "author", "author_region", "routed_to", "reviewer")
            .prefetch_related("items")
        )

    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        data = self.input(s.ProposalCreateSerializer)
        require(permissions.can_propose_change(user=request.user, chain_id=data["chain"].pk))
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
        proposal = self.get_object()
        require(permissions.can_review_proposal(user=request.user, proposal=proposal))
        data = self.input(s.ReviewCommentSerializer)
        return self.show(
            proposals.proposal_approve(proposal_id=proposal.pk, reviewer=request.user, comment=data["comment"])
        )

    @extend_schema(request=s.RejectSerializer, responses=s.ProposalSerializer)
    @action(detail=True, methods=["post"])
    def reject(self, request: Request, pk: str | None = None) -> Response:
        proposal = self.get_object()
        require(permissions.can_review_proposal(user=request.user, proposal=proposal))
        data = self.input(s.RejectSerializer)
        return self.show(
            proposals.proposal_reject(proposal_id=proposal.pk, reviewer=request.user, comment=data["comment"])
        )

    @extend_schema(request=None, responses=s.ProposalSerializer)
    @action(detail=True, methods=["post"])
    def withdraw(self, request: Request, pk: str | None = None) -> Response:
        proposal = self.get_object()
        require(permissions.can_withdraw_proposal(user=request.user, proposal=proposal))
        return self.show(proposals.proposal_withdraw(proposal_id=proposal.pk, user=request.user))

    @extend_schema(
        request=s.RevertSerializer, responses={201: s.ProposalSerializer}, summary="Propose undoing an approved one."
    )
    @action(detail=True, methods=["post"])
    def revert(self, request: Request, pk: str | None = None) -> Response:
        proposal = self.get_object()
        require(permissions.can_revert_proposal(user=request.user, proposal=proposal))
        data = self.input(s.RevertSerializer)
        reverted = proposals.proposal_revert(proposal_id=proposal.pk, author=request.user, reason=data["reason"])
        return self.show(reverted, code=status.HTTP_201_CREATED)


# --- bottlenecks ---------------------------------------------------------------------------------


@extend_schema_view(
    create=extend_schema(request=s.BottleneckCreateSerializer, responses={201: s.BottleneckSerializer}),
    update=extend_schema(request=s.BottleneckUpdateSerializer, responses=s.BottleneckSerializer),
    partial_update=extend_schema(request=s.BottleneckUpdateSerializer, responses=s.BottleneckSerializer),
)
class BottleneckViewSet(
    VersionedMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    ApiViewSet,
):
    """Bottlenecks (卡点) by code; collected ones are visible to officials only."""

    serializer_class = s.BottleneckSerializer
    filterset_class = BottleneckFilterSet
    lookup_field = "code"
    ordering_fields = ["code", "severity", "status", "target_date"]

    def get_queryset(self) -> QuerySet[m.Bottleneck]:
        return (
            m.Bottleneck.objects.visible_to(self.request.user)
            .select_related("chain", "raised_by")
            .prefetch_related("nodes")
        )

    def _node_ids(self, codes: list[str], chain_id: int) -> list[int]:
        return [node_id_by_code(code, field="nodes", chain_id=chain_id) for code in codes]  # type: ignore[misc]

    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        data = self.input(s.BottleneckCreateSerializer)
        chain = data.pop("chain")
        require(permissions.can_create_bottleneck(user=request.user, chain_id=chain.pk))
        extra = {k: data[k] for k in ("description", "severity", "mechanism", "target_date") if k in data}
        bottleneck = mapedit.bottleneck_create(
            chain_id=chain.pk,
            user=request.user,
            reason=data["reason"],
            code=data["code"],
            title=data["title"],
            raised_by_id=data["raised_by"].pk,
            node_ids=self._node_ids(data.get("nodes", []), chain.pk),
            **extra,
        )
        return self.show(bottleneck, code=status.HTTP_201_CREATED)

    def update(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        bottleneck = self.get_object()
        require(permissions.can_edit_bottleneck(user=request.user, bottleneck=bottleneck))
        expected = self.expected_version(bottleneck)
        data = self.input(s.BottleneckUpdateSerializer, partial=kwargs.get("partial", False))
        reason = data.pop("reason")
        if "nodes" in data:
            data["node_ids"] = self._node_ids(data.pop("nodes"), bottleneck.chain_id)
        bottleneck = mapedit.bottleneck_update(
            bottleneck_id=bottleneck.pk, user=request.user, reason=reason, expected_version=expected, changes=data
        )
        return self.show(bottleneck)


# --- matching rounds, matches, reports, subscriptions --------------------------------------------


class RoundCreateSerializer(s.serializers.Serializer):
    kind = s.serializers.ChoiceField(choices=m.RoundKind.choices)
    period = s.serializers.DateField(help_text="Any day of the period; the round of that month or quarter.")


@extend_schema_view(
    create=extend_schema(
        request=RoundCreateSerializer,
        responses={201: s.MatchingRoundSerializer},
        summary="The period's round (created from the calendar if missing).",
    )
)
class MatchingRoundViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.CreateModelMixin, ApiViewSet):
    """Matching rounds (一月一链 / 一季一群) and their lifecycle actions (officials)."""

    serializer_class = s.MatchingRoundSerializer
    filterset_class = MatchingRoundFilterSet
    ordering_fields = ["period", "status"]
    throttle_scopes = {"match": "matching", "open": "matching", "hold": "matching", "close": "matching"}

    def get_queryset(self) -> QuerySet[m.MatchingRound]:
        rounds_ = m.MatchingRound.objects.select_related("chain", "cluster")
        return rounds_ if permissions.can_view_reports(user=self.request.user) else rounds_.none()

    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        require(permissions.can_run_round(user=request.user))
        data = self.input(RoundCreateSerializer)
        round_ = rounds.round_ensure(kind=data["kind"], period=data["period"])
        return self.show(round_, code=status.HTTP_201_CREATED)

    @extend_schema(request=None, responses=s.MatchingRoundSerializer)
    @action(detail=True, methods=["post"])
    def open(self, request: Request, pk: str | None = None) -> Response:
        round_ = self.get_object()
        require(permissions.can_run_round(user=request.user))
        return self.show(rounds.round_open(round_id=round_.pk, user=request.user))

    @extend_schema(
        request=None,
        responses={202: s.MatchingRoundSerializer},
        summary="Match the round in the background (202); 202 too when a worker is matching it already.",
    )
    @action(detail=True, methods=["post"])
    def match(self, request: Request, pk: str | None = None) -> Response:
        round_ = self.get_object()
        require(permissions.can_run_round(user=request.user))
        rounds.round_match_enqueue(round_id=round_.pk, user=request.user)
        return self.show(round_, code=status.HTTP_202_ACCEPTED)

    @extend_schema(request=s.RoundActionSerializer, responses=s.MatchingRoundSerializer)
    @action(detail=True, methods=["post"])
    def hold(self, request: Request, pk: str | None = None) -> Response:
        round_ = self.get_object()
        require(permissions.can_run_round(user=request.user))
        data = self.input(s.RoundActionSerializer)
        if not data.get("held_on"):
            raise ValidationError({"held_on": _("Enter the date the meeting took place.")})
        return self.show(rounds.round_hold(round_id=round_.pk, user=request.user, held_on=data["held_on"]))

    @extend_schema(request=None, responses=s.MatchingRoundSerializer)
    @action(detail=True, methods=["post"])
    def close(self, request: Request, pk: str | None = None) -> Response:
        round_ = self.get_object()
        require(permissions.can_run_round(user=request.user))
        return self.show(rounds.round_close(round_id=round_.pk, user=request.user))


class MatchViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, ApiViewSet):
    """Ranked candidates of matching rounds, with their follow-up outcome."""

    serializer_class = s.MatchSerializer
    filterset_class = MatchFilterSet
    ordering_fields = ["rank", "score", "id"]

    def get_queryset(self) -> QuerySet[m.Match]:
        matches = m.Match.objects.select_related("enterprise", "bottleneck")
        return matches if permissions.can_view_reports(user=self.request.user) else matches.none()

    @extend_schema(request=s.MatchOutcomeSerializer, responses=s.MatchSerializer)
    @action(detail=True, methods=["post"])
    def outcome(self, request: Request, pk: str | None = None) -> Response:
        match = self.get_object()
        require(permissions.can_record_outcome(user=request.user, match=match))
        data = self.input(s.MatchOutcomeSerializer)
        match = rounds.match_record_outcome(
            match_id=match.pk, user=request.user, outcome=data["outcome"], note=data["note"]
        )
        return self.show(match)


FILE_RESPONSES = {
    (200, "application/pdf"): OpenApiResponse(OpenApiTypes.BINARY, description="The file."),
    (200, "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"): OpenApiResponse(
        OpenApiTypes.BINARY, description="The file."
    ),
}


class ReportViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, ApiViewSet):
    """Round reports, their PDF / XLSX files and deliveries."""

    serializer_class = s.ReportSerializer
    filterset_class = ReportFilterSet
    ordering_fields = ["id", "built_at"]
    throttle_scopes = {"pdf": "exports", "xlsx": "exports"}

    def get_queryset(self) -> QuerySet[m.Report]:
        reports = m.Report.objects.select_related("round").prefetch_related("deliveries")
        return reports if permissions.can_view_reports(user=self.request.user) else reports.none()

    def _file(self, kind: str, content_type: str) -> FileResponse:
        report = self.get_object()
        field = getattr(report, kind)
        if not field:
            raise Http404
        name = f"report-{report.round.period:%Y-%m}.{kind}"
        return FileResponse(field.open("rb"), as_attachment=True, filename=name, content_type=content_type)

    @extend_schema(responses={(200, "application/pdf"): OpenApiResponse(OpenApiTypes.BINARY)})
    @action(detail=True, methods=["get"], filter_backends=[], pagination_class=None)
    def pdf(self, request: Request, pk: str | None = None) -> FileResponse:
        return self._file("pdf", "application/pdf")

    @extend_schema(
        responses={
            (200, "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"): OpenApiResponse(
                OpenApiTypes.BINARY
            )
        }
    )
    @action(detail=True, methods=["get"], filter_backends=[], pagination_class=None)
    def xlsx(self, request: Request, pk: str | None = None) -> FileResponse:
        return self._file("xlsx", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")


class SubscriptionViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, ApiViewSet):
    """Read-only until a subscription service exists: your own subscription (the joint office: all)."""

    serializer_class = s.SubscriptionSerializer
    filterset_class = SubscriptionFilterSet

    def get_queryset(self) -> QuerySet[m.Subscription]:
        subscriptions = (
            m.Subscription.objects.select_related("user")
            .prefetch_related("chains", "clusters", "regions")
            .order_by("pk")
        )
        user = self.request.user
        if roles.is_joint_office(user):
            return subscriptions
        if roles.role_of(user) is None:
            return subscriptions.none()
        return subscriptions.filter(user_id=user.pk)
