"""``manage.py render_diagrams [--chain SLUG] [--cluster SLUG] [--force]``: render now, in this process."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from chainmap.diagrams import services as diagrams
from chainmap.diagrams.services import fonts
from chainmap.models import Chain, Cluster, Diagram, DiagramKind


class Command(BaseCommand):
    help = "Render chain and cluster diagrams (all of them, or one). Unchanged ones are skipped unless --force."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--chain", metavar="SLUG", help="only this chain")
        parser.add_argument("--cluster", metavar="SLUG", help="only this cluster")
        parser.add_argument("--force", action="store_true", help="render even when the DOT source is unchanged")

    def handle(self, *args: Any, **options: Any) -> None:
        warning = fonts.startup_warning()
        if warning:
            self.stderr.write(warning)
        force = bool(options["force"])
        wait = 30.0
        if options["chain"] or options["cluster"]:
            if options["chain"]:
                chain = Chain.objects.filter(slug=options["chain"]).first()
                if chain is None:
                    raise CommandError(f"No chain with slug {options['chain']!r}")
                self._report(
                    f"chain {chain.slug}", diagrams.diagram_render_chain(chain_id=chain.pk, force=force, wait=wait)
                )
                self._show_error(Diagram.objects.filter(kind=DiagramKind.CURRENT, chain=chain))
            if options["cluster"]:
                cluster = Cluster.objects.filter(slug=options["cluster"]).first()
                if cluster is None:
                    raise CommandError(f"No cluster with slug {options['cluster']!r}")
                outcome = diagrams.diagram_render_cluster(cluster_id=cluster.pk, force=force, wait=wait)
                self._report(f"cluster {cluster.slug}", outcome)
                self._show_error(Diagram.objects.filter(kind=DiagramKind.CURRENT, cluster=cluster))
            return
        outcomes = diagrams.diagrams_render_all(force=force)
        summary = ", ".join(f"{name} {count}" for name, count in sorted(outcomes.items())) or "nothing to render"
        self.stdout.write(f"diagrams: {summary}")
        if outcomes.get(diagrams.FAILED):
            for row in Diagram.objects.filter(kind=DiagramKind.CURRENT).exclude(last_error="").only("pk", "last_error"):
                self.stderr.write(f"  {row}: {row.last_error}")

    def _report(self, label: str, outcome: str) -> None:
        self.stdout.write(f"{label}: {outcome}")

    def _show_error(self, queryset: Any) -> None:
        row = queryset.only("pk", "last_error", "chain_id", "cluster_id", "kind", "status").first()
        if row is not None and row.last_error:
            self.stderr.write(f"  last error: {row.last_error}")
