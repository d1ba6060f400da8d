"""API representations of challenges, applications, joint projects and milestones (read)."""

from __future__ import annotations

from rest_framework import serializers

from projects import models as pm


class ChallengePhaseSerializer(serializers.ModelSerializer):
    class Meta:
        model = pm.ChallengePhase
        fields = ["position", "name", "gate_on"]


class ChallengeSerializer(serializers.ModelSerializer):
    bottleneck = serializers.SlugRelatedField(read_only=True, slug_field="code")
    phases = ChallengePhaseSerializer(many=True, read_only=True)

    class Meta:
        model = pm.Challenge
        fields = [
            "id",
            "code",
            "bottleneck",
            "mechanism",
            "title",
            "description",
            "budget",
            "max_funded_teams",
            "status",
            "published_on",
            "deadline",
            "phases",
        ]


class ApplicationSerializer(serializers.ModelSerializer):
    challenge = serializers.SlugRelatedField(read_only=True, slug_field="code")
    enterprise_name = serializers.CharField(source="enterprise.name", read_only=True)
    consortium = serializers.PrimaryKeyRelatedField(many=True, read_only=True)

    class Meta:
        model = pm.Application
        fields = [
            "id",
            "challenge",
            "enterprise",
            "enterprise_name",
            "consortium",
            "team_lead",
            "proposal",
            "status",
            "created_at",
        ]
