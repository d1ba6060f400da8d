"""API representations of batches, joint projects, participants and milestones, and their inputs."""

from __future__ import annotations

from rest_framework import serializers

from chainmap import models as m
from chainmap.core.api.fields import StrictCharField, StrictModelSerializer
from projects import models as pm
from projects.joint.services import MAX_BUDGET, MAX_PARTICIPANTS, MAX_SMALL, BatchInput, MilestoneInput, ProjectInput


class ParticipantSerializer(StrictModelSerializer):
    region: serializers.SlugRelatedField[m.Region] = serializers.SlugRelatedField(read_only=True, slug_field="code")

    class Meta:
        model = pm.Participant
        fields = ["unit_name", "enterprise", "region", "role"]


class MilestoneSerializer(StrictModelSerializer):
    project: serializers.SlugRelatedField[pm.JointProject] = serializers.SlugRelatedField(
        read_only=True, slug_field="code"
    )

    class Meta:
        model = pm.Milestone
        fields = ["id", "project", "position", "title", "due_on", "weight", "progress", "completed_on"]


class JointProjectSerializer(StrictModelSerializer):
    batch: serializers.SlugRelatedField[pm.Batch] = serializers.SlugRelatedField(read_only=True, slug_field="number")
    chain: serializers.SlugRelatedField[m.Chain] = serializers.SlugRelatedField(
        read_only=True, slug_field="slug", allow_null=True
    )
    lead_region: serializers.SlugRelatedField[m.Region] = serializers.SlugRelatedField(
        read_only=True, slug_field="code"
    )
    bottlenecks: serializers.SlugRelatedField[m.Bottleneck] = serializers.SlugRelatedField(
        many=True, read_only=True, slug_field="code"
    )
    participants = ParticipantSerializer(many=True, read_only=True)
    milestones = MilestoneSerializer(many=True, read_only=True)
    progress = serializers.FloatField(
        read_only=True, help_text="Weighted milestone progress in %: Σ(weight·progress) / Σweight, 0 without any."
    )

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
            "progress",
            "participants",
            "milestones",
        ]


class BatchSerializer(StrictModelSerializer):
    project_count = serializers.IntegerField(read_only=True, help_text="Projects of the batch.")
    progress = serializers.FloatField(
        read_only=True,
        allow_null=True,
        help_text="Mean progress (%) of the batch's projects, terminated ones left out; null without any.",
    )

    class Meta:
        model = pm.Batch
        fields = ["id", "number", "name", "launched_on", "description", "project_count", "progress"]


# --- inputs ---------------------------------------------------------------------------------------


class BatchWriteSerializer(serializers.Serializer):
    number = serializers.IntegerField(min_value=1, max_value=MAX_SMALL)
    name = StrictCharField(max_length=60)
    launched_on = serializers.DateField(required=False, allow_null=True)
    description = StrictCharField(max_length=4000, required=False, allow_blank=True)

    def to_input(self) -> BatchInput:
        return BatchInput.from_data(self.validated_data)


class ParticipantWriteSerializer(serializers.Serializer):
    unit_name = StrictCharField(max_length=200)
    region = serializers.SlugRelatedField(slug_field="code", queryset=m.Region.objects.all(), help_text="Region code.")
    role = serializers.ChoiceField(choices=pm.Participant.Role.choices, default=pm.Participant.Role.PARTICIPANT)
    enterprise = serializers.SlugRelatedField(
        slug_field="credit_code",
        queryset=m.Enterprise.objects.all(),
        required=False,
        allow_null=True,
        help_text="Credit code of the enterprise, when the unit is one (in the unit's region).",
    )


class ProjectUpdateSerializer(serializers.Serializer):
    """Every field optional on PATCH; ``bottlenecks`` and ``participants`` replace the whole set."""

    batch = serializers.SlugRelatedField(
        slug_field="number", queryset=pm.Batch.objects.all(), help_text="Batch number."
    )
    title = StrictCharField(max_length=200)
    description = StrictCharField(max_length=4000, required=False, allow_blank=True)
    chain = serializers.SlugRelatedField(
        slug_field="slug", queryset=m.Chain.objects.all(), required=False, allow_null=True, help_text="Chain slug."
    )
    bottlenecks = serializers.SlugRelatedField(
        slug_field="code",
        queryset=m.Bottleneck.objects.all(),
        many=True,
        required=False,
        help_text="Codes of the bottlenecks attacked (of the project's chain when it has one).",
    )
    lead_region = serializers.SlugRelatedField(
        slug_field="code", queryset=m.Region.objects.all(), help_text="Region code of the lead unit."
    )
    budget = serializers.DecimalField(
        max_digits=12, decimal_places=2, min_value=0, max_value=MAX_BUDGET, help_text="10k CNY."
    )
    starts_on = serializers.DateField()
    ends_on = serializers.DateField()
    # many_init() is what many=True calls; unlike the serializer's __init__, the stubs let it take the
    # ListSerializer's max_length.
    participants = ParticipantWriteSerializer.many_init(
        max_length=MAX_PARTICIPANTS,
        help_text="Units from at least two regions, exactly one with role lead (in the lead region).",
    )

    def to_input(self) -> ProjectInput:
        """The validated fields as the service's input (the same the page's form produces)."""
        return ProjectInput.from_data(self.validated_data)


class ProjectCreateSerializer(ProjectUpdateSerializer):
    code = StrictCharField(max_length=20, help_text="Letters, digits, hyphens; stored upper-case.")


class ProjectStatusSerializer(serializers.Serializer):
    status = serializers.ChoiceField(choices=pm.ProjectStatus.choices)
    accepted_on = serializers.DateField(
        required=False, allow_null=True, help_text="Required to accept: the acceptance day (not in the future)."
    )


class MilestoneUpdateSerializer(serializers.Serializer):
    position = serializers.IntegerField(min_value=1, max_value=MAX_SMALL, help_text="Unique within the project.")
    title = StrictCharField(max_length=200)
    due_on = serializers.DateField()
    weight = serializers.IntegerField(min_value=1, max_value=MAX_SMALL, default=1)
    progress = serializers.IntegerField(
        min_value=0, max_value=100, default=0, help_text="%; completed_on is set at 100 and cleared below."
    )

    def to_input(self) -> MilestoneInput:
        """The validated fields as the service's input (``project`` aside: it names where it goes)."""
        return MilestoneInput.from_data({k: v for k, v in self.validated_data.items() if k != "project"})


class MilestoneCreateSerializer(MilestoneUpdateSerializer):
    project = serializers.SlugRelatedField(
        slug_field="code", queryset=pm.JointProject.objects.all(), help_text="Project code."
    )
    position = serializers.IntegerField(
        min_value=1, max_value=MAX_SMALL, required=False, help_text="Unique within the project; default last."
    )
