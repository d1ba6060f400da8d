"""FilterSet of the leadership terms."""

from __future__ import annotations

import django_filters as df

from chainmap import models as m


class LeadershipTermFilterSet(df.FilterSet):
    chain = df.CharFilter(field_name="chain__slug", help_text="Chain slug.")
    region = df.CharFilter(field_name="region__code", help_text="Region code.")
    on = df.DateFilter(method="filter_on", help_text="Only the term covering this day.")

    class Meta:
        model = m.LeadershipTerm
        fields = ["chain", "region", "on"]

    def filter_on(self, queryset, name: str, value):
        return queryset.covering(value)
