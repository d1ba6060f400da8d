"""FilterSets of reports, subscriptions and deliveries."""

from __future__ import annotations

import django_filters as df

from chainmap import models as m
from chainmap.reports.models import ReportStatus


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


class DeliveryFilterSet(df.FilterSet):
    report = df.NumberFilter(field_name="report_id")
    round = df.NumberFilter(field_name="report__round_id")
    status = df.ChoiceFilter(choices=m.Delivery.Status.choices)

    class Meta:
        model = m.Delivery
        fields = ["report", "round", "status"]
