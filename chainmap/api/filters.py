"""django-filter FilterSets of the list endpoints (``?chain=hydrogen&segment=up``). Natural keys where
people know them (chain slug, region code, node code), ids otherwise."""

from __future__ import annotations

import django_filters as df
from django.contrib.auth import get_user_model
from django.db.models import Q

from chainmap import models as m
from chainmap.forms_enterprises import CreditCodeField
from chainmap.models.chains import EdgeKind
from chainmap.models.enterprises import PlacementRole, PlacementStatus
from chainmap.models.proposals import ProposalStatus
from chainmap.models.reports import ReportStatus


class RegionFilterSet(df.FilterSet):
    class Meta:
        model = m.Region
        fields = ["code", "stage"]


class ChainFilterSet(df.FilterSet):
    cluster = df.CharFilter(field_name="clusters__slug", help_text="Cluster slug.")

    class Meta:
        model = m.Chain
        fields = ["code"]


class ClusterFilterSet(df.FilterSet):
    class Meta:
        model = m.Cluster
        fields = ["code", "tier"]


class NodeFilterSet(df.FilterSet):
    chain = df.CharFilter(field_name="chain__slug", help_text="Chain slug.")
    segment = df.ChoiceFilter(choices=m.Segment.choices)
    parent = df.CharFilter(field_name="parent__code", help_text="Parent node code.")
    code = df.CharFilter(field_name="code", lookup_expr="iexact")
    q = df.CharFilter(field_name="name", lookup_expr="icontains", help_text="Part of the name.")

    class Meta:
        model = m.Node
        fields = ["chain", "segment", "parent", "code", "q"]


class EdgeFilterSet(df.FilterSet):
    chain = df.CharFilter(field_name="chain__slug", help_text="Chain slug.")
    source = df.CharFilter(field_name="source__code", help_text="Source node code.")
    target = df.CharFilter(field_name="target__code", help_text="Target node code.")
    kind = df.ChoiceFilter(choices=EdgeKind.choices)

    class Meta:
        model = m.Edge
        fields = ["chain", "source", "target", "kind"]


class CreditCodeFilter(df.CharFilter):
    field_class = CreditCodeField  # normalized, then validated: a malformed code is a 400, not an empty list


class EnterpriseFilterSet(df.FilterSet):
    region = df.CharFilter(field_name="region__code", help_text="Region code (BJ, TJ, HE).")
    size = df.ChoiceFilter(choices=m.Enterprise.Size.choices)
    credit_code = CreditCodeFilter(field_name="credit_code", help_text="A malformed code answers 400 saying why.")
    q = df.CharFilter(field_name="name", lookup_expr="icontains", help_text="Part of the name.")
    chain = df.CharFilter(method="filter_chain", help_text="Chain slug: enterprises placed on it.")

    class Meta:
        model = m.Enterprise
        fields = [
            "region",
            "size",
            "credit_code",
            "q",
            "is_high_tech",
            "is_tech_sme",
            "is_specialized",
            "is_little_giant",
            "is_single_champion",
            "is_listed",
        ]

    def filter_chain(self, queryset, name: str, value: str):
        chain_id = m.Chain.objects.filter(slug=value).values_list("pk", flat=True).first()
        return queryset.on_chain(chain_id) if chain_id is not None else queryset.none()


class PlacementFilterSet(df.FilterSet):
    chain = df.CharFilter(field_name="node__chain__slug", help_text="Chain slug.")
    node = df.CharFilter(field_name="node__code", help_text="Node code.")
    enterprise = df.NumberFilter(field_name="enterprise_id")
    status = df.ChoiceFilter(choices=PlacementStatus.choices)
    role = df.ChoiceFilter(choices=PlacementRole.choices)

    class Meta:
        model = m.Placement
        fields = ["chain", "node", "enterprise", "status", "role"]


class ProfileFilterSet(df.FilterSet):
    enterprise = df.NumberFilter(field_name="enterprise_id")
    status = df.ChoiceFilter(choices=m.ProfileStatus.choices)

    class Meta:
        model = m.CapabilityProfile
        fields = ["enterprise", "status"]


class LeadershipTermFilterSet(df.FilterSet):
    chain = df.CharFilter(field_name="chain__slug", help_text="Chain slug.")
    region = df.CharFilter(field_name="region__code", help_text="Region code.")
    on = df.DateFilter(method="filter_on", help_text="Only the term covering this day.")

    class Meta:
        model = m.LeadershipTerm
        fields = ["chain", "region", "on"]

    def filter_on(self, queryset, name: str, value):
        return queryset.covering(value)


class ProposalFilterSet(df.FilterSet):
    chain = df.CharFilter(field_name="chain__slug", help_text="Chain slug.")
    status = df.ChoiceFilter(choices=ProposalStatus.choices)
    routed_to = df.CharFilter(field_name="routed_to__code", help_text="Region code of the reviewing region.")
    author = df.CharFilter(field_name="author__username")

    class Meta:
        model = m.ChangeProposal
        fields = ["chain", "status", "routed_to", "author"]


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


class ReportFilterSet(df.FilterSet):
    round = df.NumberFilter(field_name="round_id")
    status = df.ChoiceFilter(choices=ReportStatus.choices)

    class Meta:
        model = m.Report
        fields = ["round", "status"]


class SubscriptionFilterSet(df.FilterSet):
    is_active = df.BooleanFilter()

    class Meta:
        model = m.Subscription
        fields = ["is_active"]


class CalendarEntryFilterSet(df.FilterSet):
    kind = df.ChoiceFilter(choices=m.RoundKind.choices)
    year = df.NumberFilter(
        field_name="period__year", min_value=2000, max_value=2100, help_text="Calendar year, e.g. 2026."
    )

    class Meta:
        model = m.CalendarEntry
        fields = ["kind", "year"]


class DeliveryFilterSet(df.FilterSet):
    report = df.NumberFilter(field_name="report_id")
    round = df.NumberFilter(field_name="report__round_id")
    status = df.ChoiceFilter(choices=m.Delivery.Status.choices)

    class Meta:
        model = m.Delivery
        fields = ["report", "round", "status"]


class UserFilterSet(df.FilterSet):
    active = df.BooleanFilter(field_name="is_active")
    role = df.ChoiceFilter(choices=m.Role.choices, method="filter_role")
    region = df.CharFilter(field_name="membership__region__code", help_text="Region code of region officials.")
    q = df.CharFilter(field_name="username", lookup_expr="icontains", help_text="Part of the username.")

    class Meta:
        model = get_user_model()
        fields = ["active", "role", "region", "q"]

    def filter_role(self, queryset, name: str, value: str):
        if value == m.Role.JOINT_OFFICE:
            return queryset.filter(Q(membership__role=value) | Q(is_superuser=True))
        return queryset.filter(membership__role=value, is_superuser=False)
