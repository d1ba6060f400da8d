"""Celery tasks of the matching rounds (imported by chainmap.tasks so the worker registers them)."""

from __future__ import annotations

import logging

from celery import shared_task
from django.core.exceptions import ValidationError
from django.db import OperationalError

from chainmap.services import rounds

logger = logging.getLogger(__name__)
TRANSIENT = (OperationalError, ConnectionError, TimeoutError)


@shared_task(acks_late=True, autoretry_for=TRANSIENT, retry_backoff=True, max_retries=5)
def match_round(round_id: int) -> int | None:
    """Match a round. A redelivery is harmless: another worker's claim makes it a no-op, and a round
    that moved on (held, closed, follow-up recorded) is refused by the service, logged, not retried."""
    try:
        return rounds.round_match(round_id=round_id, user=None)
    except ValidationError as exc:
        logger.info("round %s not matched: %s", round_id, exc.messages)
        return None
