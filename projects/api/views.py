"""Projects API: challenges, applications, joint projects and milestones (read; the projects app has
no write services yet). Visibility follows the pages: drafts and applications are internal."""

from __future__ import annotations

from typing import Any

from django.db.models import Prefetch, QuerySet
from rest_framework import mixins, viewsets

from chainmap import roles
from projects import models as pm
from projects.api import serializers as s
from projects.api.filters import (
    ApplicationFilterSet,
    ChallengeFilterSet,
    JointProjectFilterSet,
    MilestoneFilterSet,
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


def visible_projects(user: Any) -> QuerySet[pm.JointProject]:
    projects = pm.JointProject.objects.all()
    return projects if roles.role_of(user) is not None else projects.none()


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


class JointProjectViewSet(ReadOnlyViewSet):
    serializer_class = s.JointProjectSerializer
    filterset_class = JointProjectFilterSet
    lookup_field = "code"
    ordering_fields = ["code", "starts_on", "ends_on", "budget"]

    def get_queryset(self) -> QuerySet[pm.JointProject]:
        return (
            visible_projects(self.request.user)
            .select_related("batch", "chain", "lead_region")
            .prefetch_related(
                "bottlenecks",
                Prefetch("participants", queryset=pm.Participant.objects.select_related("region")),
                Prefetch("milestones", queryset=pm.Milestone.objects.select_related("project")),
            )
        )


class MilestoneViewSet(ReadOnlyViewSet):
    serializer_class = s.MilestoneSerializer
    filterset_class = MilestoneFilterSet
    ordering_fields = ["position", "due_on", "progress"]

    def get_queryset(self) -> QuerySet[pm.Milestone]:
        milestones = pm.Milestone.objects.select_related("project")
        return milestones if roles.role_of(self.request.user) is not None else milestones.none()
