"""FilterSets of the projects API."""

from __future__ import annotations

import django_filters as df

from projects import models as pm


class ChallengeFilterSet(df.FilterSet):
    bottleneck = df.CharFilter(field_name="bottleneck__code", help_text="Bottleneck code.")
    chain = df.CharFilter(field_name="bottleneck__chain__slug", help_text="Chain slug.")
    mechanism = df.ChoiceFilter(choices=pm.ChallengeMechanism.choices)
    status = df.ChoiceFilter(choices=pm.ChallengeStatus.choices)

    class Meta:
        model = pm.Challenge
        fields = ["bottleneck", "chain", "mechanism", "status"]


class ApplicationFilterSet(df.FilterSet):
    challenge = df.CharFilter(field_name="challenge__code", help_text="Challenge code.")
    enterprise = df.NumberFilter(field_name="enterprise_id")
    status = df.ChoiceFilter(choices=pm.ApplicationStatus.choices)

    class Meta:
        model = pm.Application
        fields = ["challenge", "enterprise", "status"]
