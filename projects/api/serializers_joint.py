"""API representations of joint projects, participants and milestones."""

from __future__ import annotations

from rest_framework import serializers

from projects import models as pm


class ParticipantSerializer(serializers.ModelSerializer):
    region = serializers.SlugRelatedField(read_only=True, slug_field="code")

    class Meta:
        model = pm.Participant
        fields = ["unit_name", "enterprise", "region", "role"]


class MilestoneSerializer(serializers.ModelSerializer):
    project = serializers.SlugRelatedField(read_only=True, slug_field="code")

    class Meta:
        model = pm.Milestone
        fields = ["id", "project", "position", "title", "due_on", "weight", "progress", "completed_on"]


class JointProjectSerializer(serializers.ModelSerializer):
    batch = serializers.SlugRelatedField(read_only=True, slug_field="number")
    chain = serializers.SlugRelatedField(read_only=True, slug_field="slug", allow_null=True)
    lead_region = serializers.SlugRelatedField(read_only=True, slug_field="code")
    bottlenecks = serializers.SlugRelatedField(many=True, read_only=True, slug_field="code")
    participants = ParticipantSerializer(many=True, read_only=True)
    milestones = MilestoneSerializer(many=True, read_only=True)

    class Meta:
        model = pm.JointProject
        fields = [
            "id",
            "code",
            "batch",
            "title",
            "description",
            "chain",
            "bottlenecks",
            "lead_unit",
            "lead_region",
            "budget",
            "starts_on",
            "ends_on",
            "status",
            "accepted_on",
            "participants",
            "milestones",
        ]
