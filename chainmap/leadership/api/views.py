"""API: the leadership calendar (terms), read by everyone, edited by the joint office."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import mixins
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from chainmap import models as m
from chainmap.accounts import permissions
from chainmap.core.api.caching import CachedListMixin
from chainmap.core.api.views import ApiViewSet, VersionedMixin, require
from chainmap.leadership.api import serializers as s
from chainmap.leadership.api.filters import LeadershipTermFilterSet
from chainmap.leadership.services import calendar as terms

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
        valid = self.validated(s.LeadershipTermUpdateSerializer, partial=kwargs.get("partial", False))
        term = terms.term_update(
            term_id=term.pk,
            user=request.user,
            reason=valid.validated_data.get("reason", ""),
            changes=valid.to_input(),
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
        valid = self.validated(s.TermsRegenerateSerializer)
        data = valid.validated_data
        created = terms.terms_regenerate(
            chain_id=data["chain"].pk, user=request.user, reason=data["reason"], data=valid.to_input()
        )
        fresh = self.get_queryset().filter(pk__in=[t.pk for t in created]).order_by("starts_on")
        return Response(self.get_serializer(fresh, many=True).data)
