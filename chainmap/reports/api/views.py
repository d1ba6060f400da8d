"""API: round reports and their files, report subscriptions and deliveries."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from django.http import FileResponse, Http404
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import mixins, status
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from chainmap import models as m
from chainmap.accounts import permissions
from chainmap.core import roles
from chainmap.core.api.caching import CachedListMixin
from chainmap.core.api.views import ApiViewSet, VersionedMixin, require
from chainmap.reports.api import serializers as s
from chainmap.reports.api.filters import DeliveryFilterSet, ReportFilterSet, SubscriptionFilterSet
from chainmap.reports.services import deliveries, subscriptions

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
        if roles.role_of(user) is None or not user.is_authenticated:  # anonymous users have no role
            return subscriptions_.none()
        return subscriptions_.filter(user_id=user.pk)

    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        if isinstance(request.data, dict) and request.data.get("user") is not None:
            require(roles.is_joint_office(request.user))
        serializer = self.validated(s.SubscriptionCreateSerializer)
        target = serializer.validated_data.get("user")
        subscription = subscriptions.subscription_create(
            user=request.user, for_user_id=target.pk if target is not None else None, data=serializer.to_input()
        )
        return self.show(subscription, code=status.HTTP_201_CREATED)

    def update(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        subscription = self.get_object()  # only your own is visible (the joint office: every one): 404
        expected = self.expected_version(subscription)
        serializer = self.validated(s.SubscriptionInputSerializer, partial=kwargs.get("partial", False))
        subscription = subscriptions.subscription_update(  # may you manage it: the service's (403)
            subscription_id=subscription.pk, user=request.user, changes=serializer.to_input(), expected_version=expected
        )
        return self.show(subscription)

    def destroy(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        subscription = self.get_object()  # only your own is visible (the joint office: every one): 404
        expected = self.expected_version(subscription, required=False)
        subscriptions.subscription_delete(subscription_id=subscription.pk, user=request.user, expected_version=expected)
        return Response(status=status.HTTP_204_NO_CONTENT)


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
