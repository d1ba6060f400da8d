"""API representations of rounds, matches and calendar entries, and their inputs."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from chainmap import models as m
from chainmap.core.api.fields import StrictCharField, StrictModelSerializer, calendar_date

# --- matching rounds, matches, reports, subscriptions --------------------------------------------


class MatchingRoundSerializer(StrictModelSerializer):
    chain: serializers.SlugRelatedField[m.Chain] = serializers.SlugRelatedField(
        read_only=True, slug_field="slug", allow_null=True
    )
    cluster: serializers.SlugRelatedField[m.Cluster] = serializers.SlugRelatedField(
        read_only=True, slug_field="slug", allow_null=True
    )

    class Meta:
        model = m.MatchingRound
        fields = [
            "id",
            "kind",
            "period",
            "chain",
            "cluster",
            "status",
            "opened_at",
            "matched_at",
            "held_on",
            "closed_at",
        ]


class RoundActionSerializer(serializers.Serializer):
    held_on = serializers.DateField(required=False, allow_null=True, help_text="For 'hold': the meeting date.")


class MatchSerializer(StrictModelSerializer):
    enterprise_name = StrictCharField(source="enterprise.name", read_only=True)
    bottleneck: serializers.SlugRelatedField[m.Bottleneck] = serializers.SlugRelatedField(
        read_only=True, slug_field="code", allow_null=True
    )

    class Meta:
        model = m.Match
        fields = [
            "id",
            "round",
            "bottleneck",
            "need",
            "profile",
            "offer",
            "enterprise",
            "enterprise_name",
            "rank",
            "score",
            "components",
            "matched_terms",
            "outcome",
            "outcome_note",
            "outcome_at",
        ]


class MatchOutcomeSerializer(serializers.Serializer):
    outcome = serializers.ChoiceField(choices=m.Outcome.choices)
    note = StrictCharField(max_length=1000, required=False, allow_blank=True, default="")


class CalendarEntrySerializer(StrictModelSerializer):
    chain: serializers.SlugRelatedField[m.Chain] = serializers.SlugRelatedField(
        read_only=True, slug_field="slug", allow_null=True
    )
    cluster: serializers.SlugRelatedField[m.Cluster] = serializers.SlugRelatedField(
        read_only=True, slug_field="slug", allow_null=True
    )
    locked = serializers.SerializerMethodField(help_text="The period's round is matched: its subject is fixed.")

    class Meta:
        model = m.CalendarEntry
        fields = ["id", "kind", "period", "chain", "cluster", "locked"]

    @extend_schema_field(serializers.BooleanField())
    def get_locked(self, obj: m.CalendarEntry) -> bool:
        # The view puts the locked (kind, period) pairs of the page in the context (one query).
        return (obj.kind, obj.period) in self.context.get("locked", set())


class CalendarEntrySetSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=m.RoundKind.choices)
    period = calendar_date(help_text="Any day of the month (一月一链) or quarter (一季一群).")
    subject = StrictCharField(max_length=50, help_text="Chain slug for chain_month, cluster slug for cluster_quarter.")


class CalendarSubjectSerializer(serializers.Serializer):
    subject = StrictCharField(max_length=50, help_text="Chain slug for chain_month, cluster slug for cluster_quarter.")


class CalendarFillSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=m.RoundKind.choices)
    year = serializers.IntegerField(min_value=2000, max_value=2100)
