"""Admin of import jobs."""

from __future__ import annotations

from django.contrib import admin
from django.http import HttpRequest

from chainmap import models as m
from chainmap.core.admin import ReadOnlyTimestamps


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

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: m.ImportJob | None = None) -> bool:
        return False
