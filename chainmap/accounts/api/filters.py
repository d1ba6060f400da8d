"""FilterSet of the user list."""

from __future__ import annotations

import django_filters as df
from django.contrib.auth import get_user_model
from django.db.models import Q

from chainmap import models as m


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
