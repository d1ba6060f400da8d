"""Celery tasks of the matching rounds (imported by chainmap.diagrams.tasks so the worker registers them)."""

from __future__ import annotations

import logging

from celery import shared_task
from django.core.exceptions import ValidationError
from django.db import OperationalError

from chainmap.matching.services import rounds
from chainmap.reports.services import reports as report_services

logger = logging.getLogger(__name__)
TRANSIENT = (OperationalError, ConnectionError, TimeoutError)


@shared_task(
    name="chainmap.tasks_rounds.match_round", acks_late=True, autoretry_for=TRANSIENT, retry_backoff=True, max_retries=5
)
def match_round(round_id: int, build_report: bool = True) -> int | None:
    """Match a round, then (``build_report``) rebuild its report from the new matches in another task.

    A redelivery is harmless: another worker's claim makes it a no-op, and a round that moved on
    (held, closed, follow-up recorded) is refused by the service, logged, not retried. Each step is
    reported through ``rounds.round_job_set`` for the round page's progress."""
    rounds.round_job_set(round_id=round_id, state=rounds.JOB_MATCHING)
    try:
        written = rounds.round_match(round_id=round_id, user=None)
    except ValidationError as exc:
        logger.info("round %s not matched: %s", round_id, exc.messages)
        rounds.round_job_set(round_id=round_id, state=rounds.JOB_FAILED, error=" ".join(exc.messages))
        return None
    except TRANSIENT:
        raise  # retried: the next try reports again
    except Exception as exc:
        rounds.round_job_set(round_id=round_id, state=rounds.JOB_FAILED, error=f"{type(exc).__name__}: {exc}")
        raise
    if written is None:
        return None  # another worker holds the round; its own job reports the progress
    if not build_report:
        rounds.round_job_set(round_id=round_id, state=rounds.JOB_DONE, matches=written)
        return written
    rounds.round_job_set(round_id=round_id, state=rounds.JOB_BUILDING, matches=written)
    report_services.report_build_request(round_id=round_id, user=None, refresh=True)
    return written
