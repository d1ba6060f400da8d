"""FilterSets of the enterprise, placement and profile lists."""

from __future__ import annotations

import django_filters as df

from chainmap import models as m
from chainmap.enterprises.forms.enterprises import CreditCodeField
from chainmap.enterprises.models.enterprises import PlacementRole, PlacementStatus


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
