"""API: enterprises, their placements, capability profiles, supply offers and technology needs."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.db.models import Model, Prefetch, QuerySet
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import mixins, serializers, status
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from chainmap import models as m
from chainmap.accounts import permissions
from chainmap.core import roles
from chainmap.core.api.caching import CachedListMixin
from chainmap.core.api.views import ApiViewSet, VersionedMixin, require
from chainmap.core.validators import normalize_credit_code
from chainmap.enterprises.api import serializers as enterprises_serializers
from chainmap.enterprises.api.filters import EnterpriseFilterSet, PlacementFilterSet, ProfileFilterSet
from chainmap.enterprises.services import enterprises, placements, profiles
from chainmap.maps.api import serializers as maps_serializers

# --- enterprises, placements, profiles -----------------------------------------------------------


@extend_schema_view(
    create=extend_schema(
        request=enterprises_serializers.EnterpriseCreateSerializer,
        responses={201: enterprises_serializers.EnterpriseSerializer},
        summary="Add an enterprise (the joint office, or officials of its region).",
    ),
    update=extend_schema(
        request=enterprises_serializers.EnterpriseUpdateSerializer,
        responses=enterprises_serializers.EnterpriseSerializer,
    ),
    partial_update=extend_schema(
        request=enterprises_serializers.EnterpriseUpdateSerializer,
        responses=enterprises_serializers.EnterpriseSerializer,
    ),
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

    serializer_class = enterprises_serializers.EnterpriseSerializer
    filterset_class = EnterpriseFilterSet
    lookup_field = "credit_code"
    ordering_fields = ["name", "credit_code", "founded_year"]

    def get_queryset(self) -> QuerySet[m.Enterprise]:
        return m.Enterprise.objects.visible_to(self.request.user).select_related("region", "subregion")

    def get_object(self) -> m.Enterprise:

        self.kwargs["credit_code"] = normalize_credit_code(self.kwargs.get("credit_code", ""))
        return super().get_object()

    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        require(roles.is_official(request.user))
        serializer = self.validated(enterprises_serializers.EnterpriseCreateSerializer)
        data = serializer.validated_data
        enterprise = enterprises.enterprise_create(
            user=request.user, reason=data["reason"], credit_code=data["credit_code"], data=serializer.to_input()
        )
        return self.show(enterprise, code=status.HTTP_201_CREATED)

    def update(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        enterprise = self.get_object()
        require(permissions.can_edit_enterprise(user=request.user, enterprise=enterprise))
        expected = self.expected_version(enterprise)
        serializer = self.validated(
            enterprises_serializers.EnterpriseUpdateSerializer, partial=kwargs.get("partial", False)
        )
        data = serializer.validated_data
        code = data.get("credit_code")
        if code is not None and code.strip().upper() != enterprise.credit_code:
            enterprises.EnterpriseInput.refuse_unknown(["credit_code"])  # a 400 naming credit_code
        enterprise = enterprises.enterprise_update(
            enterprise_id=enterprise.pk,
            user=request.user,
            reason=data.get("reason", ""),
            expected_version=expected,
            changes=serializer.to_input(),
        )
        return self.show(enterprise)


@extend_schema_view(
    create=extend_schema(
        request=enterprises_serializers.PlacementCreateSerializer,
        responses={201: enterprises_serializers.PlacementSerializer},
    ),
    update=extend_schema(
        request=enterprises_serializers.PlacementReviewSerializer,
        responses=enterprises_serializers.PlacementSerializer,
        summary="Confirm or reject.",
    ),
    partial_update=extend_schema(
        request=enterprises_serializers.PlacementReviewSerializer,
        responses=enterprises_serializers.PlacementSerializer,
        summary="Confirm or reject.",
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

    serializer_class = enterprises_serializers.PlacementSerializer
    action_rules = {"create": permissions.can_create_enterprise_data}
    filterset_class = PlacementFilterSet
    ordering_fields = ["id", "status", "role"]

    def get_queryset(self) -> QuerySet[m.Placement]:
        return m.Placement.objects.visible_to(self.request.user).select_related("enterprise", "node")

    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        serializer = self.validated(enterprises_serializers.PlacementCreateSerializer)
        enterprise = (
            m.Enterprise.objects.visible_to(request.user).filter(pk=serializer.validated_data["enterprise"]).first()
        )
        if enterprise is None:
            raise ValidationError({"enterprise": _("Unknown enterprise.")})
        placement = placements.placement_propose(
            enterprise_id=enterprise.pk, user=request.user, data=serializer.to_input()
        )
        return self.show(placement, code=status.HTTP_201_CREATED)

    def update(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        placement = self.get_object()  # the service checks the rest, as for the page
        expected = self.expected_version(placement)
        serializer = self.validated(enterprises_serializers.PlacementReviewSerializer)
        placement = placements.placement_review(
            placement_id=placement.pk, user=request.user, data=serializer.to_input(), expected_version=expected
        )
        return self.show(placement)


class ProfileCreateSerializer(serializers.Serializer):
    enterprise = serializers.IntegerField(min_value=1, max_value=2**63 - 1, help_text="Your enterprise's id.")


@extend_schema_view(
    create=extend_schema(
        request=ProfileCreateSerializer,
        responses={201: enterprises_serializers.ProfileSerializer},
        summary="Start (or get) the enterprise's working draft.",
    ),
    update=extend_schema(
        request=enterprises_serializers.ProfileUpdateSerializer, responses=enterprises_serializers.ProfileSerializer
    ),
    partial_update=extend_schema(
        request=enterprises_serializers.ProfileUpdateSerializer, responses=enterprises_serializers.ProfileSerializer
    ),
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

    serializer_class = enterprises_serializers.ProfileSerializer
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
        profile = profiles.profile_start_draft(enterprise_id=enterprise.pk, user=request.user)
        return self.show(profile, code=status.HTTP_201_CREATED)

    def update(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        profile = self.get_object()  # the service checks the rest, as for the page
        expected = self.expected_version(profile)
        # Every field of the input is optional already: PUT and PATCH alike. Not ``partial``, which
        # would reach the nested offers and needs and skip their required fields and defaults.
        serializer = self.validated(enterprises_serializers.ProfileUpdateSerializer)
        offers, needs = serializer.new_items()
        # One service call checks everything (node codes included), then writes it all: one new edit_version.
        profile = profiles.profile_update(
            profile_id=profile.pk,
            user=request.user,
            expected_edit_version=expected,
            changes=serializer.to_input(),
            offers=offers,
            needs=needs,
        )
        return self.show(profile)

    @extend_schema(request=None, responses=enterprises_serializers.ProfileSerializer)
    @action(detail=True, methods=["post"])
    def submit(self, request: Request, pk: str | None = None) -> Response:
        profile = self.get_object()  # the service checks the rest, as for the page
        return self.show(profiles.profile_submit(profile_id=profile.pk, user=request.user))

    @extend_schema(request=None, responses=enterprises_serializers.ProfileSerializer)
    @action(detail=True, methods=["post"])
    def withdraw(self, request: Request, pk: str | None = None) -> Response:
        profile = self.get_object()  # the service checks the rest, as for the page
        return self.show(profiles.profile_withdraw(profile_id=profile.pk, user=request.user))

    @extend_schema(
        request=enterprises_serializers.ProfileReviewSerializer, responses=enterprises_serializers.ProfileSerializer
    )
    @action(detail=True, methods=["post"])
    def approve(self, request: Request, pk: str | None = None) -> Response:
        profile = self.get_object()  # the service checks the rest, as for the page
        data = self.input(enterprises_serializers.ProfileReviewSerializer)
        return self.show(
            profiles.profile_approve(profile_id=profile.pk, reviewer=request.user, comment=data["comment"])
        )

    @extend_schema(
        request=maps_serializers.RejectSerializer,
        responses=enterprises_serializers.ProfileSerializer,
        summary="Return to the enterprise.",
    )
    @action(detail=True, methods=["post"], url_path="return", url_name="return")
    def return_(self, request: Request, pk: str | None = None) -> Response:
        profile = self.get_object()  # the service checks the rest, as for the page
        data = self.input(maps_serializers.RejectSerializer)
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
    # (a create serializer is its input serializer with the profile's id)
    create_serializer: type[enterprises_serializers.OfferInputSerializer | enterprises_serializers.NeedInputSerializer]
    input_serializer: type[enterprises_serializers.OfferInputSerializer | enterprises_serializers.NeedInputSerializer]

    def get_queryset(self) -> QuerySet[Any]:
        visible = m.CapabilityProfile.objects.visible_to(self.request.user)
        return (
            self.model._default_manager.filter(profile__in=visible)
            .select_related("node", "profile__enterprise")
            .order_by("pk")
        )

    # Each kind saves and deletes through its own profile service.
    def _save(self, data: Any, *, profile_id: int, item_id: int | None, expected_version: int | None = None) -> Any:
        raise NotImplementedError  # abstract: SupplyOfferViewSet / TechnologyNeedViewSet

    def _delete(self, item_id: int, *, expected_version: int | None) -> None:
        raise NotImplementedError  # abstract: SupplyOfferViewSet / TechnologyNeedViewSet

    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        serializer = self.validated(self.create_serializer)
        profile = (
            m.CapabilityProfile.objects.visible_to(request.user).filter(pk=serializer.validated_data["profile"]).first()
        )
        if profile is None:
            raise ValidationError({"profile": _("Unknown profile version.")})
        # The service checks the rest, as for the page: not a member → 403, not editable → 400.
        item = self._save(serializer.to_input(), profile_id=profile.pk, item_id=None)
        return self.show(item, code=status.HTTP_201_CREATED)

    def update(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        item = self.get_object()  # the service checks the rest, as for the page
        expected = self.expected_version(item)
        # A partial update gives only the fields sent: the service keeps the others.
        serializer = self.validated(self.input_serializer, partial=kwargs.get("partial", False))
        return self.show(
            self._save(serializer.to_input(), profile_id=item.profile_id, item_id=item.pk, expected_version=expected)
        )

    def destroy(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        item = self.get_object()  # the service checks the rest, as for the page
        self._delete(item.pk, expected_version=self.expected_version(item, required=False))
        return Response(status=status.HTTP_204_NO_CONTENT)


@extend_schema_view(
    create=extend_schema(
        request=enterprises_serializers.OfferCreateSerializer,
        responses={201: enterprises_serializers.OfferDetailSerializer},
    ),
    update=extend_schema(
        request=enterprises_serializers.OfferInputSerializer, responses=enterprises_serializers.OfferDetailSerializer
    ),
    partial_update=extend_schema(
        request=enterprises_serializers.OfferInputSerializer, responses=enterprises_serializers.OfferDetailSerializer
    ),
)
class SupplyOfferViewSet(ProfileItemViewSet):
    __doc__ = ProfileItemViewSet.__doc__
    serializer_class = enterprises_serializers.OfferDetailSerializer
    model = m.SupplyOffer
    create_serializer = enterprises_serializers.OfferCreateSerializer
    input_serializer = enterprises_serializers.OfferInputSerializer

    def _delete(self, item_id: int, *, expected_version: int | None) -> None:
        profiles.offer_delete(offer_id=item_id, user=self.request.user, expected_version=expected_version)

    def _save(
        self, data: profiles.OfferInput, *, profile_id: int, item_id: int | None, expected_version: int | None = None
    ) -> Any:
        return profiles.offer_save(
            profile_id=profile_id,
            user=self.request.user,
            data=data,
            offer_id=item_id,
            expected_version=expected_version,
        )


@extend_schema_view(
    create=extend_schema(
        request=enterprises_serializers.NeedCreateSerializer,
        responses={201: enterprises_serializers.NeedDetailSerializer},
    ),
    update=extend_schema(
        request=enterprises_serializers.NeedInputSerializer, responses=enterprises_serializers.NeedDetailSerializer
    ),
    partial_update=extend_schema(
        request=enterprises_serializers.NeedInputSerializer, responses=enterprises_serializers.NeedDetailSerializer
    ),
)
class TechnologyNeedViewSet(ProfileItemViewSet):
    __doc__ = ProfileItemViewSet.__doc__
    serializer_class = enterprises_serializers.NeedDetailSerializer
    model = m.TechnologyNeed
    create_serializer = enterprises_serializers.NeedCreateSerializer
    input_serializer = enterprises_serializers.NeedInputSerializer

    def _delete(self, item_id: int, *, expected_version: int | None) -> None:
        profiles.need_delete(need_id=item_id, user=self.request.user, expected_version=expected_version)

    def _save(
        self, data: profiles.NeedInput, *, profile_id: int, item_id: int | None, expected_version: int | None = None
    ) -> Any:
        return profiles.need_save(
            profile_id=profile_id,
            user=self.request.user,
            data=data,
            need_id=item_id,
            expected_version=expected_version,
        )
