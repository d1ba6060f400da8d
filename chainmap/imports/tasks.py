"""Celery tasks of spreadsheet imports: ids in, the same service the request calls for small files."""

from __future__ import annotations

from celery import shared_task
from django.db import OperationalError

from chainmap.imports.services import imports

TRANSIENT = (OperationalError, ConnectionError, TimeoutError)


@shared_task(
    name="chainmap.tasks_imports.import_validate",
    acks_late=True,
    autoretry_for=TRANSIENT,
    retry_backoff=True,
    max_retries=5,
)
def import_validate(*, job_id: int) -> str:
    """Dry run of a large upload; a redelivery finds the job no longer pending and does nothing."""
    return imports.import_job_validate(job_id=job_id).status


@shared_task(
    name="chainmap.tasks_imports.import_apply",
    acks_late=True,
    autoretry_for=TRANSIENT,
    retry_backoff=True,
    max_retries=5,
)
def import_apply(*, job_id: int) -> str:
    """All-or-nothing apply of a large upload; a redelivery finds the job applied and does nothing."""
    return imports.import_job_apply(job_id=job_id).status
