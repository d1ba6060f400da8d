"""Admin of reports, subscriptions and deliveries."""

from __future__ import annotations

from django.contrib import admin

from chainmap import models as m
from chainmap.core.admin import ReadOnlyTimestamps


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
