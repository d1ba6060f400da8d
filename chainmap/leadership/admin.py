"""Admin of rotation rules and leadership terms."""

from __future__ import annotations

from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

from chainmap import models as m
from chainmap.core.admin import ReadOnlyTimestamps, ThroughServicesOnly


class RotationRuleInline(admin.StackedInline):
    model = m.RotationRule
    extra = 0


@admin.register(m.RotationRule)
class RotationRuleAdmin(ReadOnlyTimestamps, admin.ModelAdmin):
    list_display = ("chain", "order", "first_term_starts_on", "term_months")


@admin.register(m.LeadershipTerm)
class LeadershipTermAdmin(ThroughServicesOnly, ReadOnlyTimestamps, SimpleHistoryAdmin):
    list_display = ("chain", "region", "starts_on", "ends_on", "handover_sent_at")
    list_filter = ("chain", "region")
    date_hierarchy = "starts_on"
    list_select_related = ("chain", "region")
