"""Export one kind of data to an XLSX or CSV file in the import format."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser

from chainmap.imports.services import exports
from chainmap.models import Chain, ImportKind


class Command(BaseCommand):
    help = "Export chain nodes, edges, enterprises, placements or bottlenecks (format from the file's extension)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--kind", required=True, choices=ImportKind.values)
        parser.add_argument("--chain", help="Chain slug or code (required for nodes, edges, bottlenecks).")
        parser.add_argument("--file", required=True, help="Output path ending in .xlsx or .csv.")
        parser.add_argument("--user", required=True, help="Export as this user (decides which contacts are shown).")
        parser.add_argument("--dry-run", action="store_true", help="Build the export but write no file.")
        parser.add_argument("--reason", help="Ignored (accepted for symmetry with import_data).")

    def handle(self, *args: Any, **options: Any) -> None:
        user = get_user_model().objects.filter(username=options["user"]).first()
        if user is None:
            raise CommandError(f"unknown user {options['user']!r}")
        chain = None
        if options["chain"]:
            chain = (
                Chain.objects.filter(slug=options["chain"]).first()
                or Chain.objects.filter(code=options["chain"].upper()).first()
            )
            if chain is None:
                raise CommandError(f"unknown chain {options['chain']!r}")
        path = Path(options["file"])
        file_format = path.suffix.lstrip(".").lower()
        try:
            file = exports.export_file(kind=options["kind"], user=user, chain=chain, file_format=file_format)
        except (ValidationError, PermissionDenied) as exc:
            messages = exc.messages if isinstance(exc, ValidationError) else [str(exc) or "permission denied"]
            raise CommandError("; ".join(messages)) from None
        if options["dry_run"]:
            self.stdout.write(f"dry run: {len(file.content)} bytes not written")
            return
        path.write_bytes(file.content)
        self.stdout.write(self.style.SUCCESS(f"wrote {path} ({len(file.content)} bytes)"))
