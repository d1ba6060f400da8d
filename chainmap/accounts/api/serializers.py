"""API representations of users and their status input."""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from chainmap import models as m
from chainmap.core.api.fields import StrictCharField

# --- users ---------------------------------------------------------------------------------------


class UserSerializer(serializers.Serializer):
    id = serializers.IntegerField(read_only=True)
    username = StrictCharField(read_only=True)
    name = serializers.SerializerMethodField()
    role = serializers.SerializerMethodField(help_text="Role in chainmap; null for an account without one.")
    region = serializers.SerializerMethodField(help_text="Region code of a region official.")
    enterprise = serializers.SerializerMethodField(help_text="Credit code of an enterprise member's enterprise.")
    active = serializers.BooleanField(source="is_active", read_only=True)

    def _membership(self, obj: Any) -> Any:
        return getattr(obj, "membership", None) if hasattr(obj, "membership") else None

    @extend_schema_field(StrictCharField())
    def get_name(self, obj: Any) -> str:
        return obj.get_full_name()

    @extend_schema_field(serializers.ChoiceField(choices=m.Role.choices, allow_null=True))
    def get_role(self, obj: Any) -> str | None:
        if obj.is_superuser:
            return m.Role.JOINT_OFFICE
        membership = self._membership(obj)
        return membership.role if membership is not None else None

    @extend_schema_field(StrictCharField(allow_null=True))
    def get_region(self, obj: Any) -> str | None:
        membership = self._membership(obj)
        return membership.region.code if membership is not None and membership.region_id else None

    @extend_schema_field(StrictCharField(allow_null=True))
    def get_enterprise(self, obj: Any) -> str | None:
        membership = self._membership(obj)
        return membership.enterprise.credit_code if membership is not None and membership.enterprise_id else None


class UserStatusSerializer(serializers.Serializer):
    reason = StrictCharField(max_length=500, help_text="Why; recorded in the user's admin history.")
