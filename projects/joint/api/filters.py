"""FilterSets of the joint-projects API."""

from __future__ import annotations

import django_filters as df

from projects import models as pm


class JointProjectFilterSet(df.FilterSet):
    batch = df.NumberFilter(field_name="batch__number", help_text="Batch number.")
    chain = df.CharFilter(field_name="chain__slug", help_text="Chain slug.")
    lead_region = df.CharFilter(field_name="lead_region__code", help_text="Region code.")
    status = df.ChoiceFilter(choices=pm.ProjectStatus.choices)
    bottleneck = df.CharFilter(field_name="bottlenecks__code", help_text="Bottleneck code.", distinct=True)

    class Meta:
        model = pm.JointProject
        fields = ["batch", "chain", "lead_region", "status", "bottleneck"]


class MilestoneFilterSet(df.FilterSet):
    project = df.CharFilter(field_name="project__code", help_text="Project code.")

    class Meta:
        model = pm.Milestone
        fields = ["project"]


class BatchFilterSet(df.FilterSet):
    number = df.NumberFilter(field_name="number", help_text="Batch number.")

    class Meta:
        model = pm.Batch
        fields = ["number"]
