"""Projects API: joint projects and their milestones."""

from __future__ import annotations

from typing import Any

from django.db.models import Prefetch, QuerySet

from chainmap import roles
from projects import models as pm
from projects.api import serializers_joint as s
from projects.api.filters_joint import JointProjectFilterSet, MilestoneFilterSet
from projects.api.views import ReadOnlyViewSet


def visible_projects(user: Any) -> QuerySet[pm.JointProject]:
    projects = pm.JointProject.objects.all()
    return projects if roles.role_of(user) is not None else projects.none()


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
