"""Import a spreadsheet from the command line: the same checks, preview and all-or-nothing apply as the page."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser

from chainmap.imports.services import imports
from chainmap.models import Chain, ImportJob, ImportKind


class Command(BaseCommand):
    help = "Import chain nodes, edges, enterprises, placements or bottlenecks from an XLSX or CSV file."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--kind", required=True, choices=ImportKind.values)
        parser.add_argument("--chain", help="Chain slug or code (required for nodes, edges, bottlenecks).")
        parser.add_argument("--file", required=True, help="Path of the XLSX or CSV file.")
        parser.add_argument("--reason", required=True, help="Recorded in the history of every row written.")
        parser.add_argument("--user", required=True, help="Username the changes are recorded under.")
        parser.add_argument("--dry-run", action="store_true", help="Only check and show the preview.")

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
        if not path.is_file():
            raise CommandError(f"no such file: {path}")
        try:
            job = imports.import_job_create(
                user=user,
                kind=options["kind"],
                chain_id=chain.pk if chain else None,
                file_name=path.name,
                content=path.read_bytes(),
                reason=options["reason"],
            )
            if job.status == ImportJob.Status.PENDING:  # large file queued: the command waits for nobody
                job = imports.import_job_validate(job_id=job.pk)
            self._report(job)
            if job.errors:
                raise CommandError(f"{len(job.errors)} error(s): nothing was written")
            if options["dry_run"]:
                self.stdout.write("dry run: nothing was written")
                return
            job = imports.import_job_request_apply(job_id=job.pk, user=user)
            if job.status == ImportJob.Status.APPLYING:
                job = imports.import_job_apply(job_id=job.pk)
        except (ValidationError, PermissionDenied) as exc:
            messages = exc.messages if isinstance(exc, ValidationError) else [str(exc) or "permission denied"]
            raise CommandError("; ".join(messages)) from None
        if job.status != ImportJob.Status.APPLIED:
            self._report(job)
            raise CommandError("the import could not be applied: nothing was written")
        self.stdout.write(self.style.SUCCESS(f"applied import job {job.pk}"))

    def _report(self, job: ImportJob) -> None:
        counts = (job.preview or {}).get("counts", {})
        self.stdout.write(
            "create {create}, update {update}, unchanged {unchanged}, errors {error}".format(
                **{key: counts.get(key, 0) for key in ("create", "update", "unchanged", "error")}
            )
        )
        for error in job.errors:
            self.stderr.write(f"row {error['row'] or '-'} [{error['column'] or '-'}]: {error['message']}")
