"""django-filter FilterSets of the map's list endpoints (``?chain=hydrogen&segment=up``): natural keys
where people know them."""

from __future__ import annotations

import django_filters as df

from chainmap import models as m
from chainmap.maps.models.chains import EdgeKind
from chainmap.maps.models.proposals import ProposalStatus


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


class ProposalFilterSet(df.FilterSet):
    chain = df.CharFilter(field_name="chain__slug", help_text="Chain slug.")
    status = df.ChoiceFilter(choices=ProposalStatus.choices)
    routed_to = df.CharFilter(field_name="routed_to__code", help_text="Region code of the reviewing region.")
    author = df.CharFilter(field_name="author__username")

    class Meta:
        model = m.ChangeProposal
        fields = ["chain", "status", "routed_to", "author"]
