"""Celery tasks of the rotating chain leader: the daily rotation and the handover mail."""

from __future__ import annotations

import datetime as dt
from smtplib import SMTPException

from celery import shared_task
from django.db import OperationalError

from chainmap.accounts.permissions import today as local_today
from chainmap.leadership.services import rotation as leadership
from chainmap.models import Chain

TRANSIENT = (OperationalError, ConnectionError, TimeoutError)


@shared_task(name="chainmap.tasks_leadership.rotate_leadership", acks_late=True)
def rotate_leadership(day: str | None = None) -> int:
    """Beat entry, just after midnight Asia/Shanghai: one rotation task per chain."""
    day = day or local_today().isoformat()
    chain_ids = list(Chain.objects.values_list("pk", flat=True))
    for chain_id in chain_ids:
        rotate_chain.delay(chain_id=chain_id, day=day)
    return len(chain_ids)


@shared_task(
    name="chainmap.tasks_leadership.rotate_chain",
    acks_late=True,
    autoretry_for=TRANSIENT,
    retry_backoff=True,
    max_retries=5,
)
def rotate_chain(*, chain_id: int, day: str) -> int | None:
    term = leadership.leadership_rotate(chain_id=chain_id, today=dt.date.fromisoformat(day))
    return term.pk if term is not None else None


@shared_task(
    name="chainmap.tasks_leadership.send_handover",
    acks_late=True,
    autoretry_for=(SMTPException, OSError, *TRANSIENT),
    retry_backoff=60,
    max_retries=6,
)
def send_handover(*, term_id: int) -> bool:
    # The service claims the term before sending: a redelivered or repeated task sends nothing.
    return leadership.handover_notify(term_id=term_id)
