"""API representations of leadership terms and their inputs."""

from __future__ import annotations

from rest_framework import serializers

from chainmap import models as m
from chainmap.core.api.fields import StrictCharField, StrictModelSerializer, calendar_date, reason_field
from chainmap.leadership.services.calendar import RuleInput, TermInput

# --- leadership and proposals --------------------------------------------------------------------


class LeadershipTermSerializer(StrictModelSerializer):
    chain: serializers.SlugRelatedField[m.Chain] = serializers.SlugRelatedField(read_only=True, slug_field="slug")
    region: serializers.SlugRelatedField[m.Region] = serializers.SlugRelatedField(read_only=True, slug_field="code")

    class Meta:
        model = m.LeadershipTerm
        fields = ["id", "chain", "region", "starts_on", "ends_on", "opened_at", "closed_at"]


# --- leadership calendar, matching calendars -----------------------------------------------------


class LeadershipTermUpdateSerializer(serializers.Serializer):
    region = serializers.SlugRelatedField(
        slug_field="code", queryset=m.Region.objects.all(), help_text="Code of the leading region."
    )
    starts_on = calendar_date()
    ends_on = calendar_date()
    reason = reason_field()

    def to_input(self) -> TermInput:
        """The given fields as the service's input (the same the term form produces)."""
        return TermInput.from_data({key: value for key, value in self.validated_data.items() if key != "reason"})


class TermsRegenerateSerializer(serializers.Serializer):
    chain = serializers.SlugRelatedField(slug_field="slug", queryset=m.Chain.objects.all())
    starts_on = calendar_date(help_text="First day of the new rule (today or later).")
    order = serializers.ListField(
        child=StrictCharField(max_length=4),
        min_length=1,
        max_length=10,
        help_text='Region codes in rotation order, e.g. ["BJ", "TJ", "HE"].',
    )
    term_months = serializers.IntegerField(min_value=1, max_value=24)
    reason = reason_field()

    def to_input(self) -> RuleInput:
        """The new rule as the service's input (the same the regenerate form produces)."""
        data = self.validated_data
        return RuleInput(starts_on=data["starts_on"], order=tuple(data["order"]), term_months=data["term_months"])
