"""``manage.py run_round 2026-11 [--kind chain_month|cluster_quarter] [--send] [--rebuild]``.

Ensures the period's round (from the calendar), matches it unless it is matched already, builds its
report unless it is ready, prints a summary; ``--send`` mails it to the subscribers through the
outbox (in this process when no broker is configured, otherwise by the workers)."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from chainmap.models import Delivery, RoundKind
from chainmap.reports.services import runs

PERIOD = re.compile(r"^(\d{4})-(\d{2})$")
QUARTER_MONTHS = (1, 4, 7, 10)


class Command(BaseCommand):
    help = "Run a period's matching round and build its report (--send to mail it)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("period", help="the period, YYYY-MM (a cluster quarter starts in 01, 04, 07 or 10)")
        parser.add_argument("--kind", choices=RoundKind.values, default=RoundKind.CHAIN_MONTH)
        parser.add_argument("--send", action="store_true", help="mail the report to its subscribers")
        parser.add_argument(
            "--rebuild", action="store_true", help="match again and rebuild the report from current data"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        match = PERIOD.match(options["period"])
        if match is None:
            raise CommandError("period must be YYYY-MM, e.g. 2026-11")
        try:
            period = dt.date(int(match[1]), int(match[2]), 1)
        except ValueError:
            raise CommandError("period must be YYYY-MM with a month from 01 to 12") from None
        kind = options["kind"]
        if kind == RoundKind.CLUSTER_QUARTER and period.month not in QUARTER_MONTHS:
            raise CommandError("a cluster quarter starts in January, April, July or October (YYYY-01/04/07/10)")
        run = runs.report_round_run(kind=kind, period=period, send=options["send"], rebuild=options["rebuild"])
        self.stdout.write(f"round {run.round_id}: {run.period:%Y-%m} {run.subject} ({run.status})")
        for note in run.notes:
            self.stdout.write(f"  note: {note}")
        if run.busy:
            raise CommandError("another worker is matching this round right now; run the command again later")
        self.stdout.write(f"  matches: {run.matches}" + ("" if run.matched is None else " (matched now)"))
        report = run.report
        if report is None or report.status != report.Status.READY:
            error = report.error if report is not None else ""
            raise CommandError(f"the report was not built: {error or 'see the log'}")
        self.stdout.write(f"  report: {report.status}, built {report.built_at:%Y-%m-%d %H:%M}")
        self.stdout.write(f"  PDF:  {report.pdf.path}")
        self.stdout.write(f"  XLSX: {report.xlsx.path}")
        if options["send"]:
            counts = {
                status: Delivery.objects.filter(report=report, status=status).count()
                for status in Delivery.Status.values
            }
            from config.celery import app

            mode = "sent in this process" if app.conf.task_always_eager else "queued for the workers"
            self.stdout.write(
                f"  deliveries: {run.deliveries_created} new ({mode}); "
                + ", ".join(f"{status} {count}" for status, count in counts.items())
            )
