"""Admin of enterprises, placements and capability profiles."""

from __future__ import annotations

from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

from chainmap import models as m
from chainmap.core.admin import ReadOnlyTimestamps, ThroughServicesOnly


class PlacementInline(admin.TabularInline):
    model = m.Placement
    extra = 0
    autocomplete_fields = ("node",)
    fields = ("node", "role", "status", "evidence")
    fk_name = "enterprise"


@admin.register(m.Enterprise)
class EnterpriseAdmin(ReadOnlyTimestamps, SimpleHistoryAdmin):
    list_display = ("name", "credit_code", "region", "subregion", "size", "is_little_giant", "is_synthetic")
    list_filter = (
        "region",
        "size",
        "is_high_tech",
        "is_tech_sme",
        "is_specialized",
        "is_little_giant",
        "is_single_champion",
        "is_listed",
        "is_synthetic",
    )
    search_fields = ("name", "credit_code")
    list_select_related = ("region", "subregion")
    show_full_result_count = False  # 200,000+ rows: skip the second COUNT(*)
    inlines = [PlacementInline]


@admin.register(m.Placement)
class PlacementAdmin(ThroughServicesOnly, ReadOnlyTimestamps, SimpleHistoryAdmin):
    list_display = ("enterprise", "node", "role", "status")
    list_filter = ("status", "role", "node__chain")
    search_fields = ("enterprise__name", "enterprise__credit_code", "node__code", "node__name")
    list_select_related = ("enterprise", "node")
    autocomplete_fields = ("enterprise", "node")
    show_full_result_count = False


class OfferInline(admin.TabularInline):
    model = m.SupplyOffer
    extra = 0
    autocomplete_fields = ("node",)
    exclude = ("tokens",)


class NeedInline(admin.TabularInline):
    model = m.TechnologyNeed
    extra = 0
    autocomplete_fields = ("node",)
    exclude = ("tokens",)


@admin.register(m.CapabilityProfile)
class CapabilityProfileAdmin(ReadOnlyTimestamps, admin.ModelAdmin):
    list_display = ("enterprise", "version", "status", "trl", "submitted_at", "reviewed_at")
    list_filter = ("status", "trl", "enterprise__region")
    search_fields = ("enterprise__name", "enterprise__credit_code", "products", "core_technologies")
    list_select_related = ("enterprise",)
    autocomplete_fields = ("enterprise",)
    exclude = ("tokens",)
    inlines = [OfferInline, NeedInline]
    show_full_result_count = False


@admin.register(m.SupplyOffer)
class SupplyOfferAdmin(ReadOnlyTimestamps, admin.ModelAdmin):
    list_display = ("title", "profile", "node")
    list_filter = ("node__chain",)
    search_fields = ("title", "description", "profile__enterprise__name")
    list_select_related = ("profile__enterprise", "node")
    raw_id_fields = ("profile",)
    autocomplete_fields = ("node",)
    exclude = ("tokens",)
    show_full_result_count = False


@admin.register(m.TechnologyNeed)
class TechnologyNeedAdmin(ReadOnlyTimestamps, admin.ModelAdmin):
    list_display = ("title", "profile", "node", "status", "is_bottleneck")
    list_filter = ("status", "is_bottleneck", "node__chain")
    search_fields = ("title", "description", "profile__enterprise__name")
    list_select_related = ("profile__enterprise", "node")
    raw_id_fields = ("profile",)
    autocomplete_fields = ("node",)
    exclude = ("tokens",)
    show_full_result_count = False
