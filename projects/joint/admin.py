"""Admin of batches, joint projects, participants and milestones."""

from __future__ import annotations

from django.contrib import admin

from projects import models as pm


@admin.register(pm.Batch)
class BatchAdmin(admin.ModelAdmin):
    list_display = ("number", "name", "launched_on")


class ParticipantInline(admin.TabularInline):
    model = pm.Participant
    extra = 0
    autocomplete_fields = ("enterprise",)


class MilestoneInline(admin.TabularInline):
    model = pm.Milestone
    extra = 0


@admin.register(pm.JointProject)
class JointProjectAdmin(admin.ModelAdmin):
    list_display = ("code", "title", "batch", "chain", "lead_unit", "lead_region", "budget", "status")
    list_filter = ("batch", "status", "chain", "lead_region")
    search_fields = ("code", "title", "lead_unit")
    list_select_related = ("batch", "chain", "lead_region")
    autocomplete_fields = ("bottlenecks",)
    inlines = [ParticipantInline, MilestoneInline]


@admin.register(pm.Milestone)
class MilestoneAdmin(admin.ModelAdmin):
    list_display = ("project", "position", "title", "due_on", "progress", "completed_on")
    list_filter = ("project__batch",)
    search_fields = ("title", "project__title")


@admin.register(pm.Participant)
class ParticipantAdmin(admin.ModelAdmin):
    list_display = ("unit_name", "project", "region", "role")
    list_filter = ("region", "role")
    search_fields = ("unit_name", "project__title")
