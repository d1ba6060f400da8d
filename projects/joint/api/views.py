"""Projects API: batches, joint projects and their milestones.

Everyone with a role reads them; writes go through ``projects.joint.services`` with the rules of
``projects.joint.permissions``: the joint office launches batches and projects, the joint office and
officials of a participating region change a project and its milestones (visible → 403 when refused).
"""

from __future__ import annotations

from typing import Any

from django.db.models import Count, Prefetch, QuerySet
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import mixins, status
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from chainmap.core.api.caching import CachedListMixin
from chainmap.core.api.views import ApiViewSet, VersionedMixin
from projects import models as pm
from projects.joint import permissions as rules
from projects.joint import selectors as selectors_joint
from projects.joint import services as service
from projects.joint.api import serializers as s
from projects.joint.api.filters import BatchFilterSet, JointProjectFilterSet, MilestoneFilterSet


@extend_schema_view(
    create=extend_schema(
        request=s.BatchWriteSerializer, responses={201: s.BatchSerializer}, summary="Launch a batch (joint office)."
    ),
)
class BatchViewSet(CachedListMixin, mixins.RetrieveModelMixin, mixins.CreateModelMixin, ApiViewSet):
    """Batches of joint projects (第一批, 第二批 ...) by number, with their project count and mean progress."""

    serializer_class = s.BatchSerializer
    filterset_class = BatchFilterSet
    lookup_field = "number"
    lookup_value_regex = r"\d{1,5}"
    ordering_fields = ["number", "launched_on"]

    def get_queryset(self) -> QuerySet[pm.Batch]:
        return (
            pm.Batch.objects.visible_to(self.request.user).annotate(project_count=Count("projects")).order_by("number")
        )

    def _with_progress(self, batches: list[pm.Batch]) -> list[pm.Batch]:
        progress = selectors_joint.batch_progress(batch_ids=[batch.pk for batch in batches])
        for batch in batches:
            batch.progress = progress.get(batch.pk)  # type: ignore[attr-defined]
        return batches

    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        page = self.paginate_queryset(self.filter_queryset(self.get_queryset()))
        rows = self._with_progress(list(page if page is not None else self.filter_queryset(self.get_queryset())))
        data = self.get_serializer(rows, many=True).data
        return self.get_paginated_response(data) if page is not None else Response(data)

    def retrieve(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        batch = self._with_progress([self.get_object()])[0]
        return Response(self.get_serializer(batch).data)

    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        service.check_can_manage_batches(user=request.user)  # before the body, as the page
        batch = service.batch_create(user=request.user, data=self.validated(s.BatchWriteSerializer).to_input())
        fresh = self._with_progress([self.get_queryset().get(pk=batch.pk)])[0]
        return Response(self.get_serializer(fresh).data, status=status.HTTP_201_CREATED)


@extend_schema_view(
    create=extend_schema(
        request=s.ProjectCreateSerializer,
        responses={201: s.JointProjectSerializer},
        summary="Launch a joint project with its participants (joint office).",
    ),
    update=extend_schema(request=s.ProjectUpdateSerializer, responses=s.JointProjectSerializer),
    partial_update=extend_schema(request=s.ProjectUpdateSerializer, responses=s.JointProjectSerializer),
)
class JointProjectViewSet(
    VersionedMixin,
    CachedListMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    ApiViewSet,
):
    """Joint R&D projects by code, with participants, milestones and weighted progress. Each carries a
    version (ETag; If-Match required for PUT / PATCH) that moves with every change of the project, of its
    status and of any of its milestones (added, changed or deleted)."""

    serializer_class = s.JointProjectSerializer
    filterset_class = JointProjectFilterSet
    lookup_field = "code"
    ordering_fields = ["code", "starts_on", "ends_on", "budget", "progress"]

    def get_queryset(self) -> QuerySet[pm.JointProject]:
        return (
            selectors_joint.with_progress(pm.JointProject.objects.visible_to(self.request.user))
            .select_related("batch", "chain", "lead_region")
            .prefetch_related(
                "bottlenecks",
                Prefetch("participants", queryset=pm.Participant.objects.select_related("region")),
                Prefetch("milestones", queryset=pm.Milestone.objects.select_related("project")),
            )
        )

    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        service.check_can_create_project(user=request.user)  # before the body, as the page
        project = service.project_create(user=request.user, data=self.validated(s.ProjectCreateSerializer).to_input())
        return self.show(project, code=status.HTTP_201_CREATED)

    def update(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        project = self.get_object()
        service.check_can_edit_project(user=request.user, project=project)  # before the body, as the page
        expected = self.expected_version(project)
        serializer = self.validated(s.ProjectUpdateSerializer, partial=kwargs.get("partial", False))
        project = service.project_update(
            user=request.user, project_id=project.pk, changes=serializer.to_input(), expected_version=expected
        )
        return self.show(project)

    @extend_schema(
        request=s.ProjectStatusSerializer,
        responses=s.JointProjectSerializer,
        summary="Move the project to its next status; accepting needs accepted_on and every milestone at 100 %.",
    )
    @action(detail=True, methods=["post"], url_path="set-status", url_name="set-status")
    def set_status(self, request: Request, code: str | None = None) -> Response:
        project = self.get_object()
        service.check_can_edit_project(user=request.user, project=project)  # as the page
        data = self.input(s.ProjectStatusSerializer)
        project = service.project_set_status(  # who may move it to that status: the service's (403)
            user=request.user, project_id=project.pk, status=data["status"], accepted_on=data.get("accepted_on")
        )
        return self.show(project)


@extend_schema_view(
    create=extend_schema(request=s.MilestoneCreateSerializer, responses={201: s.MilestoneSerializer}),
    update=extend_schema(request=s.MilestoneUpdateSerializer, responses=s.MilestoneSerializer),
    partial_update=extend_schema(request=s.MilestoneUpdateSerializer, responses=s.MilestoneSerializer),
)
class MilestoneViewSet(
    VersionedMixin,
    CachedListMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    mixins.DestroyModelMixin,
    ApiViewSet,
):
    """Milestones of joint projects; progress at 100 sets completed_on. Each carries a version (ETag;
    If-Match required for PUT / PATCH, optional for DELETE); every change also moves the project's."""

    serializer_class = s.MilestoneSerializer
    action_rules = {"create": rules.can_create_milestones}
    filterset_class = MilestoneFilterSet
    ordering_fields = ["position", "due_on", "progress"]

    def get_queryset(self) -> QuerySet[pm.Milestone]:
        return pm.Milestone.objects.visible_to(self.request.user).select_related("project")

    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        serializer = self.validated(s.MilestoneCreateSerializer)
        project = serializer.validated_data["project"]  # may this user change it: the service's (403)
        milestone = service.milestone_create(user=request.user, project_id=project.pk, data=serializer.to_input())
        return self.show(milestone, code=status.HTTP_201_CREATED)

    def update(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        milestone = self.get_object()
        service.check_can_edit_project(user=request.user, project=milestone.project)  # as the page
        expected = self.expected_version(milestone)
        serializer = self.validated(s.MilestoneUpdateSerializer, partial=kwargs.get("partial", False))
        milestone = service.milestone_update(
            user=request.user, milestone_id=milestone.pk, changes=serializer.to_input(), expected_version=expected
        )
        return self.show(milestone)

    def destroy(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        milestone = self.get_object()
        service.check_can_edit_project(user=request.user, project=milestone.project)  # as the page
        expected = self.expected_version(milestone, required=False)
        service.milestone_delete(user=request.user, milestone_id=milestone.pk, expected_version=expected)
        return Response(status=status.HTTP_204_NO_CONTENT)
