"""API representations of bottlenecks and their inputs."""

from __future__ import annotations

from rest_framework import serializers

from chainmap import models as m
from chainmap.core.api.fields import StrictCharField, StrictModelSerializer, reason_field

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
