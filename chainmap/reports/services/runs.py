"""The scheduled 一月一链 / 一季一群 job, end to end: the period's round, its matching, its report
and its deliveries, each step idempotent (the monthly task and ``manage.py run_round`` call it)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from django.core.exceptions import ValidationError

from chainmap.matching.services import rounds
from chainmap.matching.services.calendars import calendar_generate_year
from chainmap.models import Match, MatchingRound, Report, RoundStatus
from chainmap.reports.models import ReportStatus
from chainmap.reports.services import deliveries, reports


@dataclass
class RoundRun:
    """What ``report_round_run`` did, for the task's log line and the command's summary."""

    round_id: int
    period: dt.date
    subject: str
    status: str
    matched: int | None = None  # matches written by this run (None: not matched by this run)
    matches: int = 0
    report: Report | None = None
    deliveries_created: int | None = None
    busy: bool = False
    notes: list[str] = field(default_factory=list)

    def summary(self) -> str:
        report = self.report.status if self.report is not None else "-"
        created = "-" if self.deliveries_created is None else str(self.deliveries_created)
        return (
            f"round {self.round_id} {self.period:%Y-%m} {self.subject}: {self.status}, {self.matches} matches, "
            f"report {report}, deliveries created {created}{' (busy)' if self.busy else ''}"
        )


def report_round_run(*, kind: str, period: dt.date, send: bool, rebuild: bool = False) -> RoundRun:
    """Ensure the period's round (from the calendar, filled round-robin if empty), match it unless it
    is matched already (``rebuild``: match again and refresh the snapshot), build its report unless it
    is ready, and with ``send`` put its deliveries in the outbox. Each step is idempotent."""
    try:
        matching_round = rounds.round_ensure(kind=kind, period=period)
    except ValidationError:
        calendar_generate_year(year=period.year)
        matching_round = rounds.round_ensure(kind=kind, period=period)
    run = RoundRun(
        round_id=matching_round.pk,
        period=matching_round.period,
        subject=str(matching_round.chain or matching_round.cluster),
        status=matching_round.status,
    )
    must_match = matching_round.status in (RoundStatus.PLANNED, RoundStatus.OPEN) or (
        rebuild and matching_round.status == RoundStatus.MATCHED
    )
    if must_match:
        try:
            run.matched = rounds.round_match(round_id=matching_round.pk, user=None)
        except ValidationError as exc:
            run.notes.extend(exc.messages)
        else:
            if run.matched is None:
                run.busy = True  # another worker is matching it: the report would miss its matches
                return run
    run.status = MatchingRound.objects.values_list("status", flat=True).get(pk=matching_round.pk)
    run.matches = Match.objects.filter(round_id=matching_round.pk).count()
    if rebuild or run.matched is not None:
        run.report = reports.report_build(round_id=matching_round.pk, refresh=True)
    else:
        run.report = reports.report_ensure(round_id=matching_round.pk)
    if send and run.report.status == ReportStatus.READY:
        run.deliveries_created = deliveries.deliveries_enqueue(report_id=run.report.pk)
    return run
