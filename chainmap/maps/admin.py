"""Admin of regions, chains, clusters, nodes, edges, assessments and proposals."""

from __future__ import annotations

from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

from chainmap import models as m
from chainmap.core.admin import ReadOnlyTimestamps, ThroughServicesOnly
from chainmap.leadership.admin import RotationRuleInline


class SubRegionInline(admin.TabularInline):
    model = m.SubRegion
    extra = 0


@admin.register(m.Region)
class RegionAdmin(admin.ModelAdmin):
    list_display = ("code", "name", "name_en", "stage", "role")
    search_fields = ("code", "name", "name_en")
    inlines = [SubRegionInline]


@admin.register(m.SubRegion)
class SubRegionAdmin(admin.ModelAdmin):
    list_display = ("name", "region", "kind")
    list_filter = ("region", "kind")
    search_fields = ("name",)


@admin.register(m.Chain)
class ChainAdmin(ReadOnlyTimestamps, admin.ModelAdmin):
    list_display = ("code", "name", "name_en", "slug", "position")
    search_fields = ("code", "name", "name_en", "slug")
    prepopulated_fields = {"slug": ("name_en",)}
    inlines = [RotationRuleInline]


@admin.register(m.Cluster)
class ClusterAdmin(ReadOnlyTimestamps, admin.ModelAdmin):
    list_display = ("code", "name", "tier", "position")
    search_fields = ("code", "name", "name_en")
    filter_horizontal = ("chains",)


class AssessmentInline(admin.TabularInline):
    model = m.NodeAssessment
    extra = 0


@admin.register(m.Node)
class NodeAdmin(ThroughServicesOnly, ReadOnlyTimestamps, SimpleHistoryAdmin):
    list_display = ("code", "name", "chain", "segment", "parent", "version")
    list_filter = ("chain", "segment")
    search_fields = ("code", "name", "key_technologies")
    list_select_related = ("chain", "parent")
    autocomplete_fields = ("parent",)
    inlines = [AssessmentInline]


@admin.register(m.NodeAssessment)
class NodeAssessmentAdmin(ReadOnlyTimestamps, SimpleHistoryAdmin):
    list_display = ("node", "region", "level")
    list_filter = ("region", "level", "node__chain")
    search_fields = ("node__code", "node__name")
    list_select_related = ("node", "region")
    autocomplete_fields = ("node",)


@admin.register(m.Edge)
class EdgeAdmin(ThroughServicesOnly, ReadOnlyTimestamps, SimpleHistoryAdmin):
    list_display = ("chain", "source", "target", "kind")
    list_filter = ("chain", "kind")
    search_fields = ("source__code", "source__name", "target__code", "target__name")
    list_select_related = ("chain", "source", "target")
    autocomplete_fields = ("source", "target")


class ProposalItemInline(admin.TabularInline):
    model = m.ProposalItem
    extra = 0
    raw_id_fields = ("node", "edge", "placement")


@admin.register(m.ChangeProposal)
class ChangeProposalAdmin(ThroughServicesOnly, ReadOnlyTimestamps, admin.ModelAdmin):
    list_display = ("title", "chain", "author", "routed_to", "status", "created_at")
    list_filter = ("status", "chain", "routed_to")
    search_fields = ("title", "reason")
    list_select_related = ("chain", "author", "routed_to")
    raw_id_fields = ("author", "reviewer", "reverts")
    inlines = [ProposalItemInline]
