"""FilterSet of the bottleneck list."""

from __future__ import annotations

import django_filters as df

from chainmap import models as m


class BottleneckFilterSet(df.FilterSet):
    chain = df.CharFilter(field_name="chain__slug", help_text="Chain slug.")
    status = df.ChoiceFilter(choices=m.BottleneckStatus.choices)
    mechanism = df.ChoiceFilter(choices=m.Mechanism.choices)
    raised_by = df.CharFilter(field_name="raised_by__code", help_text="Region code.")
    node = df.CharFilter(field_name="nodes__code", help_text="Node code.", distinct=True)
    severity = df.ChoiceFilter(choices=m.Bottleneck.Severity.choices)

    class Meta:
        model = m.Bottleneck
        fields = ["chain", "status", "mechanism", "raised_by", "node", "severity"]
