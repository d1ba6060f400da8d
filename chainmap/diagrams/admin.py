"""Admin for stored diagrams: status, hashes and errors; the pictures stay out of the form."""

from __future__ import annotations

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from chainmap.diagrams import services as diagrams
from chainmap.models import Diagram, DiagramKind


@admin.register(Diagram)
class DiagramAdmin(admin.ModelAdmin):
    list_display = ("__str__", "chain", "cluster", "kind", "status", "engine", "node_count", "rendered_at", "renders")
    list_filter = ("kind", "status", "engine")
    list_select_related = ("chain", "cluster")
    search_fields = ("chain__name", "cluster__name", "sha256")
    exclude = ("png", "pdf", "svg", "dot_source")
    readonly_fields = [
        field.name
        for field in Diagram._meta.get_fields()
        if field.concrete and field.name not in ("png", "pdf", "svg", "dot_source")
    ]
    actions = ["render_now"]

    def get_queryset(self, request: HttpRequest) -> QuerySet[Diagram]:
        return super().get_queryset(request).defer("png", "pdf", "svg", "dot_source")

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    @admin.action(description=_("Render the selected diagrams now"))
    def render_now(self, request: HttpRequest, queryset: QuerySet[Diagram]) -> None:
        outcomes: dict[str, int] = {}
        for diagram in queryset:
            if diagram.kind == DiagramKind.DIFF:
                outcome = diagrams.diagram_render_diff(diagram_id=diagram.pk, force=True)
            elif diagram.chain_id is not None:
                outcome = diagrams.diagram_render_chain(chain_id=diagram.chain_id, force=True)
            else:
                assert diagram.cluster_id is not None  # chainmap_diagram_one_subject: no chain, so a cluster
                outcome = diagrams.diagram_render_cluster(cluster_id=diagram.cluster_id, force=True)
            outcomes[outcome] = outcomes.get(outcome, 0) + 1
        summary = ", ".join(f"{name}: {count}" for name, count in sorted(outcomes.items()))
        self.message_user(request, summary, messages.INFO)
