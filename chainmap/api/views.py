"""API viewsets. Each one wires parts: visibility in ``get_queryset`` (``visible_to``: invisible → 404),
decisions through ``chainmap.permissions`` (→ 403), writes through the services, errors through
``chainmap.api.errors``. Versioned objects answer an ``ETag`` and need ``If-Match`` to change.
"""

from __future__ import annotations

import re
from typing import Any

from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
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
from chainmap.api.caching import CachedListMixin, cached_response
from chainmap.api.errors import PreconditionFailed, PreconditionRequired
from chainmap.api.filters import (
    BottleneckFilterSet,
    CalendarEntryFilterSet,
    ChainFilterSet,
    ClusterFilterSet,
    DeliveryFilterSet,
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
    UserFilterSet,
)
from chainmap.services import (
    accounts,
    deliveries,
    enterprises,
    mapedit,
    placements,
    profiles,
    proposals,
    rounds,
    subscriptions,
    terms,
)

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
    # action → rule ``(user=...) -> bool`` checked before the body is read: a user who may not
    # create at all gets 403 whatever the input (an empty body included), never a 400.
    action_rules: dict[str, Any] = {}

    def initial(self, request: Request, *args: Any, **kwargs: Any) -> None:
        super().initial(request, *args, **kwargs)
        rule = self.action_rules.get(getattr(self, "action", "") or "")
        if rule is not None:
            require(rule(user=request.user))

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
        reason = data.pop("reason", "")
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


@extend_schema_view(
    create=extend_schema(request=s.NodeCreateSerializer, responses={201: s.NodeSerializer}),
    update=extend_schema(request=s.NodeUpdateSerializer, responses=s.NodeSerializer),
    partial_update=extend_schema(request=s.NodeUpdateSerializer, responses=s.NodeSerializer),
    destroy=extend_schema(parameters=[REASON_PARAM]),
)
class NodeViewSet(CachedListMixin, VersionedMixin, viewsets.ModelViewSet, ApiViewSet):
    """Chain nodes by code. Direct edits: the joint office and the chain's leading region."""

    serializer_class = s.NodeSerializer
    action_rules = {"create": permissions.can_create_chain_data}
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
class EdgeViewSet(CachedListMixin, VersionedMixin, viewsets.ModelViewSet, ApiViewSet):
    """Supply relations between two nodes of one chain (the supply graph stays acyclic)."""

    serializer_class = s.EdgeSerializer
    action_rules = {"create": permissions.can_create_chain_data}
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


ENTERPRISE_INPUT = (
    "name",
    "size",
    "is_high_tech",
    "is_tech_sme",
    "is_specialized",
    "is_little_giant",
    "is_single_champion",
    "is_listed",
    "founded_year",
    "description",
    "website",
    "contact_name",
    "contact_phone",
    "contact_email",
)


def _enterprise_changes(data: dict[str, Any]) -> dict[str, Any]:
    """API input → the service's field names (``region`` / ``subregion`` → ``*_id``)."""
    changes = {key: data[key] for key in ENTERPRISE_INPUT if key in data}
    if "region" in data:
        changes["region_id"] = data["region"].pk
    if "subregion" in data:
        changes["subregion_id"] = data["subregion"]
    return changes


@extend_schema_view(
    create=extend_schema(
        request=s.EnterpriseCreateSerializer,
        responses={201: s.EnterpriseSerializer},
        summary="Add an enterprise (the joint office, or officials of its region).",
    ),
    update=extend_schema(request=s.EnterpriseUpdateSerializer, responses=s.EnterpriseSerializer),
    partial_update=extend_schema(request=s.EnterpriseUpdateSerializer, responses=s.EnterpriseSerializer),
)
class EnterpriseViewSet(
    VersionedMixin,
    CachedListMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    ApiViewSet,
):
    """Enterprises by credit code. Master data is edited by the joint office and the enterprise's region's
    officials; the credit code never changes."""

    serializer_class = s.EnterpriseSerializer
    filterset_class = EnterpriseFilterSet
    lookup_field = "credit_code"
    ordering_fields = ["name", "credit_code", "founded_year"]

    def get_queryset(self) -> QuerySet[m.Enterprise]:
        return m.Enterprise.objects.visible_to(self.request.user).select_related("region", "subregion")

    def get_object(self) -> m.Enterprise:
        from chainmap.validators import normalize_credit_code

        self.kwargs["credit_code"] = normalize_credit_code(self.kwargs.get("credit_code", ""))
        return super().get_object()

    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        require(roles.is_official(request.user))
        data = self.input(s.EnterpriseCreateSerializer)
        changes = _enterprise_changes(data)
        enterprise = enterprises.enterprise_create(
            user=request.user,
            reason=data["reason"],
            credit_code=data["credit_code"],
            name=changes.pop("name"),
            region_id=changes.pop("region_id"),
            **changes,
        )
        return self.show(enterprise, code=status.HTTP_201_CREATED)

    def update(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        enterprise = self.get_object()
        require(permissions.can_edit_enterprise(user=request.user, enterprise=enterprise))
        expected = self.expected_version(enterprise)
        data = self.input(s.EnterpriseUpdateSerializer, partial=kwargs.get("partial", False))
        changes = _enterprise_changes(data)
        code = data.get("credit_code")
        if code is not None and code.strip().upper() != enterprise.credit_code:
            changes["credit_code"] = code
        enterprise = enterprises.enterprise_update(
            enterprise_id=enterprise.pk,
            user=request.user,
            reason=data.get("reason", ""),
            expected_version=expected,
            changes=changes,
        )
        return self.show(enterprise)


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
    CachedListMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    ApiViewSet,
):
    """Enterprises placed on nodes: proposed by the enterprise or its region, confirmed or rejected by review."""

    serializer_class = s.PlacementSerializer
    action_rules = {"create": permissions.can_create_enterprise_data}
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
    CachedListMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    ApiViewSet,
):
    """Capability profiles with their offers and needs. The ETag follows ``edit_version``."""

    serializer_class = s.ProfileSerializer
    action_rules = {"create": permissions.can_create_profile_data}
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
        # Every field of the input is optional already: PUT and PATCH alike. Not ``partial``, which
        # would reach the nested offers and needs and skip their required fields and defaults.
        data = self.input(s.ProfileUpdateSerializer)
        offers = [dict(offer) for offer in data.pop("offers", [])]
        needs = [dict(need) for need in data.pop("needs", [])]
        # One service call checks everything (node codes included), then writes it all: one new edit_version.
        profile = profiles.profile_update(
            profile_id=profile.pk,
            user=request.user,
            expected_edit_version=expected,
            changes=data,
            offers=offers,
            needs=needs,
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


class ProfileItemViewSet(
    VersionedMixin,
    CachedListMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    mixins.DestroyModelMixin,
    ApiViewSet,
):
    """Supply offers / technology needs of visible profiles; the enterprise's own members add, change
    and delete them while the version is a draft or returned (otherwise 400 naming ``status``).
    Each carries its own ``version`` (ETag; If-Match required to change it, optional to delete it);
    every add, change or delete also moves the profile's ``edit_version`` and so the profile's ETag."""

    model: type[Model]
    action_rules = {"create": permissions.can_create_profile_data}
    create_serializer: type[BaseSerializer]
    input_serializer: type[BaseSerializer]

    def get_queryset(self) -> QuerySet[Any]:
        visible = m.CapabilityProfile.objects.visible_to(self.request.user)
        return (
            self.model._default_manager.filter(profile__in=visible)
            .select_related("node", "profile__enterprise")
            .order_by("pk")
        )

    # Each kind saves and deletes through its own profile service.
    def _save(
        self, data: dict[str, Any], *, profile_id: int, item_id: int | None, expected_version: int | None = None
    ) -> Any:
        raise NotImplementedError  # abstract: SupplyOfferViewSet / TechnologyNeedViewSet

    def _delete(self, item_id: int, *, expected_version: int | None) -> None:
        raise NotImplementedError  # abstract: SupplyOfferViewSet / TechnologyNeedViewSet

    def _editable(self, profile_id: Any) -> m.CapabilityProfile:
        profile = (
            m.CapabilityProfile.objects.visible_to(self.request.user)
            .select_related("enterprise")
            .filter(pk=profile_id)
            .first()
        )
        if profile is None:
            raise ValidationError({"profile": _("Unknown profile version.")})
        require(permissions.can_edit_profile(user=self.request.user, enterprise=profile.enterprise))
        return profile

    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        data = self.input(self.create_serializer)
        profile = self._editable(data.pop("profile"))
        item = self._save(data, profile_id=profile.pk, item_id=None)
        return self.show(item, code=status.HTTP_201_CREATED)

    def update(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        item = self.get_object()
        self._editable(item.profile_id)
        expected = self.expected_version(item)
        data = self.input(self.input_serializer, partial=kwargs.get("partial", False))
        current = dict(self.get_serializer(item).data)
        merged = {key: current[key] for key in self.input_serializer().fields if key in current} | data
        return self.show(self._save(merged, profile_id=item.profile_id, item_id=item.pk, expected_version=expected))

    def destroy(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        item = self.get_object()
        self._editable(item.profile_id)
        self._delete(item.pk, expected_version=self.expected_version(item, required=False))
        return Response(status=status.HTTP_204_NO_CONTENT)


@extend_schema_view(
    create=extend_schema(request=s.OfferCreateSerializer, responses={201: s.OfferDetailSerializer}),
    update=extend_schema(request=s.OfferInputSerializer, responses=s.OfferDetailSerializer),
    partial_update=extend_schema(request=s.OfferInputSerializer, responses=s.OfferDetailSerializer),
)
class SupplyOfferViewSet(ProfileItemViewSet):
    __doc__ = ProfileItemViewSet.__doc__
    serializer_class = s.OfferDetailSerializer
    model = m.SupplyOffer
    create_serializer = s.OfferCreateSerializer
    input_serializer = s.OfferInputSerializer

    def _delete(self, item_id: int, *, expected_version: int | None) -> None:
        profiles.offer_delete(offer_id=item_id, user=self.request.user, expected_version=expected_version)

    def _save(
        self, data: dict[str, Any], *, profile_id: int, item_id: int | None, expected_version: int | None = None
    ) -> Any:
        return profiles.offer_save(
            profile_id=profile_id,
            user=self.request.user,
            node_id=node_id_by_code(data["node"], field="node"),  # type: ignore[arg-type]
            title=data["title"],
            description=data.get("description", ""),
            trl=data.get("trl"),
            offer_id=item_id,
            expected_version=expected_version,
        )


@extend_schema_view(
    create=extend_schema(request=s.NeedCreateSerializer, responses={201: s.NeedDetailSerializer}),
    update=extend_schema(request=s.NeedInputSerializer, responses=s.NeedDetailSerializer),
    partial_update=extend_schema(request=s.NeedInputSerializer, responses=s.NeedDetailSerializer),
)
class TechnologyNeedViewSet(ProfileItemViewSet):
    __doc__ = ProfileItemViewSet.__doc__
    serializer_class = s.NeedDetailSerializer
    model = m.TechnologyNeed
    create_serializer = s.NeedCreateSerializer
    input_serializer = s.NeedInputSerializer

    def _delete(self, item_id: int, *, expected_version: int | None) -> None:
        profiles.need_delete(need_id=item_id, user=self.request.user, expected_version=expected_version)

    def _save(
        self, data: dict[str, Any], *, profile_id: int, item_id: int | None, expected_version: int | None = None
    ) -> Any:
        return profiles.need_save(
            profile_id=profile_id,
            user=self.request.user,
            node_id=node_id_by_code(data["node"], field="node"),  # type: ignore[arg-type]
            title=data["title"],
            description=data.get("description", ""),
            is_bottleneck=data.get("is_bottleneck", False),
            status=data.get("status", m.TechnologyNeed.Status.OPEN),
            need_id=item_id,
            expected_version=expected_version,
        )


# --- leadership and proposals --------------------------------------------------------------------


@extend_schema_view(
    update=extend_schema(
        request=s.LeadershipTermUpdateSerializer,
        responses=s.LeadershipTermSerializer,
        summary="Move a term's dates or change its region (the joint office); neighbours follow.",
    ),
    partial_update=extend_schema(
        request=s.LeadershipTermUpdateSerializer,
        responses=s.LeadershipTermSerializer,
        summary="Move a term's dates or change its region (the joint office); neighbours follow.",
    ),
)
class LeadershipTermViewSet(
    VersionedMixin, CachedListMixin, mixins.RetrieveModelMixin, mixins.UpdateModelMixin, ApiViewSet
):
    """The rotating chain-leader calendar; the joint office edits it.

    Each term carries a version (ETag; If-Match required to change it). It moves with every change of
    the term's region or dates, also when an edit of a neighbouring term moves this one to keep the
    calendar gapless, and when the rotation opens or closes the term. The service serializes every
    calendar edit of a chain on the chain row and compares the version under that lock, so of two
    edits made from the same read the later one gets 412 instead of applying to a calendar its
    author has not seen."""

    serializer_class = s.LeadershipTermSerializer
    filterset_class = LeadershipTermFilterSet
    ordering_fields = ["starts_on", "ends_on"]

    def get_queryset(self) -> QuerySet[m.LeadershipTerm]:
        return m.LeadershipTerm.objects.visible_to(self.request.user).select_related("chain", "region")

    def update(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        term = self.get_object()
        require(permissions.can_manage_calendars(user=request.user))
        expected = self.expected_version(term)
        data = self.input(s.LeadershipTermUpdateSerializer, partial=kwargs.get("partial", False))
        region = data.get("region")
        term = terms.term_update(
            term_id=term.pk,
            user=request.user,
            reason=data.get("reason", ""),
            region_id=region.pk if region is not None else None,
            starts_on=data.get("starts_on"),
            ends_on=data.get("ends_on"),
            expected_version=expected,
        )
        return self.show(term)

    @extend_schema(
        request=s.TermsRegenerateSerializer,
        responses=s.LeadershipTermSerializer(many=True),
        summary="Replace a chain's terms from a day on with a new rotation rule (the joint office).",
    )
    @action(detail=False, methods=["post"], filter_backends=[], pagination_class=None)
    def regenerate(self, request: Request) -> Response:
        require(permissions.can_manage_calendars(user=request.user))
        data = self.input(s.TermsRegenerateSerializer)
        created = terms.terms_regenerate(
            chain_id=data["chain"].pk,
            user=request.user,
            reason=data["reason"],
            starts_on=data["starts_on"],
            order=data["order"],
            term_months=data["term_months"],
        )
        fresh = self.get_queryset().filter(pk__in=[t.pk for t in created]).order_by("starts_on")
        return Response(self.get_serializer(fresh, many=True).data)


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
        reason = data.pop("reason", "")
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
class MatchingRoundViewSet(CachedListMixin, mixins.RetrieveModelMixin, mixins.CreateModelMixin, ApiViewSet):
    """Matching rounds (一月一链 / 一季一群) and their lifecycle actions (officials)."""

    serializer_class = s.MatchingRoundSerializer
    filterset_class = MatchingRoundFilterSet
    ordering_fields = ["period", "status"]
    throttle_scopes = {
        "match": "matching",
        "open": "matching",
        "hold": "matching",
        "close": "matching",
        "report_build": "reports",
    }

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

    @extend_schema(
        request=s.ReportBuildSerializer,
        responses={202: s.MatchingRoundSerializer},
        summary="Build (or rebuild) the round's report in the background (202).",
        description=(
            "Renders the report from its frozen snapshot; with `refresh` a new snapshot of the round's data is "
            "taken first. While a worker is building it already, the second build does nothing. The report "
            "appears under /api/reports/?round=<id> when ready."
        ),
    )
    @action(detail=True, methods=["post"], url_path="report/build", url_name="report-build")
    def report_build(self, request: Request, pk: str | None = None) -> Response:
        round_ = self.get_object()
        require(permissions.can_run_round(user=request.user))
        data = self.input(s.ReportBuildSerializer)
        from chainmap.tasks_reports import build_report

        round_id, refresh = round_.pk, data["refresh"]
        transaction.on_commit(lambda: build_report.delay(round_id=round_id, refresh=refresh))
        return self.show(round_, code=status.HTTP_202_ACCEPTED)


class MatchViewSet(CachedListMixin, mixins.RetrieveModelMixin, ApiViewSet):
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


class ReportViewSet(CachedListMixin, mixins.RetrieveModelMixin, ApiViewSet):
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


def _subscription_changes(data: dict[str, Any]) -> dict[str, Any]:
    changes: dict[str, Any] = {key: data[key] for key in ("language", "is_active") if key in data}
    for field in ("chains", "clusters", "regions"):
        if field in data:
            changes[f"{field[:-1]}_ids"] = [obj.pk for obj in data[field]]
    return changes


@extend_schema_view(
    create=extend_schema(
        request=s.SubscriptionCreateSerializer,
        responses={201: s.SubscriptionSerializer},
        summary="Subscribe to round reports (officials and report subscribers; one subscription per user).",
    ),
    update=extend_schema(request=s.SubscriptionInputSerializer, responses=s.SubscriptionSerializer),
    partial_update=extend_schema(request=s.SubscriptionInputSerializer, responses=s.SubscriptionSerializer),
)
class SubscriptionViewSet(
    VersionedMixin,
    CachedListMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    mixins.DestroyModelMixin,
    ApiViewSet,
):
    """Report subscriptions: your own (the joint office: everyone's). No chain and no cluster chosen means
    every report. Each carries a version (ETag): If-Match is required to change one and optional to
    delete it (412 when stale). The subscription page saves without a version: the last save wins there."""

    serializer_class = s.SubscriptionSerializer
    filterset_class = SubscriptionFilterSet

    def get_queryset(self) -> QuerySet[m.Subscription]:
        subscriptions_ = (
            m.Subscription.objects.select_related("user")
            .prefetch_related("chains", "clusters", "regions")
            .order_by("pk")
        )
        user = self.request.user
        if roles.is_joint_office(user):
            return subscriptions_
        if roles.role_of(user) is None:
            return subscriptions_.none()
        return subscriptions_.filter(user_id=user.pk)

    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        if isinstance(request.data, dict) and request.data.get("user") is not None:
            require(roles.is_joint_office(request.user))
        data = self.input(s.SubscriptionCreateSerializer)
        target = data.get("user")
        changes = _subscription_changes(data)
        subscription = subscriptions.subscription_create(
            user=request.user,
            for_user_id=target.pk if target is not None else None,
            chain_ids=changes.get("chain_ids", []),
            cluster_ids=changes.get("cluster_ids", []),
            region_ids=changes.get("region_ids", []),
            language=changes.get("language", "zh-hans"),
            is_active=changes.get("is_active", True),
        )
        return self.show(subscription, code=status.HTTP_201_CREATED)

    def update(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        subscription = self.get_object()
        require(permissions.can_manage_subscription(user=request.user, subscription=subscription))
        expected = self.expected_version(subscription)
        data = self.input(s.SubscriptionInputSerializer, partial=kwargs.get("partial", False))
        subscription = subscriptions.subscription_update(
            subscription_id=subscription.pk,
            user=request.user,
            changes=_subscription_changes(data),
            expected_version=expected,
        )
        return self.show(subscription)

    def destroy(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        subscription = self.get_object()
        require(permissions.can_manage_subscription(user=request.user, subscription=subscription))
        expected = self.expected_version(subscription, required=False)
        subscriptions.subscription_delete(subscription_id=subscription.pk, user=request.user, expected_version=expected)
        return Response(status=status.HTTP_204_NO_CONTENT)


# --- calendars, deliveries, users ----------------------------------------------------------------


def _calendar_subject_id(kind: str, subject: str) -> int:
    model = m.Chain if kind == m.RoundKind.CHAIN_MONTH else m.Cluster
    subject_id = model.objects.filter(slug=subject).values_list("pk", flat=True).first()
    if subject_id is None:
        message = (
            _("Choose one of the chains.") if kind == m.RoundKind.CHAIN_MONTH else _("Choose one of the clusters.")
        )
        raise ValidationError({"subject": message})
    return subject_id


def _subject_field(error: ValidationError) -> ValidationError:
    """The service names the subject ``subject_id``; the API calls it ``subject``."""
    if hasattr(error, "error_dict") and "subject_id" in error.error_dict:
        return ValidationError({"subject": error.error_dict["subject_id"]})
    return error


@extend_schema_view(
    create=extend_schema(
        request=s.CalendarEntrySetSerializer,
        responses={200: s.CalendarEntrySerializer, 201: s.CalendarEntrySerializer},
        summary="Give a period to a chain (一月一链) or a cluster (一季一群); 201 when the period had none.",
    ),
    update=extend_schema(request=s.CalendarSubjectSerializer, responses=s.CalendarEntrySerializer),
    partial_update=extend_schema(request=s.CalendarSubjectSerializer, responses=s.CalendarEntrySerializer),
)
class CalendarEntryViewSet(
    VersionedMixin,
    CachedListMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    ApiViewSet,
):
    """The 一月一链 (chain of the month) and 一季一群 (cluster of the quarter) calendars; the joint office
    edits them. A period whose round is matched is locked: changing it answers 400 naming ``period``.
    Each entry carries a version (ETag; If-Match required for PUT / PATCH) that moves when its subject
    changes, whichever way (also through ``POST`` or ``fill``). PATCH without ``subject`` changes nothing."""

    serializer_class = s.CalendarEntrySerializer
    filterset_class = CalendarEntryFilterSet
    ordering_fields = ["period", "kind"]

    def get_queryset(self) -> QuerySet[m.CalendarEntry]:
        entries = m.CalendarEntry.objects.select_related("chain", "cluster").order_by("kind", "period")
        return entries if roles.role_of(self.request.user) is not None else entries.none()

    def get_serializer_context(self) -> dict[str, Any]:
        context = super().get_serializer_context()
        context["locked"] = set(
            m.MatchingRound.objects.filter(status__in=rounds.LOCKED_STATUSES).values_list("kind", "period")
        )
        return context

    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        require(permissions.can_manage_calendars(user=request.user))
        data = self.input(s.CalendarEntrySetSerializer)
        kind = data["kind"]
        start = rounds.period_start(kind=kind, day=data["period"])
        existed = m.CalendarEntry.objects.filter(kind=kind, period=start).exists()
        try:
            entry = rounds.calendar_entry_set(
                kind=kind, period=start, subject_id=_calendar_subject_id(kind, data["subject"]), user=request.user
            )
        except ValidationError as error:
            raise _subject_field(error) from None
        return self.show(entry, code=status.HTTP_200_OK if existed else status.HTTP_201_CREATED)

    def update(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        entry = self.get_object()
        require(permissions.can_manage_calendars(user=request.user))
        expected = self.expected_version(entry)
        data = self.input(s.CalendarSubjectSerializer, partial=kwargs.get("partial", False))
        if "subject" not in data:  # a partial update naming nothing to change
            fresh = self.get_queryset().get(pk=entry.pk)
            if fresh.version != expected:
                raise PreconditionFailed()
            return self.show(fresh)
        try:
            entry = rounds.calendar_entry_set(
                kind=entry.kind,
                period=entry.period,
                subject_id=_calendar_subject_id(entry.kind, data["subject"]),
                user=request.user,
                expected_version=expected,
            )
        except ValidationError as error:
            raise _subject_field(error) from None
        return self.show(entry)

    @extend_schema(
        request=s.CalendarFillSerializer,
        responses=s.CalendarEntrySerializer(many=True),
        summary="Give every unlocked period of the year its default round-robin subject (the joint office).",
    )
    @action(detail=False, methods=["post"], filter_backends=[], pagination_class=None)
    def fill(self, request: Request) -> Response:
        require(permissions.can_manage_calendars(user=request.user))
        data = self.input(s.CalendarFillSerializer)
        entries = rounds.calendar_fill_round_robin(kind=data["kind"], year=data["year"], user=request.user)
        return Response(self.get_serializer(entries, many=True).data)


class DeliveryViewSet(CachedListMixin, mixins.RetrieveModelMixin, ApiViewSet):
    """Report deliveries (one per report and recipient) with their status; officials only. ``resend``
    puts a failed or sent delivery back in the queue."""

    serializer_class = s.DeliveryDetailSerializer
    filterset_class = DeliveryFilterSet
    ordering_fields = ["id", "email", "status", "sent_at"]

    def get_queryset(self) -> QuerySet[m.Delivery]:
        deliveries_ = m.Delivery.objects.select_related("report").order_by("report", "email")
        return deliveries_ if roles.is_official(self.request.user) else deliveries_.none()

    @extend_schema(request=None, responses=s.DeliveryDetailSerializer, summary="Mail the report again.")
    @action(detail=True, methods=["post"])
    def resend(self, request: Request, pk: str | None = None) -> Response:
        delivery = self.get_object()
        require(permissions.can_resend_delivery(user=request.user, delivery=delivery))
        return self.show(deliveries.delivery_resend(delivery_id=delivery.pk, user=request.user))


class UserViewSet(CachedListMixin, mixins.RetrieveModelMixin, ApiViewSet):
    """User accounts and their role (the joint office). Deactivation ends every session and revokes
    the user's API tokens at once."""

    serializer_class = s.UserSerializer
    filterset_class = UserFilterSet
    ordering_fields = ["username", "id"]

    def get_queryset(self) -> QuerySet[Any]:
        users = (
            get_user_model()
            .objects.select_related("membership__region", "membership__enterprise")
            .order_by("-is_active", "username")
        )
        return users if permissions.can_manage_users(user=self.request.user) else users.none()

    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        require(permissions.can_manage_users(user=request.user))
        return super().list(request, *args, **kwargs)

    def _status(self, *, activate: bool) -> Response:
        target = self.get_object()
        require(permissions.can_change_user_active(user=self.request.user, target=target))
        data = self.input(s.UserStatusSerializer)
        if activate:
            accounts.user_activate(user_id=target.pk, by=self.request.user, reason=data["reason"])
        else:
            accounts.user_deactivate(user_id=target.pk, by=self.request.user, reason=data["reason"])
        return self.show(target)

    @extend_schema(
        request=s.UserStatusSerializer,
        responses=s.UserSerializer,
        summary="Deactivate: ends the user's sessions and revokes their API tokens.",
    )
    @action(detail=True, methods=["post"])
    def deactivate(self, request: Request, pk: str | None = None) -> Response:
        return self._status(activate=False)

    @extend_schema(request=s.UserStatusSerializer, responses=s.UserSerializer, summary="Let the user log in again.")
    @action(detail=True, methods=["post"])
    def activate(self, request: Request, pk: str | None = None) -> Response:
        return self._status(activate=True)
