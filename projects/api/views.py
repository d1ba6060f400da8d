"""Projects API: challenges and applications. Visibility follows the pages: drafts and applications are
internal."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from rest_framework import mixins, viewsets

from chainmap import roles
from projects import models as pm
from projects.api import serializers as s
from projects.api.filters import (
    ApplicationFilterSet,
    ChallengeFilterSet,
)


class ReadOnlyViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    ordering_fields: list[str] = ["id"]


def visible_challenges(user: Any) -> QuerySet[pm.Challenge]:
    """Officials see drafts too; every other role sees published (and later) challenges."""
    challenges = pm.Challenge.objects.all()
    if roles.is_official(user):
        return challenges
    if roles.role_of(user) is not None:
        return challenges.exclude(status=pm.ChallengeStatus.DRAFT)
    return challenges.none()


def visible_applications(user: Any) -> QuerySet[pm.Application]:
    """Officials see every application; an enterprise member its own enterprise's."""
    applications = pm.Application.objects.all()
    if roles.is_official(user):
        return applications
    enterprise_id = roles.member_enterprise_id(user)
    if enterprise_id is not None:
        return applications.filter(enterprise_id=enterprise_id)
    return applications.none()


class ChallengeViewSet(ReadOnlyViewSet):
    serializer_class = s.ChallengeSerializer
    filterset_class = ChallengeFilterSet
    lookup_field = "code"
    ordering_fields = ["code", "published_on", "deadline"]

    def get_queryset(self) -> QuerySet[pm.Challenge]:
        return visible_challenges(self.request.user).select_related("bottleneck").prefetch_related("phases")


class ApplicationViewSet(ReadOnlyViewSet):
    serializer_class = s.ApplicationSerializer
    filterset_class = ApplicationFilterSet
    ordering_fields = ["id", "created_at", "status"]

    def get_queryset(self) -> QuerySet[pm.Application]:
        return (
            visible_applications(self.request.user)
            .select_related("challenge", "enterprise")
            .prefetch_related("consortium")
        )
