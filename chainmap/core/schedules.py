"""The periodic jobs, seeded into django-celery-beat's tables once and edited in the admin afterwards.

``CELERY_BEAT_SCHEDULE`` is left empty on purpose: django-celery-beat would rewrite the rows from it at
every beat start and so undo what the joint office changed in the admin.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db import transaction
from django_celery_beat.models import CrontabSchedule, PeriodicTask

TIMEZONE = "Asia/Shanghai"


@dataclass(frozen=True)
class Job:
    name: str
    task: str
    minute: str
    hour: str
    day_of_month: str = "*"
    month_of_year: str = "*"
    day_of_week: str = "*"
    # A tick not started within this many seconds is dropped (the next one does the same work).
    expire_seconds: int | None = None


JOBS: tuple[Job, ...] = (
    # Terms end at midnight Beijing time: the next region's term opens, its handover mail goes out.
    Job(name="rotate-leadership-daily", task="chainmap.tasks_leadership.rotate_leadership", minute="1", hour="0"),
    # After midnight Beijing time, once leadership terms have turned over, redraw titles.
    Job(name="render-all-diagrams-daily", task="chainmap.tasks.render_all_diagrams", minute="20", hour="0"),
    # A worker killed mid-send, or a task message lost with Redis: the delivery is queued again
    # within a minute of its lease running out (chainmap.reports.services.deliveries.deliveries_sweep).
    Job(
        name="sweep-deliveries",
        task="chainmap.tasks_reports.sweep_deliveries",
        minute="*",
        hour="*",
        expire_seconds=50,
    ),
    # 一月一链 / 一季一群: every morning of days 1–7 at 09:00; the task itself acts only on the
    # period's first working day (so a Monday-the-3rd start still gets its round).
    Job(
        name="monthly-chain-round",
        task="chainmap.tasks_reports.monthly_chain_round",
        minute="0",
        hour="9",
        day_of_month="1-7",
    ),
    Job(
        name="quarterly-cluster-round",
        task="chainmap.tasks_reports.quarterly_cluster_round",
        minute="0",
        hour="9",
        day_of_month="1-7",
        month_of_year="1,4,7,10",
    ),
)


@transaction.atomic
def schedules_setup() -> list[str]:
    """Create the periodic tasks that are missing; never touch existing ones (admin edits win)."""
    created: list[str] = []
    for job in JOBS:
        if PeriodicTask.objects.filter(name=job.name).exists():
            continue
        crontab, _ = CrontabSchedule.objects.get_or_create(
            minute=job.minute,
            hour=job.hour,
            day_of_month=job.day_of_month,
            month_of_year=job.month_of_year,
            day_of_week=job.day_of_week,
            timezone=TIMEZONE,
        )
        PeriodicTask.objects.create(name=job.name, task=job.task, crontab=crontab, expire_seconds=job.expire_seconds)
        created.append(job.name)
    return created
