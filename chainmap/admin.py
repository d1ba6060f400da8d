"""Django admin for the joint office: every model, with search and filters; history where kept."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

from chainmap import admin_diagrams  # noqa: F401  (registers Diagram)
from chainmap import models as m


class ReadOnlyTimestamps:
    readonly_fields: tuple[str, ...] = ("created_at", "updated_at")


class ThroughServicesOnly:
    """Chain data changes only through the pages, API and imports, which ask for a reason, check the
    version and the chain leader's rights; the admin shows these rows and their history, read-only."""

    def has_add_permission(self, request: Any, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: Any, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: Any, obj: Any = None) -> bool:
        return False


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


class RotationRuleInline(admin.StackedInline):
    model = m.RotationRule
    extra = 0


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


@admin.register(m.RotationRule)
class RotationRuleAdmin(ReadOnlyTimestamps, admin.ModelAdmin):
    list_display = ("chain", "order", "first_term_starts_on", "term_months")


@admin.register(m.LeadershipTerm)
class LeadershipTermAdmin(ThroughServicesOnly, ReadOnlyTimestamps, SimpleHistoryAdmin):
    list_display = ("chain", "region", "starts_on", "ends_on", "handover_sent_at")
    list_filter = ("chain", "region")
    date_hierarchy = "starts_on"
    list_select_related = ("chain", "region")


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


@admin.register(m.Bottleneck)
class BottleneckAdmin(ThroughServicesOnly, ReadOnlyTimestamps, SimpleHistoryAdmin):
    list_display = ("code", "title", "chain", "raised_by", "severity", "mechanism", "status", "target_date")
    list_filter = ("chain", "status", "mechanism", "severity", "raised_by")
    search_fields = ("code", "title", "description")
    list_select_related = ("chain", "raised_by")
    autocomplete_fields = ("nodes",)
    exclude = ("tokens",)


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


class DeliveryInline(admin.TabularInline):
    model = m.Delivery
    extra = 0
    readonly_fields = ("email", "status", "attempts", "sent_at", "last_error")
    can_delete = False


@admin.register(m.Report)
class ReportAdmin(ReadOnlyTimestamps, admin.ModelAdmin):
    list_display = ("round", "status", "built_at")
    list_filter = ("status",)
    exclude = ("snapshot", "html")
    inlines = [DeliveryInline]


@admin.register(m.Subscription)
class SubscriptionAdmin(ReadOnlyTimestamps, admin.ModelAdmin):
    list_display = ("user", "language", "is_active")
    list_filter = ("language", "is_active")
    search_fields = ("user__username", "user__email")
    filter_horizontal = ("chains", "clusters", "regions")


@admin.register(m.Delivery)
class DeliveryAdmin(ReadOnlyTimestamps, admin.ModelAdmin):
    list_display = ("report", "email", "status", "attempts", "sent_at")
    list_filter = ("status",)
    search_fields = ("email",)
    list_select_related = ("report__round",)


@admin.register(m.Membership)
class MembershipAdmin(ReadOnlyTimestamps, admin.ModelAdmin):
    list_display = ("user", "role", "region", "enterprise", "liaison_level")
    list_filter = ("role", "region", "liaison_level")
    search_fields = ("user__username", "user__first_name", "user__last_name", "enterprise__name")
    list_select_related = ("user", "region", "enterprise")
    autocomplete_fields = ("enterprise",)


from chainmap import admin_accounts  # noqa: E402, F401  (re-registers User with the deactivate action)


@admin.register(m.ImportJob)
class ImportJobAdmin(ReadOnlyTimestamps, admin.ModelAdmin):
    """Read-only record of spreadsheet imports: applying one goes through the import page, never here."""

    list_display = ("created_at", "uploader", "kind", "chain", "file_name", "status", "progress_total")
    list_filter = ("kind", "status", "chain")
    search_fields = ("file_name", "reason", "uploader__username")
    list_select_related = ("uploader", "chain")
    exclude = ("content",)
    readonly_fields = (
        "created_at",
        "updated_at",
        "uploader",
        "kind",
        "chain",
        "file_name",
        "file_format",
        "reason",
        "status",
        "progress_done",
        "progress_total",
        "preview",
        "errors",
        "applied_at",
    )

    def has_add_permission(self, request) -> bool:  # type: ignore[no-untyped-def]
        return False

    def has_change_permission(self, request, obj=None) -> bool:  # type: ignore[no-untyped-def]
        return False
