"""Admin of calendars, rounds and matches."""

from __future__ import annotations

from django.contrib import admin

from chainmap import models as m
from chainmap.core.admin import ReadOnlyTimestamps


@admin.register(m.CalendarEntry)
class CalendarEntryAdmin(ReadOnlyTimestamps, admin.ModelAdmin):
    list_display = ("period", "kind", "chain", "cluster")
    list_filter = ("kind", "chain", "cluster")
    date_hierarchy = "period"


@admin.register(m.MatchingRound)
class MatchingRoundAdmin(ReadOnlyTimestamps, admin.ModelAdmin):
    list_display = ("period", "kind", "chain", "cluster", "status")
    list_filter = ("kind", "status")
    date_hierarchy = "period"
    exclude = ("matching_since",)


@admin.register(m.Match)
class MatchAdmin(ReadOnlyTimestamps, admin.ModelAdmin):
    list_display = ("round", "rank", "enterprise", "bottleneck", "need", "score", "outcome")
    list_filter = ("outcome", "round")
    search_fields = ("enterprise__name", "bottleneck__code", "need__title")
    list_select_related = ("round", "enterprise", "bottleneck", "need")
    raw_id_fields = ("round", "bottleneck", "need", "profile", "offer", "enterprise", "outcome_by")
