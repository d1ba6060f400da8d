"""Celery tasks of the round reports and their mail (imported by chainmap.diagrams.tasks so the worker registers them).

``monthly_chain_round`` / ``quarterly_cluster_round`` are what the beat entries call every morning of
days 1–7 at 09:00 Beijing time; they do something only on the period's first working day.
"""

from __future__ import annotations

import datetime as dt
import logging
from smtplib import SMTPException
from typing import Any

from celery import shared_task
from django.conf import settings
from django.db import OperationalError
from django.utils import timezone

from chainmap.models import RoundKind
from chainmap.reports.services import deliveries, reports, runs

logger = logging.getLogger(__name__)
TRANSIENT = (OperationalError, ConnectionError, TimeoutError)
# Mail failures worth another try: the SMTP server refused or was unreachable (OSError covers
# refused connections, resets and timeouts).
MAIL_ERRORS = (SMTPException, OSError)
QUARTER_MONTHS = (1, 4, 7, 10)
BUSY_RETRY_SECONDS = 300


# The hard time limit is shorter than the delivery's lease (settings.CHAINMAP_REPORTS): a live worker
# is stopped before the sweeper could take its claim over and send a second copy. Prefork (the
# production pool) enforces it; the solo and threads pools do not.
@shared_task(
    name="chainmap.tasks_reports.send_delivery",
    bind=True,
    acks_late=True,
    max_retries=None,
    time_limit=settings.CHAINMAP_REPORTS["SEND_TIME_LIMIT_SECONDS"],
    soft_time_limit=settings.CHAINMAP_REPORTS["SEND_SOFT_TIME_LIMIT_SECONDS"],
)
def send_delivery(self: Any, *, delivery_id: int) -> str:
    """Send one outbox row. A duplicate or redelivered task finds the row claimed or sent and sends nothing."""
    config = settings.CHAINMAP_REPORTS
    tries = self.request.retries
    while True:
        try:
            return deliveries.delivery_send(delivery_id=delivery_id)
        except MAIL_ERRORS as exc:
            error = f"{type(exc).__name__}: {exc}"
            if tries >= config["MAIL_MAX_RETRIES"]:
                deliveries.delivery_mark_failed(delivery_id=delivery_id, error=error)
                logger.warning("delivery %s failed after %s tries: %s", delivery_id, tries + 1, error)
                return "failed"
            if not self.request.is_eager:
                countdown = deliveries.retry_countdown(tries)
                logger.info("delivery %s: %s; retrying in %ss", delivery_id, error, countdown)
                raise self.retry(exc=exc, countdown=countdown, max_retries=config["MAIL_MAX_RETRIES"]) from exc
            # No broker (eager): nobody would run a later retry, so try again now.
            tries += 1


@shared_task(
    name="chainmap.tasks_reports.sweep_deliveries",
    acks_late=True,
    autoretry_for=TRANSIENT,
    retry_backoff=True,
    max_retries=3,
)
def sweep_deliveries() -> int:
    """Beat entry, every minute: queue again the deliveries a killed worker or a lost message left
    behind (see services.deliveries.deliveries_sweep). Returns how many were queued."""
    return deliveries.deliveries_sweep().queued


@shared_task(
    name="chainmap.tasks_reports.build_report",
    acks_late=True,
    autoretry_for=TRANSIENT,
    retry_backoff=True,
    max_retries=5,
)
def build_report(*, round_id: int, refresh: bool = False) -> str:
    return reports.report_build(round_id=round_id, refresh=refresh).status


def is_workday(day: dt.date) -> bool:
    """Monday to Friday. With the optional ``chinese-calendar`` package installed, its official
    holidays and adjusted working weekends (调休) are followed instead."""
    try:
        import chinese_calendar
    except ImportError:
        return day.weekday() < 5
    try:
        return bool(chinese_calendar.is_workday(day))
    except NotImplementedError:  # a year the package does not know yet
        return day.weekday() < 5


def first_working_day(year: int, month: int) -> dt.date:
    day = dt.date(year, month, 1)
    while not is_workday(day):
        day += dt.timedelta(days=1)
    return day


def period_due(*, kind: str, today: dt.date) -> dt.date | None:
    """The period whose round starts today (its first working day), or None."""
    if kind == RoundKind.CLUSTER_QUARTER and today.month not in QUARTER_MONTHS:
        return None
    if today != first_working_day(today.year, today.month):
        return None
    return today.replace(day=1)


@shared_task(
    name="chainmap.tasks_reports.monthly_round",
    bind=True,
    acks_late=True,
    autoretry_for=TRANSIENT,
    retry_backoff=True,
    max_retries=5,
)
def monthly_round(self: Any, kind: str, period: str | None = None) -> str:
    """Ensure, match, report and mail the round of a period (``YYYY-MM-DD`` or ``YYYY-MM``).

    Without ``period``: today's period, and only on its first working day (Asia/Shanghai). Every step
    is idempotent, so running it twice mails each subscriber once."""
    if period is None:
        due = period_due(kind=kind, today=timezone.localdate())
        if due is None:
            return "not due"
        day = due
    else:
        day = dt.date.fromisoformat(period if len(period) > 7 else f"{period}-01")
    run = runs.report_round_run(kind=kind, period=day, send=True)
    if run.busy and not self.request.is_eager:
        # Another worker is matching the round right now: build and mail once it is done.
        raise self.retry(countdown=BUSY_RETRY_SECONDS)
    return run.summary()


@shared_task(name="chainmap.tasks_reports.monthly_chain_round", acks_late=True)
def monthly_chain_round() -> None:
    """Beat entry of 一月一链 (days 1–7, 09:00): runs the month's round on its first working day."""
    monthly_round.delay(RoundKind.CHAIN_MONTH)


@shared_task(name="chainmap.tasks_reports.quarterly_cluster_round", acks_late=True)
def quarterly_cluster_round() -> None:
    """Beat entry of 一季一群 (days 1–7 of January, April, July, October, 09:00)."""
    monthly_round.delay(RoundKind.CLUSTER_QUARTER)
