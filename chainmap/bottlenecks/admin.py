"""Admin of bottlenecks."""

from __future__ import annotations

from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

from chainmap import models as m
from chainmap.accounts import admin as admin_accounts  # noqa: F401  (re-registers User with the deactivate action)
from chainmap.core.admin import ReadOnlyTimestamps, ThroughServicesOnly
from chainmap.diagrams import admin as admin_diagrams  # noqa: F401  (registers Diagram)


@admin.register(m.Bottleneck)
class BottleneckAdmin(ThroughServicesOnly, ReadOnlyTimestamps, SimpleHistoryAdmin):
    list_display = ("code", "title", "chain", "raised_by", "severity", "mechanism", "status", "target_date")
    list_filter = ("chain", "status", "mechanism", "severity", "raised_by")
    search_fields = ("code", "title", "description")
    list_select_related = ("chain", "raised_by")
    autocomplete_fields = ("nodes",)
    exclude = ("tokens",)
