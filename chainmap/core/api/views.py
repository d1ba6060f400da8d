"""The API's base viewset and the optimistic-locking mixin every area's viewsets build on."""

from __future__ import annotations

import re
from typing import Any, Literal, TypeVar, overload

from django.core.exceptions import PermissionDenied
from django.db.models import Model
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter
from rest_framework import status, viewsets
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.serializers import BaseSerializer
from rest_framework.throttling import BaseThrottle, ScopedRateThrottle

from chainmap.core.api.errors import PreconditionFailed, PreconditionRequired

REASON_PARAM = OpenApiParameter(
    "reason", OpenApiTypes.STR, OpenApiParameter.QUERY, required=True, description="Why; recorded in the history."
)
_ETAG = re.compile(r'^"(\d{1,19})-(\d{1,10})"$')


def require(allowed: bool) -> None:
    """Refuse a visible object's action (403) when the permission rule says no."""
    if not allowed:
        raise PermissionDenied(_("You do not have permission to perform this action."))


S = TypeVar("S", bound=BaseSerializer)


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

    def validated(self, serializer_class: type[S], *, partial: bool = False) -> S:
        """The request body through the input serializer, valid (else 400 naming each field)."""
        serializer = serializer_class(data=self.request.data, partial=partial, context=self.get_serializer_context())
        serializer.is_valid(raise_exception=True)
        return serializer

    def input(self, serializer_class: type[BaseSerializer], *, partial: bool = False) -> dict[str, Any]:
        return dict(self.validated(serializer_class, partial=partial).validated_data)

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

    @overload
    def expected_version(self, obj: Any, *, required: Literal[True] = ...) -> int: ...

    @overload
    def expected_version(self, obj: Any, *, required: bool) -> int | None: ...

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
