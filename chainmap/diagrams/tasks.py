"""Celery tasks: thin wrappers, ids in, a service call out. Idempotent and ``acks_late``."""

from __future__ import annotations

from typing import Any

from celery import shared_task
from django.conf import settings
from django.db import OperationalError

from chainmap.diagrams import services as diagrams
from chainmap.models import Chain, Cluster

TRANSIENT = (OperationalError, ConnectionError, TimeoutError)


def _retry_busy(task: Any, kwargs: dict[str, Any]) -> None:
    # Another worker holds the subject's lock: look again once the burst has settled.
    task.apply_async(kwargs=kwargs, countdown=max(1, int(settings.CHAINMAP_DIAGRAMS["DEBOUNCE"])))


def _eager_wait(task: Any) -> float:
    # Eagerly (no broker) there is no later: wait for the lock instead of re-enqueueing.
    return float(settings.CHAINMAP_DIAGRAMS["TIMEOUT"]) + 5 if task.request.is_eager else 0.0


@shared_task(
    name="chainmap.tasks.render_chain_diagram",
    bind=True,
    acks_late=True,
    autoretry_for=TRANSIENT,
    retry_backoff=True,
    max_retries=5,
)
def render_chain_diagram(self: Any, *, chain_id: int, force: bool = False) -> str:
    outcome = diagrams.diagram_render_chain(chain_id=chain_id, force=force, wait=_eager_wait(self))
    if outcome == diagrams.BUSY:
        _retry_busy(render_chain_diagram, {"chain_id": chain_id, "force": force})
    return outcome


@shared_task(
    name="chainmap.tasks.render_cluster_diagram",
    bind=True,
    acks_late=True,
    autoretry_for=TRANSIENT,
    retry_backoff=True,
    max_retries=5,
)
def render_cluster_diagram(self: Any, *, cluster_id: int, force: bool = False) -> str:
    outcome = diagrams.diagram_render_cluster(cluster_id=cluster_id, force=force, wait=_eager_wait(self))
    if outcome == diagrams.BUSY:
        _retry_busy(render_cluster_diagram, {"cluster_id": cluster_id, "force": force})
    return outcome


@shared_task(
    name="chainmap.tasks.render_diff_diagram",
    bind=True,
    acks_late=True,
    autoretry_for=TRANSIENT,
    retry_backoff=True,
    max_retries=5,
)
def render_diff_diagram(self: Any, *, diagram_id: int, force: bool = False) -> str:
    outcome = diagrams.diagram_render_diff(diagram_id=diagram_id, force=force, wait=_eager_wait(self))
    if outcome == diagrams.BUSY:
        _retry_busy(render_diff_diagram, {"diagram_id": diagram_id, "force": force})
    return outcome


@shared_task(name="chainmap.tasks.render_all_diagrams", acks_late=True)
def render_all_diagrams() -> int:
    """Daily safety net (leadership changes the title at term boundaries): one task per subject."""

    count = 0
    for chain_id in Chain.objects.values_list("pk", flat=True):
        render_chain_diagram.delay(chain_id=chain_id)
        count += 1
    for cluster_id in Cluster.objects.values_list("pk", flat=True):
        render_cluster_diagram.delay(cluster_id=cluster_id)
        count += 1
    return count
