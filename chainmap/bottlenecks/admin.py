"""Admin of bottlenecks."""

from __future__ import annotations

from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

from chainmap import models as m
from chainmap.core.admin import ReadOnlyTimestamps, ThroughServicesOnly


@admin.register(m.Bottleneck)
class BottleneckAdmin(ThroughServicesOnly, ReadOnlyTimestamps, SimpleHistoryAdmin):
    list_display = ("code", "title", "chain", "raised_by", "severity", "mechanism", "status", "target_date")
    list_filter = ("chain", "status", "mechanism", "severity", "raised_by")
    search_fields = ("code", "title", "description")
    list_select_related = ("chain", "raised_by")
    autocomplete_fields = ("nodes",)
    exclude = ("tokens",)
