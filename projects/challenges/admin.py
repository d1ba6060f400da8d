"""Admin of challenges and their applications."""

from __future__ import annotations

from django.contrib import admin

from projects import models as pm


class PhaseInline(admin.TabularInline):
    model = pm.ChallengePhase
    extra = 0


@admin.register(pm.Challenge)
class ChallengeAdmin(admin.ModelAdmin):
    list_display = ("code", "title", "mechanism", "bottleneck", "status", "published_on", "deadline")
    list_filter = ("mechanism", "status")
    search_fields = ("code", "title", "bottleneck__code")
    list_select_related = ("bottleneck",)
    autocomplete_fields = ("bottleneck",)
    inlines = [PhaseInline]


class ScoreInline(admin.TabularInline):
    model = pm.ReviewScore
    extra = 0
    raw_id_fields = ("reviewer",)


@admin.register(pm.Application)
class ApplicationAdmin(admin.ModelAdmin):
    list_display = ("challenge", "enterprise", "team_lead", "status")
    list_filter = ("status", "challenge__mechanism")
    search_fields = ("enterprise__name", "challenge__code", "team_lead")
    list_select_related = ("challenge", "enterprise")
    autocomplete_fields = ("enterprise", "consortium")
    inlines = [ScoreInline]
