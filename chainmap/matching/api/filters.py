"""FilterSets of rounds, matches and calendar entries."""

from __future__ import annotations

import django_filters as df

from chainmap import models as m


class MatchingRoundFilterSet(df.FilterSet):
    kind = df.ChoiceFilter(choices=m.RoundKind.choices)
    status = df.ChoiceFilter(choices=m.RoundStatus.choices)
    chain = df.CharFilter(field_name="chain__slug", help_text="Chain slug.")
    cluster = df.CharFilter(field_name="cluster__slug", help_text="Cluster slug.")

    class Meta:
        model = m.MatchingRound
        fields = ["kind", "status", "chain", "cluster"]


class MatchFilterSet(df.FilterSet):
    round = df.NumberFilter(field_name="round_id")
    bottleneck = df.CharFilter(field_name="bottleneck__code", help_text="Bottleneck code.")
    need = df.NumberFilter(field_name="need_id")
    enterprise = df.NumberFilter(field_name="enterprise_id")
    outcome = df.ChoiceFilter(choices=m.Outcome.choices)

    class Meta:
        model = m.Match
        fields = ["round", "bottleneck", "need", "enterprise", "outcome"]


class CalendarEntryFilterSet(df.FilterSet):
    kind = df.ChoiceFilter(choices=m.RoundKind.choices)
    year = df.NumberFilter(
        field_name="period__year", min_value=2000, max_value=2100, help_text="Calendar year, e.g. 2026."
    )

    class Meta:
        model = m.CalendarEntry
        fields = ["kind", "year"]
