"""API: users (the joint office activates and deactivates them)."""

from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model
from django.db.models import QuerySet
from drf_spectacular.utils import extend_schema
from rest_framework import mixins
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from chainmap.accounts import permissions
from chainmap.accounts import services as accounts
from chainmap.accounts.api import serializers as s
from chainmap.accounts.api.filters import UserFilterSet
from chainmap.core.api.caching import CachedListMixin
from chainmap.core.api.views import ApiViewSet, require


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
