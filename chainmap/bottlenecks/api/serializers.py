"""API representations of bottlenecks and their inputs."""

from __future__ import annotations

from typing import Any

from rest_framework import serializers

from chainmap import models as m
from chainmap.core.api.fields import StrictCharField, StrictModelSerializer, reason_field
from chainmap.maps.api.serializers import node_id_by_code
from chainmap.maps.services.mapedit import BottleneckInput


def _bottleneck_input(data: dict[str, Any], *, chain_id: int) -> BottleneckInput:
    """Validated data as the service's input: nodes by code, of the bottleneck's chain."""
    data = {key: value for key, value in data.items() if key not in ("chain", "reason")}
    if "nodes" in data:
        data["node_ids"] = [node_id_by_code(code, field="nodes", chain_id=chain_id) for code in data.pop("nodes")]
    return BottleneckInput.from_data(data)


# --- bottlenecks ---------------------------------------------------------------------------------


class BottleneckSerializer(StrictModelSerializer):
    chain: serializers.SlugRelatedField[m.Chain] = serializers.SlugRelatedField(read_only=True, slug_field="slug")
    raised_by: serializers.SlugRelatedField[m.Region] = serializers.SlugRelatedField(read_only=True, slug_field="code")
    nodes: serializers.SlugRelatedField[m.Node] = serializers.SlugRelatedField(
        many=True, read_only=True, slug_field="code"
    )

    class Meta:
        model = m.Bottleneck
        fields = [
            "id",
            "chain",
            "code",
            "title",
            "description",
            "raised_by",
            "severity",
            "mechanism",
            "status",
            "target_date",
            "nodes",
            "version",
        ]


class BottleneckCreateSerializer(serializers.Serializer):
    chain = serializers.SlugRelatedField(slug_field="slug", queryset=m.Chain.objects.all())
    code = StrictCharField(max_length=20)
    title = StrictCharField(max_length=200)
    raised_by = serializers.SlugRelatedField(slug_field="code", queryset=m.Region.objects.all())
    description = StrictCharField(max_length=4000, required=False, allow_blank=True)
    severity = serializers.ChoiceField(choices=m.Bottleneck.Severity.choices, required=False)
    mechanism = serializers.ChoiceField(choices=m.Mechanism.choices, required=False, allow_blank=True)
    target_date = serializers.DateField(required=False, allow_null=True)
    nodes = serializers.ListField(
        child=StrictCharField(max_length=40), required=False, max_length=100, help_text="Node codes."
    )
    reason = reason_field()

    def to_input(self) -> BottleneckInput:
        """The new bottleneck as the service's input (the same the editor's form produces)."""
        data = dict(self.validated_data)
        return _bottleneck_input({"nodes": [], **data}, chain_id=data["chain"].pk)


class BottleneckUpdateSerializer(serializers.Serializer):
    title = StrictCharField(max_length=200)
    description = StrictCharField(max_length=4000, required=False, allow_blank=True)
    severity = serializers.ChoiceField(choices=m.Bottleneck.Severity.choices, required=False)
    mechanism = serializers.ChoiceField(choices=m.Mechanism.choices, required=False, allow_blank=True)
    status = serializers.ChoiceField(choices=m.BottleneckStatus.choices, required=False)
    target_date = serializers.DateField(required=False, allow_null=True)
    nodes = serializers.ListField(
        child=StrictCharField(max_length=40), required=False, max_length=100, help_text="Node codes."
    )
    reason = reason_field()

    def to_input(self, *, chain_id: int) -> BottleneckInput:
        """The given fields as the service's input (the same the editor's form produces)."""
        return _bottleneck_input(dict(self.validated_data), chain_id=chain_id)
