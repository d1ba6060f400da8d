"""API representations of challenges and applications (read), and one input serializer per write.

Read serializers never query by themselves (the views prefetch); input serializers only parse and bound
the input: ``projects.challenges.services`` decides and writes.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from rest_framework import serializers

from chainmap.core.api.fields import StrictCharField, StrictModelSerializer
from projects import models as pm
from projects.challenges.services import (
    DECISIONS,
    MAX_CONSORTIUM,
    MAX_PHASES,
    MAX_TEAMS,
    ApplicationInput,
    ChallengeInput,
    PhaseInput,
)

if TYPE_CHECKING:
    from chainmap import models as m

MAX_ID = 2**63 - 1


class ChallengePhaseSerializer(StrictModelSerializer):
    class Meta:
        model = pm.ChallengePhase
        fields = ["position", "name", "gate_on"]


class ChallengeSerializer(StrictModelSerializer):
    bottleneck: serializers.SlugRelatedField[m.Bottleneck] = serializers.SlugRelatedField(
        read_only=True, slug_field="code"
    )
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


class ApplicationSerializer(StrictModelSerializer):
    challenge: serializers.SlugRelatedField[pm.Challenge] = serializers.SlugRelatedField(
        read_only=True, slug_field="code"
    )
    enterprise_name = StrictCharField(source="enterprise.name", read_only=True)
    consortium: serializers.PrimaryKeyRelatedField[m.Enterprise] = serializers.PrimaryKeyRelatedField(
        many=True, read_only=True
    )
    phase_reached: serializers.SlugRelatedField[pm.ChallengePhase] = serializers.SlugRelatedField(
        read_only=True, slug_field="position", allow_null=True, help_text="Position of the last gate reached (赛马制)."
    )

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
            "phase_reached",
            "created_at",
        ]


class ReviewScoreSerializer(StrictModelSerializer):
    class Meta:
        model = pm.ReviewScore
        fields = ["criterion", "score", "comment"]


class RankingSerializer(serializers.Serializer):
    application = serializers.IntegerField(source="application_id")
    averages = serializers.DictField(
        child=serializers.DecimalField(max_digits=5, decimal_places=2, allow_null=True),
        help_text="Average score per criterion over the reviewers (null: not scored yet).",
    )
    total = serializers.DecimalField(
        max_digits=5, decimal_places=2, allow_null=True, help_text="Mean of the criteria averages."
    )
    reviewers = serializers.IntegerField()


# --- input --------------------------------------------------------------------------------------


class PhaseInputSerializer(serializers.Serializer):
    name = StrictCharField(max_length=100)
    gate_on = serializers.DateField()


class PhaseSaveSerializer(PhaseInputSerializer):
    position = serializers.IntegerField(
        min_value=1, max_value=MAX_PHASES, required=False, allow_null=True, help_text="The gate to change; omit to add."
    )

    def to_input(self) -> PhaseInput:
        """The gate as the service's input (the same the page's form produces)."""
        return PhaseInput.from_data(self.validated_data)


def _budget_field() -> serializers.DecimalField:
    return serializers.DecimalField(
        max_digits=12, decimal_places=2, min_value=0, required=False, help_text="Budget in 10k CNY."
    )


class ChallengeUpdateSerializer(serializers.Serializer):
    title = StrictCharField(max_length=200)
    description = StrictCharField(max_length=4000, required=False, allow_blank=True)
    budget = _budget_field()
    mechanism = serializers.ChoiceField(choices=pm.ChallengeMechanism.choices, required=False)
    max_funded_teams = serializers.IntegerField(
        min_value=1, max_value=MAX_TEAMS, required=False, help_text="1 for 揭榜挂帅, 2 or more for 赛马制."
    )
    deadline = serializers.DateField(required=False, allow_null=True, help_text="Application deadline.")
    # many_init() is what many=True calls; unlike the serializer's __init__, the stubs let it take the
    # ListSerializer's max_length / min_length.
    phases = PhaseInputSerializer.many_init(
        required=False, max_length=MAX_PHASES, help_text="Replaces the phase gates (赛马制)."
    )

    def to_input(self, **resolved: Any) -> ChallengeInput:
        """The validated fields as the service's input (the same the page's form produces); ``resolved``
        gives the relations the view looked up (``bottleneck=`` the visible bottleneck of that code)."""
        return ChallengeInput.from_data({**self.validated_data, **resolved})


class ChallengeCreateSerializer(ChallengeUpdateSerializer):
    bottleneck = StrictCharField(max_length=20, help_text="Bottleneck code.")
    code = StrictCharField(max_length=20)
    mechanism = serializers.ChoiceField(choices=pm.ChallengeMechanism.choices)


class AwardSerializer(serializers.Serializer):
    winners = serializers.ListField(
        child=serializers.IntegerField(min_value=1, max_value=MAX_ID),
        required=False,
        allow_null=True,
        max_length=MAX_TEAMS,
        help_text="Winning application ids: exactly one for 揭榜挂帅; for 赛马制 omit to award every funded team.",
    )


class ApplicationCreateSerializer(serializers.Serializer):
    challenge = StrictCharField(max_length=20, help_text="Challenge code.")
    team_lead = StrictCharField(max_length=100)
    proposal = StrictCharField(max_length=8000, help_text="Technical proposal.")
    consortium = serializers.ListField(
        child=serializers.IntegerField(min_value=1, max_value=MAX_ID),
        required=False,
        max_length=MAX_CONSORTIUM,
        help_text="Ids of the other enterprises in the consortium.",
    )

    def to_input(self) -> ApplicationInput:
        """The validated fields as the service's input (``challenge`` aside: it names where it goes)."""
        return ApplicationInput.from_data({k: v for k, v in self.validated_data.items() if k != "challenge"})


class ScoreInputSerializer(serializers.Serializer):
    criterion = serializers.ChoiceField(choices=pm.Criterion.choices)
    score = serializers.DecimalField(max_digits=5, decimal_places=2, min_value=0, max_value=100)
    comment = StrictCharField(max_length=1000, required=False, allow_blank=True, default="")


class ScoreSerializer(serializers.Serializer):
    # many_init(): what many=True calls (see ChallengeUpdateSerializer.phases).
    scores = ScoreInputSerializer.many_init(min_length=1, max_length=len(pm.Criterion.values))


class DecisionSerializer(serializers.Serializer):
    decision = serializers.ChoiceField(
        choices=[(d, d) for d in DECISIONS],
        help_text="shortlist; fund, advance or eliminate (赛马制, advance/eliminate at a gate); reject.",
    )
    phase = serializers.IntegerField(
        min_value=1,
        max_value=MAX_PHASES,
        required=False,
        allow_null=True,
        help_text="Gate position (advance/eliminate).",
    )
