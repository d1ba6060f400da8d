"""After any change to a chain's data: move its data version (``chainmap.summaries``) in the same
transaction, and re-render its diagram once the change is committed.

Not every write goes through services yet (admin, demo loader, imports), so the diagram
keeps up through model signals. Each handler only registers an on-commit callback, once per
chain and transaction; the callback asks for a debounced render (``diagram_request_for_chain``),
which never raises. ``bulk_create``/``update()`` fire no signals: callers render afterwards
(``diagrams_render_all``).
"""

from __future__ import annotations

import logging
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models.signals import m2m_changed, post_delete, post_save
from django.dispatch import receiver

from chainmap.core import cache as core_cache
from chainmap.diagrams import services as diagrams
from chainmap.maps import summaries as maps_summaries
from chainmap.models import (
    Bottleneck,
    Cluster,
    Edge,
    Enterprise,
    LeadershipTerm,
    Node,
    NodeAssessment,
    Placement,
)

logger = logging.getLogger(__name__)


class _RenderOnCommit:
    def __init__(self, *, chain_id: int | None = None, cluster_id: int | None = None) -> None:
        self.chain_id = chain_id
        self.cluster_id = cluster_id

    def __call__(self) -> None:

        if self.chain_id is not None:
            diagrams.diagram_request_for_chain(chain_id=self.chain_id)
        elif self.cluster_id is not None:
            diagrams.diagram_request_render(cluster_id=self.cluster_id)


def schedule_chain(chain_id: int | None) -> None:
    if chain_id is None or not settings.CHAINMAP_DIAGRAMS["AUTO_RENDER"]:
        return
    if not core_cache.once_per_transaction(("render-chain", chain_id)):
        return
    transaction.on_commit(_RenderOnCommit(chain_id=chain_id), robust=True)


def schedule_cluster(cluster_id: int | None) -> None:
    if cluster_id is None or not settings.CHAINMAP_DIAGRAMS["AUTO_RENDER"]:
        return
    if not core_cache.once_per_transaction(("render-cluster", cluster_id)):
        return
    transaction.on_commit(_RenderOnCommit(cluster_id=cluster_id), robust=True)


def _node_chain(node_id: int | None) -> int | None:
    if node_id is None:
        return None
    return Node.objects.filter(pk=node_id).values_list("chain_id", flat=True).first()


def _chain_of(instance: Any) -> int | None:
    if isinstance(instance, Node | Edge | Bottleneck | LeadershipTerm):
        return instance.chain_id
    if isinstance(instance, NodeAssessment | Placement):
        node = instance._state.fields_cache.get("node")
        return node.chain_id if node is not None else _node_chain(instance.node_id)
    return None


# The chain's data version (the key of its cached counts and map data, see ``chainmap.summaries``)
# moves in the transaction of the change and is never swallowed: a version that did not move would
# leave pages showing the old counts. The diagram render is asked for on commit and may fail quietly.
SUMMARY_MODELS = (Node, NodeAssessment, Edge, Placement, Bottleneck)


@receiver(post_save, dispatch_uid="chainmap_diagram_post_save")
@receiver(post_delete, dispatch_uid="chainmap_diagram_post_delete")
def chain_data_changed(sender: type, instance: Any, raw: bool = False, **kwargs: Any) -> None:
    if raw or sender not in (*SUMMARY_MODELS, LeadershipTerm):
        return
    chain_id = _chain_of(instance)
    if sender in SUMMARY_MODELS:
        # A placement whose node went in the same cascade: its chain is not known any more, so all move.
        maps_summaries.bump_chain_data(None if chain_id is None else [chain_id])
    try:
        schedule_chain(chain_id)
    except Exception:  # a diagram must never make a save fail
        logger.exception("could not schedule the diagram render after a %s change", sender.__name__)


@receiver(post_save, dispatch_uid="chainmap_summary_list_post_save")
@receiver(post_delete, dispatch_uid="chainmap_summary_list_post_delete")
def enterprise_list_changed(sender: type, instance: Any, raw: bool = False, **kwargs: Any) -> None:
    """The enterprise lists' counts (filters read enterprises and their placements)."""
    if not raw and sender in (Enterprise, Placement):
        core_cache.bump_table("enterprises")


@receiver(post_save, sender=Enterprise, dispatch_uid="chainmap_summary_enterprise_region")
def enterprise_region_changed(
    sender: type, instance: Enterprise, created: bool, raw: bool = False, **kwargs: Any
) -> None:
    """Counts are per region of the enterprise: moving one to another region moves its chains."""
    loaded = getattr(instance, "_loaded_region_id", None)
    if raw or created or loaded is None or loaded == instance.region_id:
        return
    maps_summaries.bump_chain_data(
        Node.objects.filter(placements__enterprise=instance).values_list("chain_id", flat=True).distinct()
    )
    instance._loaded_region_id = instance.region_id  # type: ignore[attr-defined]


@receiver(m2m_changed, sender=Bottleneck.nodes.through, dispatch_uid="chainmap_diagram_bottleneck_nodes")
def bottleneck_nodes_changed(sender: type, instance: Any, action: str, **kwargs: Any) -> None:
    if action not in ("post_add", "post_remove", "post_clear"):
        return
    maps_summaries.bump_chain_data([instance.chain_id])  # a bottleneck or, from the other side, a node
    try:
        schedule_chain(instance.chain_id)
    except Exception:
        logger.exception("could not schedule the diagram render after a bottleneck change")


@receiver(m2m_changed, sender=Cluster.chains.through, dispatch_uid="chainmap_diagram_cluster_chains")
def cluster_chains_changed(sender: type, instance: Any, action: str, pk_set: Any = None, **kwargs: Any) -> None:
    if action not in ("post_add", "post_remove", "post_clear"):
        return
    try:
        if isinstance(instance, Cluster):
            schedule_cluster(instance.pk)
        else:
            for cluster_id in pk_set or ():
                schedule_cluster(cluster_id)
    except Exception:
        logger.exception("could not schedule the diagram render after a cluster change")
